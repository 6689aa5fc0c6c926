"""A bounded batching writer: rows in, Arrow inserts out, positions acknowledged after the write.

Rows gather in an open batch until a limit is due (rows, estimated bytes, or age by an
injected clock). ``flush`` seals the batch into one Arrow table per target table and writes
them; only when every table of the batch is written does the acknowledge callback receive
the batch's source positions, so a consumer commits offsets only for data that is stored.

A failed write is retried with exponential backoff (an injected ``sleep``). When the
attempts run out, ``WarehouseUnavailableError`` is raised and the sealed batch is kept: nothing
is dropped, and the next ``flush`` starts by writing it again. While a sealed batch waits,
the open batch still fills up to its limits and no further: ``add`` then raises
``BackpressureError`` (the record is not taken), which bounds memory to two batches and tells
the caller to stop consuming until a ``flush`` succeeds.

Every insert carries a deduplication token derived from the batch content, so re-sending a
batch the engine already stored (the ack was lost, the process restarted) stores nothing new.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import pyarrow as pa
import structlog

from projections.rows import Mapped, Row, RowShape, row_size
from projections.tables import TableSpec
from projections.warehouse import Warehouse, WarehouseError

P = TypeVar("P")


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchLimits:
    """When an open batch is written; also the memory bound (two batches at most are held)."""

    max_rows: int = 50_000
    max_bytes: int = 64 * 1024 * 1024
    max_age_s: float = 2.0

    def __post_init__(self) -> None:
        if self.max_rows < 1 or self.max_bytes < 1 or self.max_age_s <= 0:
            raise ValueError(f"batch limits must be positive: {self}")


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many times one ``flush`` tries a write, and how long it waits in between."""

    max_attempts: int = 6
    initial_backoff_s: float = 0.2
    max_backoff_s: float = 10.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.initial_backoff_s < 0 or self.multiplier < 1:
            raise ValueError(f"invalid retry policy: {self}")

    def backoff_s(self, failed_attempts: int) -> float:
        """The wait after ``failed_attempts`` failures (1 = after the first)."""
        growth = self.multiplier ** (failed_attempts - 1)
        return float(min(self.max_backoff_s, self.initial_backoff_s * growth))


class ProjectionError(RuntimeError):
    """Rows that cannot become a batch (a value the column type refuses); retrying will not help."""


class WarehouseUnavailableError(RuntimeError):
    """Writes kept failing for a whole retry policy; the batch is kept for the next flush."""


class BackpressureError(WarehouseUnavailableError):
    """``add`` refused a record because the batch ahead of it could not be written."""


@dataclass(slots=True)
class WriterStats:
    rows_written: int = 0
    batches_written: int = 0
    write_attempts_failed: int = 0
    last_error: str | None = None


@dataclass(slots=True)
class _OpenBatch(Generic[P]):
    rows: dict[RowShape, list[Row]] = field(default_factory=dict)
    positions: list[P] = field(default_factory=list)
    row_count: int = 0
    byte_estimate: int = 0
    opened_at: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.row_count and not self.positions


@dataclass(slots=True)
class _SealedBatch(Generic[P]):
    tables: dict[str, pa.Table]
    tokens: dict[str, str]
    positions: list[P]
    row_count: int
    written: set[str] = field(default_factory=set)


def _column(values: list[object], arrow_type: pa.DataType, table: str, column: str) -> pa.Array:
    try:
        return pa.array(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
        raise ProjectionError(f"{table}.{column}: {error}") from error


def build_table(spec: TableSpec, groups: Sequence[tuple[RowShape, list[Row]]]) -> pa.Table:
    """One Arrow table with every column of ``spec`` from rows of possibly different shapes."""
    pieces: list[pa.Table] = []
    for shape, rows in groups:
        transposed = dict(zip(shape.columns, zip(*rows, strict=True), strict=True))
        constants = dict(shape.constants)
        count = len(rows)
        arrays: list[pa.Array] = []
        for name, arrow_type in spec.columns:
            if name in transposed:
                arrays.append(_column(list(transposed[name]), arrow_type, spec.name, name))
            elif name in constants:
                arrays.append(_column([constants[name]] * count, arrow_type, spec.name, name))
            else:
                arrays.append(pa.nulls(count, arrow_type))
        pieces.append(pa.Table.from_arrays(arrays, schema=spec.schema))
    table = pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces)
    return table.combine_chunks()


