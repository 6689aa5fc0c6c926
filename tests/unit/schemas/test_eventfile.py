"""Reading event files: JSONL, arrays and pretty objects, each record with its line number."""

from __future__ import annotations

import io
import json

from schemas.eventfile import read_models, read_raw
from schemas.reasons import ReasonCode
from tests.unit.schemas.examples import example_json


def _raw(text: str) -> list[tuple[int, object, str | None]]:
    return [(r.line, r.value, r.syntax_error) for r in read_raw(io.StringIO(text))]


def test_jsonl_lines_keep_their_numbers_and_a_bad_line_does_not_stop_the_rest() -> None:
    text = '{"a": 1}\n\n{"a": 2\n{"a": 3}\n'
    records = _raw(text)
    assert [(line, value) for line, value, _ in records] == [(1, {"a": 1}), (3, None), (4, {"a": 3})]
    assert records[1][2] is not None and records[1][2].startswith("invalid JSON")


def test_a_broken_first_jsonl_line_is_still_read_as_jsonl() -> None:
    assert [line for line, _, _ in _raw('{"a": 1,,}\n{"a": 2}\n')] == [1, 2]


def test_array_elements_carry_the_line_they_start_on() -> None:
    text = '[\n  {"a": 1},\n  {\n    "a": 2\n  }\n]\n'
    assert [(line, value) for line, value, _ in _raw(text)] == [(2, {"a": 1}), (3, {"a": 2})]


def test_array_syntax_errors_are_reported_at_their_line() -> None:
    records = _raw('[\n {"a": 1},\n {"a": }\n]')
    assert records[0][:2] == (2, {"a": 1})
    assert records[1][0] == 3 and records[1][2] is not None
    assert _raw("[]") == []
    assert _raw('[{"a": 1}')[-1][2] == "invalid JSON: the array is not closed"


def test_pretty_objects_one_after_another() -> None:
    one = json.dumps(example_json("ClockTicked"), indent=2)
    two = json.dumps(example_json("PayoutReversed"), indent=2)
    records = _raw(one + "\n" + two + "\n")
    assert [line for line, _, _ in records] == [1, one.count("\n") + 2]
    assert records[1][1] == example_json("PayoutReversed")


def test_a_broken_pretty_object_gives_one_error_at_its_line() -> None:
    records = _raw('{\n  "a": 1,\n  "b": \n}\n')
    assert len(records) == 1
    assert records[0][0] == 4 and records[0][2] is not None


def test_empty_input_has_no_records() -> None:
    assert _raw("") == [] and _raw("\n\n  \n") == []


def test_models_or_problems() -> None:
    good = json.dumps(example_json("ClockTicked"))
    text = "\n".join([good, "[1, 2]", '"just a string"', '{"event_type": "Nope"}', "{oops"]) + "\n"
    records = list(read_models(io.StringIO(text)))
    assert records[0].model is not None and records[0].problems == ()
    assert [(r.line, r.problems[0].reason_code) for r in records[1:]] == [
        (2, ReasonCode.SCHEMA_VIOLATION),  # valid JSON, not an object
        (3, ReasonCode.SCHEMA_VIOLATION),
        (4, ReasonCode.UNKNOWN_EVENT_TYPE),
        (5, ReasonCode.UNDECODABLE),
    ]
