"""Migrations: ordered, applied once, idempotent when interrupted, refused when changed."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest

from projections.chdb_warehouse import ChdbWarehouse
from projections.migrate import MigrationError, load_migrations
from projections.tables import ALL_TABLES

ARROW_FOR = {
    "String": pa.string(),
    "DateTime64(3, 'UTC')": pa.timestamp("ms", tz="UTC"),
    "Decimal(38, 6)": pa.decimal128(38, 6),
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt32": pa.uint32(),
    "Int32": pa.int32(),
    "Int64": pa.int64(),
    "Bool": pa.bool_(),
    "Array(String)": pa.list_(pa.string()),
}


def _arrow_type(clickhouse_type: str) -> pa.DataType:
    bare = re.sub(r"^(Nullable|LowCardinality)\((.*)\)$", r"\2", clickhouse_type)
    bare = re.sub(r"^(Nullable|LowCardinality)\((.*)\)$", r"\2", bare)
    bare = bare.replace("Array(LowCardinality(String))", "Array(String)")
    return ARROW_FOR[bare]


def test_versions_run_in_order() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_storage_tables"


def test_a_second_migrate_applies_nothing(warehouse: ChdbWarehouse) -> None:
    assert warehouse.migrate() == ()
    recorded = warehouse.query("SELECT version FROM schema_migrations FINAL ORDER BY version").column(
        "version"
    )
    assert recorded == [m.version for m in load_migrations()]


def test_table_specs_match_the_tables_the_migrations_create(warehouse: ChdbWarehouse) -> None:
    for spec in ALL_TABLES:
        described = warehouse.query(f"DESCRIBE TABLE {spec.name}").as_dicts()
        stored = [
            (row["name"], _arrow_type(str(row["type"]))) for row in described if row["default_type"] == ""
        ]
        assert stored == [
            (name, arrow_type if name != "original" else pa.string()) for name, arrow_type in spec.columns
        ]


def test_an_interrupted_migration_is_applied_again(warehouse: ChdbWarehouse) -> None:
    last = load_migrations()[-1]
    warehouse.command(
        f"ALTER TABLE schema_migrations DELETE WHERE version = {last.version} SETTINGS mutations_sync = 1"
    )
    assert warehouse.migrate() == (last.name,)
    assert warehouse.query("SELECT count() FROM partner_scorecard_monthly").scalar() == 0


def test_a_migration_changed_after_it_was_applied_is_refused(warehouse: ChdbWarehouse) -> None:
    warehouse.insert(
        "schema_migrations",
        pa.table(
            {"version": pa.array([1], pa.uint32()), "name": ["0001_storage_tables"], "checksum": ["0" * 64]}
        ),
    )
    with pytest.raises(MigrationError, match=r"0001_storage_tables\.sql changed after it was applied"):
        warehouse.migrate()


def test_reset_drops_everything(warehouse: ChdbWarehouse) -> None:
    warehouse.reset()
    assert (
        warehouse.query("SELECT count() FROM system.tables WHERE database = currentDatabase()").scalar() == 0
    )
    assert len(warehouse.migrate()) == len(load_migrations())
