"""One contract for every warehouse adapter, run against each engine available here.

- ``TestChdbWarehouse``: the embedded engine, always.
- ``TestServerAdapterOverChdb``: the server adapter's clickhouse-connect calls, through
  clickhouse-connect's in-process chDB backend, so they run even without a server.
- ``TestServerWarehouse``: a real ClickHouse server, from ``CL_CLICKHOUSE_URL`` or started
  with testcontainers where a Docker engine answers; skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from projections.chdb_warehouse import ChdbWarehouse
from projections.migrate import load_migrations
from projections.projector import Projector
from projections.server_warehouse import ServerWarehouse
from projections.settings import EmbeddedSettings, Secret, ServerSettings, parse_clickhouse_url
from projections.sql import NotReadOnlyError
from projections.tables import ALL_TABLES
from projections.warehouse import Warehouse, WarehouseError
from tests.unit.projections.dataset import generate

pytestmark = pytest.mark.integration

CLICKHOUSE_IMAGE = "clickhouse/clickhouse-server:25.8"
MOMENT = datetime(2026, 2, 28, 23, 59, 59, 999_000, tzinfo=UTC)


def _sample(token_rows: int = 2) -> pa.Table:
    return pa.table(
        {
            "forgone_id": [f"f{n}" for n in range(token_rows)],
            "partner_id": ["P1"] * token_rows,
            "program_id": ["prog"] * token_rows,
            "program_version": pa.array([3] * token_rows, pa.uint32()),
            "rule_id": ["gate"] * token_rows,
            "bucket": ["spiff"] * token_rows,
            "period": ["2026-02"] * token_rows,
            "occurred_at": pa.array([MOMENT] * token_rows, pa.timestamp("ms", tz="UTC")),
            "amount": pa.array([Decimal("12.345678")] * token_rows, pa.decimal128(38, 6)),
            "currency": ["EUR"] * token_rows,
            "product_line": ["servers"] * token_rows,
            "reason": ["no certification"] * token_rows,
            "source_event_ids": [["e1", "e2"]] * token_rows,
        }
    )


class WarehouseContract:
    """What every adapter must do; subclasses supply ``migrated``, a migrated database for the class."""

    read_only_per_query = True
    """Whether ``query(..., read_only=True)`` can be checked on a read-write connection."""

    @pytest.fixture
    def warehouse(self, migrated: Warehouse) -> Warehouse:
        """The class's database with its storage emptied: migrating per test would be slow."""
        migrated.migrate()  # after a reset test
        for spec in ALL_TABLES:
            migrated.command(f"TRUNCATE TABLE {spec.name}")
        return migrated

    def test_migrations_create_every_table_and_view_once(self, warehouse: Warehouse) -> None:
        assert warehouse.migrate() == ()
        names = set(
            warehouse.query("SELECT name FROM system.tables WHERE database = currentDatabase()").column(
                "name"
            )
        )
        assert {spec.name for spec in ALL_TABLES} | {"partner_scorecard", "alerts", "registrations"} <= names
        applied = warehouse.query("SELECT count() FROM schema_migrations FINAL").scalar()
        assert applied == len(load_migrations())

    def test_insert_and_query_round_trip_every_type(self, warehouse: Warehouse) -> None:
        warehouse.insert("accruals_forgone_store", _sample(1), dedup_token=_token())
        row = warehouse.query("SELECT * FROM accruals_forgone").as_dicts()[0]
        assert row["occurred_at"] == MOMENT
        assert row["amount"] == Decimal("12.345678")
        assert row["program_version"] == 3
        assert row["source_event_ids"] == ["e1", "e2"]

    def test_an_insert_repeated_with_its_token_is_stored_once(self, warehouse: Warehouse) -> None:
        first, second = _token(), _token()
        warehouse.insert("accruals_forgone_store", _sample(), dedup_token=first)
        warehouse.insert("accruals_forgone_store", _sample(), dedup_token=first)
        assert warehouse.query("SELECT count() FROM accruals_forgone_store").scalar() == 2
        warehouse.insert("accruals_forgone_store", _sample(), dedup_token=second)
        assert warehouse.query("SELECT count() FROM accruals_forgone_store").scalar() == 4
        assert warehouse.query("SELECT count() FROM accruals_forgone").scalar() == 2

    def test_parameters_bind_with_their_types(self, warehouse: Warehouse) -> None:
        text = "it's a \\ back\tslash"
        result = warehouse.query(
            "SELECT {s:String} AS s, {n:Int64} AS n, {d:Decimal(38, 6)} AS d, {day:Date} AS day, "
            "{t:DateTime64(3, 'UTC')} AS t, {b:Bool} AS b",
            {"s": text, "n": -42, "d": Decimal("0.000001"), "day": date(2026, 2, 28), "t": MOMENT, "b": True},
        )
        assert result.rows == ((text, -42, Decimal("0.000001"), date(2026, 2, 28), MOMENT, True),)

    def test_an_empty_result_keeps_its_columns(self, warehouse: Warehouse) -> None:
        result = warehouse.query("SELECT partner_id, revenue FROM partner_scorecard_monthly")
        assert result.columns == ("partner_id", "revenue") and result.rows == ()

    def test_engine_errors_carry_the_engine_message(self, warehouse: Warehouse) -> None:
        with pytest.raises(WarehouseError, match="no_such_table"):
            warehouse.query("SELECT * FROM no_such_table")

    def test_read_only_queries_cannot_write(self, warehouse: Warehouse) -> None:
        with pytest.raises(NotReadOnlyError):
            warehouse.query_read_only("DROP TABLE events_store")
        if not self.read_only_per_query:
            pytest.skip("this connection applies settings session-wide; readonly=1 could not be undone")
        with pytest.raises((NotReadOnlyError, WarehouseError)):
            warehouse.query("CREATE TABLE sneaky (a UInt8) ENGINE = Memory", read_only=True)
        assert warehouse.query("EXISTS TABLE sneaky").scalar() == 0

    def test_the_projector_fills_the_scorecard(self, warehouse: Warehouse) -> None:
        projector: Projector[int] = Projector(warehouse)
        for position, record in enumerate(generate(partners=3, sales_per_partner=10)):
            projector.add(record, position)
        projector.flush()
        months, partners, revenue = warehouse.query(
            "SELECT count(), uniqExact(partner_id), sum(revenue) > 0 FROM partner_scorecard_monthly"
        ).rows[0]
        assert (months, partners, revenue) == (18, 3, True)
        assert warehouse.query("SELECT sum(balance) FROM balances").scalar() == Decimal(0)

    def test_reset_drops_every_projection(self, warehouse: Warehouse) -> None:
        warehouse.insert("accruals_forgone_store", _sample(), dedup_token=_token())
        warehouse.reset()
        assert (
            warehouse.query("SELECT count() FROM system.tables WHERE database = currentDatabase()").scalar()
            == 0
        )
        warehouse.migrate()
        assert warehouse.query("SELECT count() FROM accruals_forgone").scalar() == 0