def content_token(table_name: str, table: pa.Table) -> str:
    """A deduplication token that is the same exactly when the table content is the same."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(table_name.encode())
    digest.update(table.schema.serialize())
    digest.update(table.num_rows.to_bytes(8, "little"))
    for column in table.columns:
        for chunk in column.chunks:
            for buffer in chunk.buffers():
                if buffer is not None:
                    digest.update(buffer)
    return f"{table_name}-{digest.hexdigest()}"


class BatchingWriter(Generic[P]):
    """Buffers mapped rows and writes them in bounded, idempotent, acknowledged batches."""

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        limits: BatchLimits | None = None,
        retry: RetryPolicy | None = None,
        on_ack: Callable[[Sequence[P]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._warehouse = warehouse
        self.limits = limits or BatchLimits()
        self.retry = retry or RetryPolicy()
        self._on_ack = on_ack
        self._clock = clock
        self._sleep = sleep
        self._open: _OpenBatch[P] = _OpenBatch()
        self._sealed: _SealedBatch[P] | None = None
        self.stats = WriterStats()

    @property
    def pending_rows(self) -> int:
        """Rows taken but not yet written (open and sealed batches)."""
        return self._open.row_count + (self._sealed.row_count if self._sealed else 0)

    def _due(self) -> bool:
        batch = self._open
        if batch.empty:
            return False
        return (
            batch.row_count >= self.limits.max_rows
            or batch.byte_estimate >= self.limits.max_bytes
            or self._clock() - batch.opened_at >= self.limits.max_age_s
        )

    def add(self, mapped: Mapped, position: P | None = None) -> None:
        """Take the rows of one record; writes the open batch first if one of its limits is due.

        Raises ``BackpressureError`` when that write fails: the record is *not* taken, the caller
        keeps it (and its position unacknowledged) and offers it again later.
        """
        if self._due():
            try:
                self.flush()
            except WarehouseUnavailableError as error:
                raise BackpressureError(str(error)) from error
        batch = self._open
        if batch.empty:
            batch.opened_at = self._clock()
        rows = batch.rows
        for shape, row in mapped:
            bucket = rows.get(shape)
            if bucket is None:
                rows[shape] = bucket = []
            bucket.append(row)
            batch.byte_estimate += row_size(shape, row)
        batch.row_count += len(mapped)
        if position is not None:
            batch.positions.append(position)

    def poll(self) -> None:
        """Write the open batch if its age limit has passed (call when idle)."""
        if self._due():
            self.flush()

    def flush(self) -> None:
        """Write everything taken so far, the waiting batch first; acknowledge after each write."""
        if self._sealed is not None:
            self._write_sealed()
        if self._open.empty:
            return
        self._sealed = self._seal(self._open)
        self._open = _OpenBatch()
        self._write_sealed()

    def _seal(self, batch: _OpenBatch[P]) -> _SealedBatch[P]:
        by_table: dict[str, list[tuple[RowShape, list[Row]]]] = {}
        specs: dict[str, TableSpec] = {}
        for shape, rows in batch.rows.items():
            by_table.setdefault(shape.table.name, []).append((shape, rows))
            specs[shape.table.name] = shape.table
        tables = {name: build_table(specs[name], groups) for name, groups in sorted(by_table.items())}
        tokens = {name: content_token(name, table) for name, table in tables.items()}
        return _SealedBatch(tables, tokens, batch.positions, batch.row_count)

    def _write_sealed(self) -> None:
        sealed = self._sealed
        assert sealed is not None
        failures = 0
        while True:
            try:
                for name, table in sealed.tables.items():
                    if name not in sealed.written:
                        self._warehouse.insert(name, table, dedup_token=sealed.tokens[name])
                        sealed.written.add(name)
                break
            except WarehouseError as error:
                failures += 1
                self.stats.write_attempts_failed += 1
                self.stats.last_error = str(error)
                if failures >= self.retry.max_attempts:
                    raise WarehouseUnavailableError(
                        f"warehouse write failed {failures} times, {sealed.row_count} rows kept for the "
                        f"next flush: {error}"
                    ) from error
                backoff_s = self.retry.backoff_s(failures)
                structlog.get_logger(__name__).warning(
                    "warehouse write failed; retrying",
                    attempt=failures,
                    backoff_s=backoff_s,
                    error=str(error),
                )
                self._sleep(backoff_s)
        self._sealed = None
        self.stats.rows_written += sealed.row_count
        self.stats.batches_written += 1
        if self._on_ack is not None and sealed.positions:
            self._on_ack(sealed.positions)
