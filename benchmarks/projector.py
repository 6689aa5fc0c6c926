"""Rows/s into chDB through the projector, next to a bare Arrow insert of the same rows.

    python benchmarks/projector.py [--records 300000] [--batch-rows 100000]

The projector path is everything a pipeline pays per record: mapping the model to rows,
batching, building Arrow columns, the dedup token, and the insert. The baseline inserts
Arrow tables built beforehand (outside the timing) from the very same rows, with the same
batch boundaries, into an identical fresh database: the engine's own cost. Target >= 0.5x.
"""

from __future__ import annotations

import argparse
import gc
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from projections.chdb_warehouse import ChdbWarehouse
from projections.projector import Projector
from projections.rows import Record, RowShape, rows_for
from projections.settings import EmbeddedSettings
from projections.warehouse import Warehouse
from projections.writer import BatchLimits, build_table
from schemas.events import (
    Resolution,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
    Severity,
    SupportCaseOpened,
    SupportCaseResolved,
)
from schemas.outputs import Bucket, EntryKind, LedgerEntry, Posting

START = datetime(2025, 1, 1, tzinfo=UTC)


def realistic_records(count: int, seed: int = 1) -> list[Record]:
    """A pipeline's output mix: sales with their accruals, some returns and support cases."""
    rng = random.Random(seed)
    records: list[Record] = []
    n = 0
    while len(records) < count:
        n += 1
        partner = f"P{rng.randrange(500):04d}"
        when = START + timedelta(seconds=rng.randrange(365 * 86400), milliseconds=rng.randrange(1000))
        quantity = rng.randrange(1, 20)
        price = Decimal(rng.randrange(1000, 100000)) / 100
        sale = SaleRecorded(
            event_id=f"evt-{n}",
            occurred_at=when,
            source="erp",
            sale_id=f"sale-{n}",
            channel=SaleChannel.PARTNER,
            partner_id=partner,
            customer_id=f"C{rng.randrange(20000)}",
            customer_territory="DE",
            sku=f"SKU-{rng.randrange(300)}",
            product_line=rng.choice(("servers", "storage", "network")),
            quantity=quantity,
            unit_price=price,
            amount=price * quantity,
            currency="EUR",
        )
        rebate = (sale.amount * Decimal("0.03")).quantize(Decimal("0.01"))
        records.append(sale)
        records.append(
            LedgerEntry(
                entry_id=f"entry-{n}",
                kind=EntryKind.ACCRUAL,
                partner_id=partner,
                program_id="prog-2025",
                program_version=1,
                rule_id="rebate",
                bucket=Bucket.REBATE,
                tier="GOLD",
                period=when.strftime("%Y-%m"),
                occurred_at=when,
                postings=(
                    Posting(account="vendor:expense:prog-2025:rebate", amount=rebate, currency="EUR"),
                    Posting(account=f"partner:{partner}:prog-2025:rebate", amount=-rebate, currency="EUR"),
                ),
                source_event_ids=(sale.event_id,),
                memo="rebate accrual",
            )
        )
        if rng.random() < 0.1:
            records.append(
                SaleReturned(
                    event_id=f"ret-evt-{n}",
                    occurred_at=when + timedelta(days=3),
                    source="erp",
                    return_id=f"ret-{n}",
                    sale_id=sale.sale_id,
                    partner_id=partner,
                    customer_id=sale.customer_id,
                    quantity=1,
                    amount=price,
                    currency="EUR",
                    reason="damaged",
                )
            )
        if rng.random() < 0.2:
            records.append(
                SupportCaseOpened(
                    event_id=f"case-evt-{n}",
                    occurred_at=when + timedelta(days=1),
                    source="desk",
                    case_id=f"case-{n}",
                    partner_id=partner,
                    customer_id=sale.customer_id,
                    sku=sale.sku,
                    severity=Severity.P3,
                )
            )
            records.append(
                SupportCaseResolved(
                    event_id=f"case-done-{n}",
                    occurred_at=when + timedelta(days=2),
                    source="desk",
                    case_id=f"case-{n}",
                    partner_id=partner,
                    resolution=Resolution.FIXED,
                )
            )
    return records[:count]


