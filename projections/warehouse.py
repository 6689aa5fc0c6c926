"""The warehouse port: what the projector, the rebuild and the analyst command need from ClickHouse.

Two adapters implement it with the same SQL: ``ChdbWarehouse`` (embedded, in this process)
and ``ServerWarehouse`` (a ClickHouse server through clickhouse-connect). Results come back
through Arrow in both, and are turned into Python values by one function here, so a query
answers with the same types whichever engine ran it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Union

from projections.settings import EmbeddedSettings, ServerSettings, WarehouseSettings
from projections.sql import check_identifier, ensure_read_only

if TYPE_CHECKING:
    import pyarrow as pa

SqlValue = Union[  # noqa: UP007 - a recursive alias needs the Union spelling
    str, bytes, int, float, bool, Decimal, date, datetime, None, list["SqlValue"], dict[str, "SqlValue"]
]
"""A value in a query result: ClickHouse types map to these through Arrow."""

ParamValue = str | int | float | bool | Decimal | date | datetime | Sequence[str] | Sequence[int]
"""A value for a ``{name:Type}`` query parameter."""


class WarehouseError(RuntimeError):
    """The engine refused or failed a statement; the message carries the engine's own words."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    """Column names and rows of a query, values as plain Python types."""

    columns: tuple[str, ...]
    rows: tuple[tuple[SqlValue, ...], ...]

    def as_dicts(self) -> list[dict[str, SqlValue]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def column(self, name: str) -> list[SqlValue]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def scalar(self) -> SqlValue:
        """The single value of a one-row, one-column result."""
        if len(self.rows) != 1 or len(self.columns) != 1:
            raise ValueError(f"expected one value, got {len(self.rows)} rows x {len(self.columns)} columns")
        return self.rows[0][0]


def result_from_arrow(table: pa.Table) -> QueryResult:
    """Arrow to Python values: timestamps become aware UTC datetimes, decimals ``Decimal``."""
    columns = tuple(table.column_names)
    pylists = [_python_values(table.column(i)) for i in range(table.num_columns)]
    return QueryResult(columns=columns, rows=tuple(zip(*pylists, strict=True)))


def _python_values(column: pa.ChunkedArray) -> list[SqlValue]:
    try:
        values: list[SqlValue] = column.to_pylist()
    except UnicodeDecodeError:
        # A String column holding bytes that are not UTF-8 (a dead letter's original): bytes.
        import pyarrow as pa

        values = column.cast(pa.binary()).to_pylist()
    # Arrow yields zoneinfo or pytz UTC datetimes depending on the producer; use one tzinfo.
    return [v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo is not None else v for v in values]


def format_param(value: ParamValue) -> str:
    """A parameter value in ClickHouse's text form (what ``{name:Type}`` parses)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetime parameters must be timezone-aware")
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, date | int | float | Decimal):
        return str(value)
    if isinstance(value, str):
        return value
    return "[" + ", ".join(_literal(item) for item in value) + "]"


def _literal(item: str | int) -> str:
    if isinstance(item, int):
        return str(item)
    return "'" + item.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Warehouse(ABC):
    """A ClickHouse database holding the Channel Ledger projections."""

    def __init__(self, database: str) -> None:
        self.database = check_identifier(database)

    @abstractmethod
    def command(self, sql: str) -> None:
        """Run one statement that returns no rows (DDL, ``INSERT ... SELECT``)."""

    @abstractmethod
    def query_arrow(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> pa.Table:
        """Run one query and return its result as an Arrow table."""

    @abstractmethod
    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        """Insert ``data`` (columns named as in the table) into ``table`` of this database.

        ``dedup_token`` names the block: the engine ignores a second insert with the same
        token into the same table, which makes a retried write harmless.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the engine or connection; the object is unusable afterwards."""

    def query(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        """Run one query and return its rows as Python values."""
        return result_from_arrow(self.query_arrow(sql, params, read_only=read_only))

    def query_read_only(self, sql: str, params: Mapping[str, ParamValue] | None = None) -> QueryResult:
        """Run analyst SQL: refused unless it is a single reading statement, and run read-only."""
        return self.query(ensure_read_only(sql), params, read_only=True)

    def migrate(self) -> tuple[str, ...]:
        """Create the database and apply pending migrations; returns the names applied now."""
        from projections.migrate import apply_migrations

        return apply_migrations(self)

    def reset(self) -> None:
        """Drop the whole database (every projection) and create it empty; for rebuilds."""
        self.command(f"DROP DATABASE IF EXISTS {self.database} SYNC")
        self.command(f"CREATE DATABASE IF NOT EXISTS {self.database}")

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_warehouse(settings: WarehouseSettings, *, read_only: bool = False) -> Warehouse:
    """Open the warehouse the settings select; ``read_only`` opens the engine unable to write."""
    if isinstance(settings, EmbeddedSettings):
        from projections.chdb_warehouse import ChdbWarehouse

        return ChdbWarehouse.open(settings, read_only=read_only)
    if isinstance(settings, ServerSettings):
        from projections.server_warehouse import ServerWarehouse

        return ServerWarehouse.connect(settings, read_only=read_only)
    raise TypeError(f"unknown warehouse settings {type(settings).__name__}")
