"""The embedded pipeline end to end: deterministic outputs and scorecards, the demo command."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from processors.pipeline import CoreConfig
from projections.settings import EmbeddedSettings
from projections.warehouse import open_warehouse
from schemas.codec import encode
from schemas.outputs import ConflictAlert, DeadLetter, LedgerEntry
from services.datagen import DatagenConfig, generate_records, write_avro
from services.embedded import EmbeddedRunner, Record
from services.eventsource import read_source
from services.runfile import run_into

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "events.avro"
    write_avro(
        generate_records(DatagenConfig(seed=5, start=date(2026, 1, 1), days=120, events=4000, partners=20)),
        path,
    )
    return path


def _outputs(path: Path) -> list[bytes]:
    collected: list[Record] = []
    EmbeddedRunner(CoreConfig.from_programs_dir(), collected.append, NOW).run(
        read_source(path, failed_at=NOW)
    )
    return [encode(r) for r in collected if isinstance(r, LedgerEntry | ConflictAlert)]


def test_same_input_same_ledger_and_alerts_byte_for_byte(dataset: Path) -> None:
    first, second = _outputs(dataset), _outputs(dataset)
    assert len(first) > 1000
    assert first == second


def test_same_input_same_scorecards(dataset: Path, tmp_path: Path) -> None:
    settings = EmbeddedSettings(data_dir=tmp_path / "chdb")
    snapshots = []
    with open_warehouse(settings) as warehouse:
        for _ in range(2):
            warehouse.reset()
            warehouse.migrate()
            summary, rows = run_into(warehouse, dataset, config=CoreConfig.from_programs_dir(), now=NOW)
            assert rows > summary.accepted  # events plus outputs were written
            snapshots.append(
                [
                    _comparable(
                        warehouse.query(f"SELECT * FROM {view} ORDER BY ALL SETTINGS max_threads = 1").rows
                    )
                    for view in ("partner_scorecard_monthly", "partner_scorecard_quarterly", "alerts")
                ]
            )
            revenue = warehouse.query("SELECT sum(revenue) FROM partner_scorecard_monthly").scalar()
            assert revenue is not None and float(str(revenue)) > 0
    assert snapshots[0] == snapshots[1]


def _comparable(rows: tuple[tuple[object, ...], ...]) -> list[tuple[object, ...]]:
    """Rows with floats cut to 9 decimals: ClickHouse sums floats (hours, rates) across threads
    in an order that can move the last bits; money and counts are exact and compared as they are."""
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


def test_jsonl_line_that_is_not_an_event_becomes_a_dead_letter(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"event_type": "SaleRecorded", "event_id": "x"}\nnot json\n', encoding="utf-8")
    collected: list[Record] = []
    summary = EmbeddedRunner(CoreConfig.from_programs_dir(), collected.append, NOW).run(
        read_source(path, failed_at=NOW)
    )
    letters = [r for r in collected if isinstance(r, DeadLetter)]
    assert summary.records == 2 and summary.accepted == 0
    assert [letter.source_offset for letter in letters] == [1, 2]
    assert letters[1].reason_code == "UNDECODABLE" and letters[1].original == b"not json"


def test_demo_command_prints_tables_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "services", "demo", "--events", "3000", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for title in ("Partner leaderboard", "Outstanding balances", "Open conflicts by severity", "HTML report"):
        assert title in done.stdout
    assert "chDB data in" in done.stdout and "Settings(" not in done.stdout  # words, not a repr
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "chart-accruals-payouts" in report and "<script" not in report
    listing = subprocess.run(
        [
            sys.executable,
            "-m",
            "services",
            "query",
            "--data-dir",
            str(out / "chdb"),
            "--format",
            "json",
            "SELECT count() AS n FROM ledger_entries",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(listing.stdout)[0]["n"] > 0
