"""The generated fast paths of validation answer exactly as the rules they stand in for.

``validate`` first asks two generated predicates (``RecordPlan`` accepts for the wire value
checks, ``_field_checks`` for the blank, currency and sign rules) and runs the rules only when
one says no. Here every example, decoded and as parsed from JSON, with awkward values put in
each field, is validated both ways: the problems, messages included, must be the same.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from schemas import validation
from schemas.codec import decode, default_codec, encode
from schemas.events import EVENT_TYPES, Event
from schemas.problems import Problem
from schemas.reasons import ReasonCode
from schemas.wire import WireValueError
from tests.unit.schemas.examples import REFERENCE_TIME, SKEW, example

_AWKWARD: dict[str, list[object]] = {
    "money": [
        Decimal("12.340000"),
        Decimal("12.34"),
        Decimal("12.3400000"),
        Decimal("0.0000001"),
        Decimal("-0.000000"),
        Decimal("0E-10"),
        Decimal("-5.000000"),
        Decimal("9999999999999999999999.999999"),
        Decimal("10000000000000000000000.000000"),
        Decimal("-10000000000000000000000.000000"),
        Decimal("1E+30"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
    "time": [
        datetime(2026, 3, 1, 12, tzinfo=UTC),
        datetime(2026, 3, 1, 12),
        datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(0))),
    ],
    "int": [0, -1, 5, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63 - 1, 2**63, True],
    "text": ["", " ", "\u2003", "x", " x "],
    "texts": [(), ("a", ""), ("a", "\t"), ("a", "b")],
}


def _kind(value: object) -> str | None:
    if isinstance(value, Decimal):
        return "money"
    if isinstance(value, datetime):
        return "time"
    if type(value) is int:
        return "int"
    if isinstance(value, str) and not hasattr(value, "value"):
        return "text"
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return "texts"
    return None


def _slow_validate(event: Any) -> list[Problem]:
    """``validate`` with every rule run, the way it was before the fast paths."""
    problems = validation._envelope_problems(event, REFERENCE_TIME, SKEW)
    plan = default_codec()._plans[type(event).__name__]
    found: list[WireValueError] = []
    for name, convert in plan.value_checks:
        try:
            convert(getattr(event, name))
        except WireValueError as exc:
            found.append(exc.under(name))
    problems += [Problem(ReasonCode.SCHEMA_VIOLATION, exc.path, exc.message) for exc in found]
    problems += validation._blank_problems(event)
    problems += validation._currency_problems(event)
    problems += validation._negative_money_problems(event)
    problems += validation._specific_problems(event)
    return problems


def _variants(type_name: str) -> list[Any]:
    base = example(type_name)
    variants = [base, decode(encode(base))]
    if hasattr(base, "currency"):
        variants.append(dataclasses.replace(base, currency="XYZ"))
    for field in dataclasses.fields(base):
        kind = _kind(getattr(base, field.name))
        for value in _AWKWARD.get(kind or "", []) if field.name != "event_id" else []:
            variants.append(dataclasses.replace(base, **{field.name: value}))
    return variants


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_fast_paths_answer_as_every_rule_would(type_name: str) -> None:
    for event in _variants(type_name):
        try:
            expected = _slow_validate(event)
        except Exception as error:  # the rules themselves raise: so must the fast path
            with pytest.raises(type(error)):
                validation.validate(event, reference_time=REFERENCE_TIME, max_future_skew=SKEW)
            continue
        assert validation.validate(event, reference_time=REFERENCE_TIME, max_future_skew=SKEW) == expected


def test_decoded_events_take_the_fast_paths() -> None:
    for type_name in EVENT_TYPES:
        event = decode(encode(example(type_name)))
        assert isinstance(event, Event)
        assert default_codec()._plans[type_name]._accepts(event), type_name
        assert validation._field_checks()[type(event)](event), type_name
