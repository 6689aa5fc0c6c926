"""Writing every batch twice, and replaying everything twice, leaves every query result the same."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from projections.chdb_warehouse import ChdbWarehouse
from projections.projector import Projector
from projections.rows import Record
from projections.saved_queries import saved_queries
from projections.tables import ALL_TABLES
from projections.warehouse import ParamValue, SqlValue, Warehouse
from projections.writer import BatchLimits
from tests.unit.projections.conftest import drop, open_fresh

Snapshot = dict[str, list[tuple[SqlValue, ...]]]


class WritesEveryBatchTwice(Warehouse):
    """The warehouse as a retrying client sees it: each insert arrives twice."""

    def __init__(self, inner: Warehouse, *, drop_token_on_second: bool = False) -> None:
        super().__init__(inner.database)
        self._inner = inner
        self._drop_token_on_second = drop_token_on_second

    def command(self, sql: str) -> None:
        self._inner.command(sql)

    def query_arrow(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> pa.Table:
        return self._inner.query_arrow(sql, params, read_only=read_only)

    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        self._inner.insert(table, data, dedup_token=dedup_token)
        self._inner.insert(table, data, dedup_token=None if self._drop_token_on_second else dedup_token)

    def close(self) -> None:
        """The inner warehouse belongs to the test fixture."""


def snapshot(warehouse: Warehouse) -> Snapshot:
    """Every view and every saved query, rows in a canonical order."""
    views = [
        str(name)
        for name in warehouse.query(
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'View' "
            "AND name != 'partner_scorecard' ORDER BY name"
        ).column("name")
    ]
    sqls = {f"view {name}": f"SELECT * FROM {name}" for name in views}
    sqls["scorecard yearly"] = "SELECT * FROM partner_scorecard(grain = 'year')"
    sqls.update({f"query {name}": sql for name, sql in saved_queries().items()})
    return {label: sorted(warehouse.query(sql).rows, key=repr) for label, sql in sqls.items()}


def project(warehouse: Warehouse, records: list[Record], batch_rows: int) -> None:
    projector: Projector[None] = Projector(warehouse, limits=BatchLimits(max_rows=batch_rows))
    projector.add_all(records)
    projector.flush()


def stored_rows(warehouse: Warehouse) -> dict[str, int]:
    counts = {}
    for spec in ALL_TABLES:
        count = warehouse.query(f"SELECT count() FROM {spec.name}").scalar()
        assert isinstance(count, int)
        counts[spec.name] = count
    return counts


def test_every_batch_twice_and_two_replays_give_the_same_answers(
    chdb_dir: Path, projected: ChdbWarehouse, dataset: list[Record]
) -> None:
    reference = snapshot(projected)
    empty = [label for label, rows in reference.items() if not rows]
    assert len(reference) >= 25 and not empty, f"every view and query must return rows: {empty} do not"

    doubled = open_fresh(chdb_dir)
    try:
        project(WritesEveryBatchTwice(doubled), dataset, batch_rows=1500)
        # same content, same tokens: the engine stored one copy of each block
        assert stored_rows(doubled) == stored_rows(projected)

        # two replays cut into other batches, in another order, the second copy of each
        # batch sent without a token: the blocks differ, so only the ReplacingMergeTree
        # keys (read with FINAL) keep the answers right
        shuffled = dataset[:]
        random.Random(3).shuffle(shuffled)
        project(WritesEveryBatchTwice(doubled, drop_token_on_second=True), shuffled, batch_rows=2500)
        project(doubled, dataset, batch_rows=100_000)
        assert sum(stored_rows(doubled).values()) > 2 * sum(stored_rows(projected).values())
        assert snapshot(doubled) == reference

        for spec in ALL_TABLES:  # merges collapse the copies into exactly the rows written once
            doubled.command(f"OPTIMIZE TABLE {spec.name} FINAL")
            merged = doubled.query(f"SELECT * FROM {spec.name}").rows
            once = projected.query(f"SELECT * FROM {spec.name} FINAL").rows
            assert sorted(merged, key=repr) == sorted(once, key=repr), spec.name
    finally:
        drop(doubled)
