"""The batching writer against a fake warehouse: limits, acknowledgement, retries, memory bound."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from projections.projector import Projector
from projections.rows import rows_for
from projections.tables import EVENTS
from projections.warehouse import ParamValue, Warehouse, WarehouseError
from projections.writer import (
    BackpressureError,
    BatchingWriter,
    BatchLimits,
    ProjectionError,
    RetryPolicy,
    WarehouseUnavailableError,
    build_table,
    content_token,
)
from schemas.events import ClockTicked, SaleChannel, SaleRecorded
from schemas.outputs import EntryKind, LedgerEntry, Posting

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class FakeWarehouse(Warehouse):
    """Stores inserted tables in memory; fails the next ``failures`` inserts."""

    failures: int = 0
    fail_tables: frozenset[str] = frozenset()
    inserts: list[tuple[str, pa.Table, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__("fake")

    def command(self, sql: str) -> None:
        raise AssertionError("the writer only inserts")

    def query_arrow(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> pa.Table:
        raise AssertionError("the writer only inserts")

    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        if self.failures > 0 and (not self.fail_tables or table in self.fail_tables):
            self.failures -= 1
            raise WarehouseError("connection refused")
        self.inserts.append((table, data, dedup_token))

    def close(self) -> None:
        pass

    def rows(self, table: str) -> int:
        return sum(data.num_rows for name, data, _ in self.inserts if name == table)


@dataclass
class FakeClock:
    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def tick(n: int) -> ClockTicked:
    return ClockTicked(
        event_id=f"tick-{n}", occurred_at=T0 + timedelta(seconds=n), source="test", partner_id="P1"
    )


def entry(n: int) -> LedgerEntry:
    amount = Decimal("1.25")
    return LedgerEntry(
        entry_id=f"entry-{n}",
        kind=EntryKind.ACCRUAL,
        partner_id="P1",
        program_id="prog",
        program_version=1,
        rule_id="rebate",
        bucket=None,
        tier=None,
        period="2026-03",
        occurred_at=T0,
        postings=(
            Posting(account="vendor:expense:prog:rebate", amount=amount, currency="EUR"),
            Posting(account="partner:P1:prog:rebate", amount=-amount, currency="EUR"),
        ),
        source_event_ids=(f"tick-{n}",),
        memo="",
    )


Setup = tuple[FakeWarehouse, FakeClock, list[list[int]], BatchingWriter[int]]


def setup(warehouse: FakeWarehouse | None = None, limits: BatchLimits | None = None) -> Setup:
    """A writer over ``warehouse`` with a fake clock; acknowledgements collect in a list."""
    store = warehouse or FakeWarehouse()
    clock = FakeClock()
    acks: list[list[int]] = []
    writer: BatchingWriter[int] = BatchingWriter(
        store,
        limits=limits or BatchLimits(),
        retry=RetryPolicy(max_attempts=3, initial_backoff_s=0.5, multiplier=2.0, max_backoff_s=0.75),
        on_ack=lambda positions: acks.append(list(positions)),
        clock=clock,
        sleep=clock.sleep,
        concurrent=False,  # deterministic: every write is done when the call returns
    )
    return store, clock, acks, writer


def test_row_limit_cuts_batches_and_acknowledges_each_after_its_write() -> None:
    warehouse, _clock, acks, w = setup(None, BatchLimits(max_rows=10))
    for n in range(25):
        w.add(rows_for(tick(n)), n)
    assert [data.num_rows for _, data, _ in warehouse.inserts] == [10, 10]
    assert acks == [list(range(10)), list(range(10, 20))]
    w.flush()
    assert acks[-1] == list(range(20, 25))
    assert warehouse.rows("events_store") == 25 and w.pending_rows == 0


def test_byte_limit_cuts_batches() -> None:
    row_bytes = rows_for(tick(0))[0][0].approx_row_bytes
    warehouse, _, _, w = setup(None, BatchLimits(max_bytes=3 * row_bytes))
    for n in range(7):
        w.add(rows_for(tick(n)), n)
    assert [data.num_rows for _, data, _ in warehouse.inserts] == [3, 3]


def test_age_limit_writes_on_poll_by_the_injected_clock() -> None:
    warehouse, clock, acks, w = setup(None, BatchLimits(max_age_s=2.0))
    w.add(rows_for(tick(0)), 0)
    clock.now = 1.9
    w.poll()
    assert warehouse.inserts == [] and acks == []
    clock.now = 2.0
    w.poll()
    assert acks == [[0]]


def test_a_failed_write_backs_off_keeps_the_batch_and_acknowledges_only_when_stored() -> None:
    warehouse, clock, acks, w = setup(FakeWarehouse(failures=5))
    for n in range(4):
        w.add(rows_for(tick(n)), n)
    with pytest.raises(WarehouseUnavailableError, match="4 rows kept"):
        w.flush()
    assert clock.sleeps == [0.5, 0.75]  # exponential, capped; none after the last attempt
    assert acks == [] and warehouse.inserts == [] and w.pending_rows == 4
    w.add(rows_for(tick(4)), 4)  # retries the kept batch first: 2 more failures, then stored
    assert acks == [[0, 1, 2, 3]]
    w.flush()
    assert acks == [[0, 1, 2, 3], [4]]
    assert warehouse.rows("events_store") == 5
    assert w.stats.write_attempts_failed == 5 and w.stats.rows_written == 5


def test_a_retried_batch_does_not_rewrite_tables_already_stored() -> None:
    warehouse, _, acks, w = setup(FakeWarehouse(failures=1, fail_tables=frozenset({"ledger_postings_store"})))
    w.add(rows_for(entry(1)), 1)
    w.flush()
    assert [name for name, _, _ in warehouse.inserts] == ["ledger_entries_store", "ledger_postings_store"]
    assert acks == [[1]]


def test_backpressure_refuses_records_while_the_batch_ahead_cannot_be_written() -> None:
    warehouse, _, acks, w = setup(FakeWarehouse(failures=1_000), BatchLimits(max_rows=3))
    for n in range(3):
        w.add(rows_for(tick(n)), n)
    for _ in range(3):  # the full batch cannot be written: 3 is refused, again and again
        with pytest.raises(BackpressureError):
            w.add(rows_for(tick(3)), 3)
        assert w.pending_rows == 3
    with pytest.raises(WarehouseUnavailableError):
        w.poll()  # what a paused consumer calls while it waits
    warehouse.failures = 0
    w.poll()
    assert acks == [[0, 1, 2]]
    w.add(rows_for(tick(3)), 3)  # offered again, now taken
    w.flush()
    assert acks == [[0, 1, 2], [3]] and warehouse.rows("events_store") == 4


def test_memory_stays_within_two_batches_while_the_warehouse_is_down() -> None:
    warehouse, _, acks, w = setup(FakeWarehouse(failures=10_000), BatchLimits(max_rows=5))
    taken = refused = 0
    for n in range(50):
        try:
            w.add(rows_for(tick(n)), n)
            taken += 1
        except BackpressureError:
            refused += 1
        assert w.pending_rows <= 2 * 5
    assert taken == w.pending_rows == 5 and refused == 45 and acks == []
    assert warehouse.inserts == []


def test_the_dedup_token_follows_the_content() -> None:
    rows = [rows_for(tick(n))[0] for n in range(3)]
    shape = rows[0][0]
    first = build_table(EVENTS, [(shape, [row for _, row in rows])])
    again = build_table(EVENTS, [(shape, [row for _, row in rows])])
    other = build_table(EVENTS, [(shape, [row for _, row in rows[:2]])])
    assert content_token("events_store", first) == content_token("events_store", again)
    assert content_token("events_store", first) != content_token("events_store", other)
    assert content_token("events_store", first) != content_token("ledger_entries_store", first)


def test_rows_of_different_shapes_share_one_table_with_defaults_for_missing_columns() -> None:
    sale = SaleRecorded(
        event_id="s",
        occurred_at=T0,
        source="erp",
        sale_id="S1",
        channel=SaleChannel.DIRECT,
        partner_id=None,
        customer_id="C1",
        customer_territory="DE",
        sku="X",
        product_line="servers",
        quantity=3,
        unit_price=Decimal("2.50"),
        amount=Decimal("7.50"),
        currency="EUR",
    )
    groups = [(shape, [row]) for shape, row in (*rows_for(tick(1)), *rows_for(sale))]
    table = build_table(EVENTS, groups)
    assert table.schema == EVENTS.schema
    data = table.to_pylist()
    assert [row["event_type"] for row in data] == ["ClockTicked", "SaleRecorded"]
    assert data[0]["amount"] is None and data[1]["amount"] == Decimal("7.50")
    assert data[1]["partner_id"] is None  # stored as '' by input_format_null_as_default


def test_a_value_the_column_refuses_is_a_projection_error_naming_the_column() -> None:
    bad = SaleRecorded(
        event_id="s",
        occurred_at=T0,
        source="erp",
        sale_id="S1",
        channel=SaleChannel.PARTNER,
        partner_id="P1",
        customer_id="C1",
        customer_territory="DE",
        sku="X",
        product_line="servers",
        quantity=1,
        unit_price=Decimal("0.1234567"),
        amount=Decimal("0.1234567"),
        currency="EUR",
    )
    warehouse, _clock, acks, w = setup()
    w.add(rows_for(bad), 1)
    with pytest.raises(ProjectionError, match=r"events_store\.unit_price"):
        w.flush()
    assert warehouse.inserts == [] and acks == []


def test_limits_and_policies_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        BatchLimits(max_rows=0)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


@dataclass
class GatedWarehouse(FakeWarehouse):
    """Holds every insert until the test opens the gate; records the inserting thread."""

    gate: threading.Event = field(default_factory=threading.Event)
    threads: set[int] = field(default_factory=set)

    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        self.threads.add(threading.get_ident())
        assert self.gate.wait(timeout=10), "the test never opened the gate"
        super().insert(table, data, dedup_token=dedup_token)


def concurrent_writer(
    warehouse: FakeWarehouse, max_rows: int
) -> tuple[BatchingWriter[int], list[tuple[int, list[int]]]]:
    acks: list[tuple[int, list[int]]] = []
    writer: BatchingWriter[int] = BatchingWriter(
        warehouse,
        limits=BatchLimits(max_rows=max_rows, max_age_s=3600),
        retry=RetryPolicy(max_attempts=2, initial_backoff_s=0.0),
        on_ack=lambda positions: acks.append((threading.get_ident(), list(positions))),
    )
    return writer, acks


def test_the_next_batch_fills_while_the_last_one_is_written_and_acks_come_in_order() -> None:
    warehouse = GatedWarehouse()
    w, acks = concurrent_writer(warehouse, max_rows=5)
    try:
        for n in range(10):  # the 6th add hands batch 0..4 over without waiting for it
            w.add(rows_for(tick(n)), n)
        assert acks == [] and w.pending_rows == 10  # batch 0..4 is held at the gate
        warehouse.gate.set()
        w.flush()
        me = threading.get_ident()
        assert acks == [(me, [0, 1, 2, 3, 4]), (me, [5, 6, 7, 8, 9])]  # on the caller's thread
        assert warehouse.threads and me not in warehouse.threads  # inserts ran on the writer thread
    finally:
        warehouse.gate.set()
        w.close()


def test_a_background_failure_reaches_the_caller_and_loses_nothing() -> None:
    warehouse = FakeWarehouse(failures=1_000)
    w, acks = concurrent_writer(warehouse, max_rows=2)
    try:
        w.add(rows_for(tick(0)), 0)
        w.add(rows_for(tick(1)), 1)
        w.add(rows_for(tick(2)), 2)  # hands 0..1 to the writer thread, which will fail
        with pytest.raises(WarehouseUnavailableError):
            w.flush()
        assert acks == [] and w.pending_rows == 3
        warehouse.failures = 0
        w.flush()
        assert [positions for _, positions in acks] == [[0, 1], [2]]
        assert warehouse.rows("events_store") == 3
    finally:
        w.close()


def test_a_projector_block_flushes_on_exit_but_not_after_an_error() -> None:
    stored, acks = FakeWarehouse(), []
    with Projector[int](stored, on_ack=lambda positions: acks.append(list(positions))) as projector:
        projector.add(tick(0), 0)
        assert acks == []
    assert acks == [[0]] and stored.rows("events_store") == 1
    untouched, more_acks = FakeWarehouse(), []
    with (
        pytest.raises(RuntimeError, match="boom"),
        Projector[int](untouched, on_ack=lambda positions: more_acks.append(list(positions))) as projector,
    ):
        projector.add(tick(1), 1)
        raise RuntimeError("boom")
    assert more_acks == [] and untouched.inserts == []
