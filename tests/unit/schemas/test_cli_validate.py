"""``channel-ledger validate FILE``: every problem with its line, exit code 1 when any."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import structlog
from typer.testing import CliRunner

from schemas.jsonform import to_json
from services.cli import build_app
from tests.unit.schemas.examples import EXAMPLES_DIR, example, example_json

REFERENCE = ["--reference-time", "2027-06-01T00:00:00Z"]


@pytest.fixture(autouse=True)
def _unconfigure_logging() -> Iterator[None]:
    # The CLI's root callback configures structlog once, bound to the runner's stderr, which
    # CliRunner closes afterwards: leave no such configuration behind for later tests.
    yield
    structlog.reset_defaults()


def _run(*args: str, stdin: str | None = None) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(build_app(), ["validate", *args], input=stdin)
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_a_clean_example_passes() -> None:
    code, lines, err = _run(str(EXAMPLES_DIR / "SaleRecorded.json"), *REFERENCE)
    assert (code, lines) == (0, [])
    assert "1 record(s), no problems" in err


def test_jsonl_problems_are_printed_with_their_line(tmp_path: Path) -> None:
    good = to_json(example("SaleRecorded"))
    bad_quantity = to_json(
        dataclasses.replace(
            example("SaleRecorded"),
            event_id="5d7c0e1a-9b8f-4a2e-8c3d-1f0e9d8c7b6a",
            quantity=0,
            amount=Decimal(0),
        )
    )
    bad_rating = example_json("SupportCaseRated") | {"csat": 9}
    file = tmp_path / "events.jsonl"
    file.write_text(
        "\n".join(
            [
                json.dumps(good),
                json.dumps(bad_quantity),
                "",
                json.dumps(bad_rating),
                "{not json",
                json.dumps(good),
            ]
        )
        + "\n"
    )
    code, lines, err = _run(str(file), *REFERENCE)
    assert code == 1
    assert lines == [
        f"{file}:2: NON_POSITIVE_QUANTITY quantity: must be positive, got 0",
        f"{file}:4: CSAT_OUT_OF_RANGE csat: must be 1 to 5, got 9",
        f"{file}:5: UNDECODABLE: invalid JSON: Expecting property name enclosed in double quotes",
    ]
    assert "3 problem(s) in 3 of 5 record(s)" in err


def test_a_reused_event_id_with_other_content_is_caught_within_the_file(tmp_path: Path) -> None:
    sale = to_json(example("SaleRecorded"))
    same_id_other_amount = sale | {"quantity": 4, "amount": "73800.00"}
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(json.dumps(r) for r in (sale, sale, same_id_other_amount)) + "\n")
    code, lines, _ = _run(str(file), *REFERENCE)
    assert code == 1
    assert lines == [
        f"{file}:3: DUPLICATE_EVENT_ID event_id: {sale['event_id']} was used on line 1 for different content"
    ]  # line 2 repeats line 1 exactly: a redelivery, not a problem


def test_a_json_array_reports_lines_of_its_elements(tmp_path: Path) -> None:
    events = [example_json("ClockTicked"), example_json("PayoutIssued") | {"currency": "EUX"}]
    file = tmp_path / "events.json"
    file.write_text(json.dumps(events, indent=2) + "\n")
    code, lines, _ = _run(str(file), *REFERENCE)
    first_line_of_second = json.dumps(events, indent=2).splitlines().index("  {", 2) + 1
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{file}:{first_line_of_second}: UNKNOWN_CURRENCY currency:")


def test_future_timestamps_use_the_reference_time_and_skew() -> None:
    path = str(EXAMPLES_DIR / "SaleRecorded.json")  # occurred 2026-03-12T10:42:17.250Z
    code, lines, _ = _run(path, "--reference-time", "2026-03-12T10:00:00Z")
    assert code == 1 and "FUTURE_TIMESTAMP occurred_at" in lines[0]
    code, _, _ = _run(path, "--reference-time", "2026-03-12T10:00:00Z", "--max-future-skew-s", "3600")
    assert code == 0


def test_standard_input_and_output_records() -> None:
    text = json.dumps(
        {"record_type": "Rejected", "event_id": "e", "event_type": "X", "reason_code": "R", "message": ""}
    )
    code, lines, _ = _run("-", *REFERENCE, stdin=text + "\n")
    assert code == 1
    assert lines == [
        "<stdin>:1: UNKNOWN_EVENT_TYPE event_type: Rejected is an output record, not an input event"
    ]


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    code, _, err = _run(str(tmp_path / "missing.jsonl"))
    assert code == 2 and "cannot read" in err
    binary = tmp_path / "events.avro"
    binary.write_bytes(b"\xc3\x01\xff\xfe\x00\x81")
    code, _, err = _run(str(binary))
    assert code == 2 and "not UTF-8" in err


def test_a_reference_time_without_zone_is_refused() -> None:
    code, _, err = _run(str(EXAMPLES_DIR / "SaleRecorded.json"), "--reference-time", "2027-01-01T00:00:00")
    assert code == 2 and "no time zone" in err
