"""``channel-ledger query`` and ``channel-ledger rebuild`` against an embedded warehouse."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from projections.chdb_warehouse import ChdbWarehouse
from projections.rows import Record
from schemas.jsonform import to_json
from services.cli import build_app
from tests.unit.projections.conftest import drop, open_fresh

runner = CliRunner()


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures logging onto the runner's captured stderr, closed after each run."""
    was_configured = structlog.is_configured()
    saved = structlog.get_config()
    root_handlers = logging.getLogger().handlers[:]
    yield
    logging.getLogger().handlers[:] = root_handlers
    if was_configured:
        structlog.configure(**saved)
    else:
        structlog.reset_defaults()


ENV = {"CL_CLICKHOUSE_URL": "", "CL_CHDB_PATH": "", "CL_WAREHOUSE_DATABASE": ""}


def invoke(warehouse: ChdbWarehouse, *args: str) -> tuple[int, str, str]:
    target = ["--data-dir", str(warehouse.path), "--database", warehouse.database]
    result = runner.invoke(build_app(), [*args, *target], env=ENV)
    return result.exit_code, result.stdout, result.stderr


REVENUE = (
    "SELECT partner_id, revenue FROM partner_scorecard_quarterly "
    "WHERE period = '2026-04-01' ORDER BY partner_id"
)


def test_prints_a_table_by_default(projected: ChdbWarehouse) -> None:
    code, out, _ = invoke(projected, "query", REVENUE)
    assert code == 0
    expected = projected.query(REVENUE).rows
    assert "partner_id" in out and "revenue" in out and f"{len(expected)} rows" in out
    for partner_id, revenue in expected:
        assert str(partner_id) in out and str(revenue) in out


def test_csv_and_json_carry_the_exact_values(projected: ChdbWarehouse) -> None:
    expected = projected.query(REVENUE).rows
    code, out, _ = invoke(projected, "query", REVENUE, "--format", "csv")
    assert code == 0
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == ["partner_id", "revenue"]
    assert [(row[0], Decimal(row[1])) for row in parsed[1:]] == list(expected)
    code, out, _ = invoke(projected, "query", REVENUE, "--format", "json")
    assert code == 0
    assert [(row["partner_id"], Decimal(row["revenue"])) for row in json.loads(out)] == list(expected)


def test_parameters_fill_placeholders(projected: ChdbWarehouse) -> None:
    sql = "SELECT count() AS n FROM partner_scorecard(grain = {grain:String})"
    code, out, _ = invoke(projected, "query", sql, "--param", "grain=quarter", "-f", "json")
    assert code == 0 and json.loads(out) == [{"n": 12}]


def test_saved_queries_are_listed_and_run(projected: ChdbWarehouse) -> None:
    code, out, _ = invoke(projected, "query", "--list")
    assert code == 0 and len(out.strip().splitlines()) == 6 and "outstanding_balances\t" in out
    code, out, _ = invoke(projected, "query", "--saved", "outstanding_balances", "-f", "json")
    assert code == 0
    assert {row["partner_id"] for row in json.loads(out)} == {f"P0{n}" for n in range(1, 7)}


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DROP TABLE events_store", "refused: only read-only statements"),
        ("SELECT 1; DROP TABLE events_store", "refused: one statement at a time"),
        ("INSERT INTO events_store (event_id) VALUES ('x')", "refused: only read-only statements"),
    ],
)
def test_writes_are_refused_and_change_nothing(projected: ChdbWarehouse, sql: str, message: str) -> None:
    before = projected.query("SELECT count() FROM events_store").scalar()
    code, _, err = invoke(projected, "query", sql)
    assert code == 2 and message in err
    assert projected.query("SELECT count() FROM events_store").scalar() == before


def test_the_engine_itself_is_read_only_for_the_command(projected: ChdbWarehouse) -> None:
    """A reading statement that tries to lift the engine's read-only setting is refused by it."""
    code, _, err = invoke(projected, "query", "SELECT * FROM events_store WHERE 0 SETTINGS readonly = 0")
    assert code == 1 and "readonly" in err.lower()


def test_a_failing_query_says_why(projected: ChdbWarehouse) -> None:
    code, _, err = invoke(projected, "query", "SELECT * FROM no_such_table")
    assert code == 1 and "query failed" in err and "no_such_table" in err


def test_rebuild_projects_a_file_from_scratch(chdb_dir: Path, dataset: list[Record], tmp_path: Path) -> None:
    events = tmp_path / "log.jsonl"
    with events.open("w", encoding="utf-8") as stream:
        for record in dataset:
            stream.write(json.dumps(to_json(record)) + "\n")
        stream.write("{not json\n")
    target = open_fresh(chdb_dir)
    try:
        target.command(  # a stale row that the rebuild must drop
            "INSERT INTO events_store (event_id, event_type, occurred_at) VALUES ('stale', 'X', now())"
        )
        code, out, err = invoke(target, "rebuild", "--input", str(events), "--yes")
        assert code == 1, "the broken last line is reported"
        assert f"rebuilt {target.database}: {len(dataset)} records" in out
        assert f"{events}:{len(dataset) + 1}:" in err
        assert target.query("SELECT count() FROM events WHERE event_id = 'stale'").scalar() == 0
        assert target.query("SELECT count() FROM partner_scorecard_monthly").scalar() == 36
    finally:
        drop(target)