def fresh(data_dir: Path, name: str) -> ChdbWarehouse:
    warehouse = ChdbWarehouse.open(EmbeddedSettings(data_dir=data_dir, database=name))
    warehouse.reset()
    warehouse.migrate()
    return warehouse


InsertPath = Callable[[Warehouse, list[Record], int], tuple[int, float]]


def measured(
    data_dir: Path, database: str, path: InsertPath, records: list[Record], batch_rows: int
) -> tuple[int, float, int]:
    """Run one path into a fresh database, then drop it so its merges do not slow the next run."""
    warehouse = fresh(data_dir, database)
    try:
        rows, seconds = path(warehouse, records, batch_rows)
        events = int(str(warehouse.query("SELECT count() FROM events").scalar()))
        warehouse.command(f"DROP DATABASE {database} SYNC")
    finally:
        warehouse.close()
    return rows, seconds, events


def through_projector(warehouse: Warehouse, records: list[Record], batch_rows: int) -> tuple[int, float]:
    limits = BatchLimits(max_rows=batch_rows, max_age_s=3600)
    started = time.perf_counter()
    with Projector[int](warehouse, limits=limits) as projector:
        for position, record in enumerate(records):
            projector.add(record, position)
    return projector.stats.rows_written, time.perf_counter() - started


def bare_arrow(warehouse: Warehouse, records: list[Record], batch_rows: int) -> tuple[int, float]:
    """The same rows, cut at the same points, as Arrow tables built before the clock starts."""
    batches: list[dict[RowShape, list[tuple[object, ...]]]] = [{}]
    in_batch = 0
    for record in records:
        if in_batch >= batch_rows:
            batches.append({})
            in_batch = 0
        for shape, row in rows_for(record):
            batches[-1].setdefault(shape, []).append(row)
            in_batch += 1
    prepared = []
    for batch in batches:
        by_table: dict[str, list[tuple[RowShape, list[tuple[object, ...]]]]] = {}
        for shape, rows in batch.items():
            by_table.setdefault(shape.table.name, []).append((shape, rows))
        prepared.append({name: build_table(groups[0][0].table, groups) for name, groups in by_table.items()})
    rows = sum(table.num_rows for tables in prepared for table in tables.values())
    started = time.perf_counter()
    for tables in prepared:
        for name, table in sorted(tables.items()):
            warehouse.insert(name, table)
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path; the best is reported")
    args = parser.parse_args()
    records = realistic_records(args.records)
    # The records stand in for a stream: keep the garbage collector from re-scanning them,
    # as it would not scan records a streaming source has already let go of.
    gc.collect()
    gc.freeze()
    base_times: list[float] = []
    proj_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="cl-bench-") as tmp:
        data_dir = Path(tmp)
        for _ in range(args.repeat):  # alternate the two paths so load on the machine hits both
            base_rows, seconds, _ = measured(data_dir, "bench_bare", bare_arrow, records, args.batch_rows)
            base_times.append(seconds)
            proj_rows, seconds, count = measured(
                data_dir, "bench_projector", through_projector, records, args.batch_rows
            )
            proj_times.append(seconds)
    assert proj_rows == base_rows, (proj_rows, base_rows)
    base_s, proj_s = min(base_times), min(proj_times)
    base_rate, proj_rate = base_rows / base_s, proj_rows / proj_s
    print(f"records: {len(records):,} -> rows: {proj_rows:,} ({count:,} events)")
    print(f"batches of {args.batch_rows:,} rows; best of {args.repeat} runs each")
    print(f"bare Arrow insert (baseline): {base_rate:12,.0f} rows/s  ({base_s:.2f} s)")
    print(
        f"through the projector:        {proj_rate:12,.0f} rows/s  ({proj_s:.2f} s)"
        f"  = {len(records) / proj_s:,.0f} records/s"
    )
    print(f"ratio: {proj_rate / base_rate:.2f}x (target >= 0.5x)")


if __name__ == "__main__":
    main()
