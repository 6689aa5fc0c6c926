"""``channel-ledger generate``: a seeded dataset file, same options same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from services.cli import build_app
from services.datagen import read_avro_records, read_jsonl_lines

SMALL = ["--partners", "8", "--customers", "100"]


@pytest.fixture(autouse=True)
def _unconfigure_logging() -> Iterator[None]:
    # The CLI callback binds structlog to the runner's stderr, which CliRunner closes afterwards.
    yield
    structlog.reset_defaults()


def _generate(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), ["generate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_writes_exactly_n_avro_records_the_same_way_twice(tmp_path: Path) -> None:
    first, second = tmp_path / "a.avro", tmp_path / "b.avro"
    for out in (first, second):
        code, stdout, _ = _generate("--seed", "5", "--events", "3000", "--out", str(out), *SMALL)
        assert code == 0, stdout
    assert len(list(read_avro_records(first))) == 3000
    assert first.read_bytes() == second.read_bytes()
    assert "wrote 3000 records (3 invalid" in stdout
    assert "2026-01-01" in stdout


def test_writes_jsonl_with_the_chosen_options(tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    code, stdout, _ = _generate(
        "--events", "1500", "--format", "jsonl", "--out", str(out), "--invalid-rate", "0.02",
        "--start", "2025-03-01", "--no-programs", *SMALL,
    )  # fmt: skip
    assert code == 0, stdout
    lines = list(read_jsonl_lines(out))
    assert len(lines) == 1500
    assert lines[0].startswith(b'{"event_type":"PartnerOnboarded"')
    assert b'"occurred_at":"2025-03-01T' in lines[0]
    assert "(30 invalid" in stdout


def test_bad_options_are_reported_by_name(tmp_path: Path) -> None:
    code, _, stderr = _generate("--events", "10", "--out", str(tmp_path / "x"), "--conflict-rate", "1.5")
    assert code == 2
    assert "conflict_rate" in stderr
    assert not (tmp_path / "x").exists()