@pytest.fixture(scope="module")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("contract-chdb")


def _database() -> str:
    return f"contract_{uuid.uuid4().hex[:12]}"


def _token() -> str:
    """A token of its own per insert: a truncated table may still remember earlier tokens."""
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def chdb_migrated(chdb_dir: Path) -> Iterator[Warehouse]:
    opened = ChdbWarehouse.open(EmbeddedSettings(data_dir=chdb_dir, database=_database()))
    opened.migrate()
    try:
        yield opened
    finally:
        opened.command(f"DROP DATABASE IF EXISTS {opened.database} SYNC")
        opened.close()


class TestChdbWarehouse(WarehouseContract):
    @pytest.fixture
    def migrated(self, chdb_migrated: Warehouse) -> Warehouse:
        return chdb_migrated

    def test_a_second_data_directory_is_refused_while_one_is_open(
        self, warehouse: Warehouse, tmp_path: Path
    ) -> None:
        with pytest.raises(WarehouseError, match="one data directory per process"):
            ChdbWarehouse.open(EmbeddedSettings(data_dir=tmp_path / "other"))

    def test_a_read_only_engine_refuses_writes_itself(self, warehouse: Warehouse, chdb_dir: Path) -> None:
        reader = ChdbWarehouse.open(
            EmbeddedSettings(data_dir=chdb_dir, database=warehouse.database), read_only=True
        )
        try:
            with pytest.raises(WarehouseError, match="readonly"):
                reader.command("CREATE TABLE sneaky (a UInt8) ENGINE = Memory")
            assert reader.query("SELECT count() FROM events").scalar() == 0
        finally:
            reader.close()


@pytest.fixture(scope="module")
def connect_over_chdb_migrated(chdb_dir: Path) -> Iterator[Warehouse]:
    import clickhouse_connect

    database = _database()
    client = clickhouse_connect.get_client(dsn=f"chdb://{chdb_dir}")
    client.command(f"CREATE DATABASE {database}")
    client.database = database
    opened = ServerWarehouse(client, database)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        opened.close()


class TestServerAdapterOverChdb(WarehouseContract):
    """``ServerWarehouse`` driving clickhouse-connect's chDB backend instead of HTTP."""

    read_only_per_query = False  # that backend applies per-query settings with SET

    @pytest.fixture
    def migrated(self, connect_over_chdb_migrated: Warehouse) -> Warehouse:
        return connect_over_chdb_migrated


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # any failure means no usable engine
        return False


@pytest.fixture(scope="module")
def server() -> Iterator[ServerSettings]:
    """A ClickHouse server: ``CL_CLICKHOUSE_URL`` if set, else a testcontainers one."""
    url = os.environ.get("CL_CLICKHOUSE_URL", "").strip()
    if url:
        yield parse_clickhouse_url(url)
        return
    if not _docker_answers():
        pytest.skip(
            "no ClickHouse server: CL_CLICKHOUSE_URL is not set and no Docker engine answers "
            f"(testcontainers would start {CLICKHOUSE_IMAGE})"
        )
    from testcontainers.community.clickhouse import ClickHouseContainer

    with ClickHouseContainer(CLICKHOUSE_IMAGE) as container:
        yield ServerSettings(
            host=container.get_container_host_ip(),
            port=int(container.get_exposed_port(8123)),
            user=container.username,
            password=Secret(container.password),
        )


@pytest.fixture(scope="module")
def server_migrated(server: ServerSettings) -> Iterator[Warehouse]:
    opened = ServerWarehouse.connect(replace(server, database=_database()))
    opened.migrate()
    try:
        yield opened
    finally:
        opened.command(f"DROP DATABASE IF EXISTS {opened.database} SYNC")
        opened.close()


class TestServerWarehouse(WarehouseContract):
    @pytest.fixture
    def migrated(self, server_migrated: Warehouse) -> Warehouse:
        return server_migrated
