"""The delivered stream: business-time order apart from late events, exact invalid counts,
and every invalid payload refused for the reason it was built to fail with."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from schemas.codec import decode
from schemas.events import Event
from schemas.intake import SourcePosition, accept
from schemas.jsonform import JsonFormError, from_json
from schemas.outputs import DeadLetter
from schemas.reasons import ReasonCode
from schemas.validation import validate
from services.datagen import (
    DatagenConfig,
    GeneratedRecord,
    InvalidKind,
    InvalidRecord,
    ValidRecord,
    avro_record,
    generate_records,
    json_line,
)
from tests.unit.datagen.conftest import SMALL

REFERENCE = datetime(2100, 1, 1, tzinfo=UTC)
"""Validation's notion of now: far after the data, so no generated event is 'in the future'."""
SKEW = timedelta(minutes=5)
POSITION = SourcePosition("generated", 0, 0)


def _json_reason(line: bytes) -> ReasonCode | None:
    try:
        model = from_json(json.loads(line))
    except json.JSONDecodeError:
        return ReasonCode.UNDECODABLE
    except JsonFormError as exc:
        return exc.reason_code
    if not isinstance(model, Event):
        return ReasonCode.UNKNOWN_EVENT_TYPE
    problems = validate(model, reference_time=REFERENCE, max_future_skew=SKEW)
    return problems[0].reason_code if problems else None


def _avro_reason(data: bytes) -> ReasonCode | None:
    result = accept(data, position=POSITION, reference_time=REFERENCE, max_future_skew=SKEW)
    return ReasonCode(result.reason_code) if isinstance(result, DeadLetter) else None


def test_exactly_the_requested_number_of_records(small_records: list[GeneratedRecord]) -> None:
    assert len(small_records) == SMALL.events


def test_events_are_in_business_time_order_apart_from_late_ones(small_records: list[GeneratedRecord]) -> None:
    valid = [r for r in small_records if isinstance(r, ValidRecord)]
    on_time = [r.event.occurred_at for r in valid if not r.late]
    assert on_time == sorted(on_time)
    late = [r for r in valid if r.late]
    assert len(late) > 20
    # Late means out of order: delivered after an event with a later business time.
    latest = datetime.min.replace(tzinfo=UTC)
    overtaken = 0
    for record in valid:
        if record.late and record.event.occurred_at < latest:
            overtaken += 1
        latest = max(latest, record.event.occurred_at)
    assert overtaken >= len(late) * 0.9


def test_late_events_arrive_within_the_configured_delay(small_records: list[GeneratedRecord]) -> None:
    latest = datetime.min.replace(tzinfo=UTC)
    for record in small_records:
        if not isinstance(record, ValidRecord):
            continue
        if record.late:
            assert latest - record.event.occurred_at <= timedelta(hours=SMALL.late_max_hours)
        else:
            latest = max(latest, record.event.occurred_at)


def test_invalid_records_are_exactly_the_configured_share_of_every_prefix(
    small_records: list[GeneratedRecord],
) -> None:
    invalid = 0
    for count, record in enumerate(small_records, start=1):
        invalid += isinstance(record, InvalidRecord)
        assert invalid == math.floor(count * SMALL.invalid_rate)
    assert invalid == 150


def test_every_defect_kind_is_injected(small_records: list[GeneratedRecord]) -> None:
    kinds = {r.kind for r in small_records if isinstance(r, InvalidRecord)}
    assert kinds == set(InvalidKind)


def test_invalid_payloads_are_refused_for_their_reason_in_both_formats(
    small_records: list[GeneratedRecord],
) -> None:
    invalid = [r for r in small_records if isinstance(r, InvalidRecord)]
    for record in invalid:
        assert _avro_reason(avro_record(record)) is record.reason, record
        assert _json_reason(json_line(record)) is record.reason, record


def test_valid_events_pass_validation_in_both_formats(small_records: list[GeneratedRecord]) -> None:
    valid = [r for r in small_records if isinstance(r, ValidRecord)]
    for record in valid[::7]:  # a spread sample keeps this test quick
        data = avro_record(record)
        assert _avro_reason(data) is None, record
        assert decode(data) == record.event
        line = json_line(record)
        assert b"\n" not in line
        assert _json_reason(line) is None, record
        assert from_json(json.loads(line)) == record.event


def test_zero_rates_inject_nothing() -> None:
    config = DatagenConfig(
        seed=2, events=3000, partners=8, customers=100, conflict_rate=0, late_rate=0, invalid_rate=0,
        overpayment_rate=0,
    )  # fmt: skip
    records = list(generate_records(config))
    assert all(isinstance(r, ValidRecord) and not r.late and r.staged is None for r in records)
