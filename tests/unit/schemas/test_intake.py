"""The intake gate: bad bytes become dead letters with reason, original bytes and position."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

from schemas.codec import decode, encode
from schemas.events import SaleRecorded
from schemas.intake import MAX_MESSAGE_CHARS, SourcePosition, accept, dead_letter, from_rejected
from schemas.outputs import DeadLetter, Rejected
from schemas.reasons import ReasonCode
from schemas.topics import PARTNERS, SALES
from tests.unit.schemas.examples import REFERENCE_TIME, SKEW, example

POSITION = SourcePosition("cl.sales", 4, 1234)


def _accept(data: bytes, **options: object) -> SaleRecorded | DeadLetter:
    return accept(data, position=POSITION, reference_time=REFERENCE_TIME, max_future_skew=SKEW, **options)  # type: ignore[return-value, arg-type]


def test_a_valid_event_is_accepted() -> None:
    sale = example("SaleRecorded")
    assert _accept(encode(sale), allowed_types=SALES.value_types) == sale


def test_garbage_becomes_a_dead_letter_with_its_bytes_and_position() -> None:
    letter = _accept(b"not avro at all")
    assert isinstance(letter, DeadLetter)
    assert letter.reason_code == ReasonCode.UNDECODABLE.value
    assert letter.original == b"not avro at all"
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == ("cl.sales", 4, 1234)
    assert letter.failed_at == REFERENCE_TIME
    assert letter.event_id is None


def test_an_unknown_fingerprint_is_named() -> None:
    letter = _accept(b"\xc3\x01" + b"\xab" * 8 + b"\x00")
    assert isinstance(letter, DeadLetter)
    assert letter.reason_code == ReasonCode.UNKNOWN_FINGERPRINT.value


def test_an_invalid_event_keeps_its_identity_and_every_problem() -> None:
    bad = dataclasses.replace(example("SaleRecorded"), quantity=0, currency="EUX", amount=Decimal(0))
    data = encode(bad)
    letter = _accept(data, failed_at=REFERENCE_TIME + timedelta(seconds=1))
    assert isinstance(letter, DeadLetter)
    assert letter.reason_code == ReasonCode.UNKNOWN_CURRENCY.value  # the first problem's code
    assert "NON_POSITIVE_QUANTITY quantity" in letter.message
    assert (letter.event_id, letter.event_type) == (bad.event_id, "SaleRecorded")
    assert letter.original == data
    assert letter.failed_at == REFERENCE_TIME + timedelta(seconds=1)
    assert decode(encode(letter)) == letter  # the dead letter itself travels


def test_an_event_on_the_wrong_topic_is_refused() -> None:
    letter = _accept(encode(example("SaleRecorded")), allowed_types=PARTNERS.value_types)
    assert isinstance(letter, DeadLetter)
    assert letter.reason_code == ReasonCode.WRONG_TOPIC.value


def test_an_output_record_on_an_input_topic_is_refused() -> None:
    letter = _accept(encode(Rejected(event_id="e", event_type="SaleRecorded", reason_code="X", message="m")))
    assert isinstance(letter, DeadLetter)
    assert letter.reason_code == ReasonCode.UNKNOWN_EVENT_TYPE.value


def test_the_cores_refusal_becomes_a_dead_letter() -> None:
    sale = example("SaleRecorded")
    rejected = Rejected(
        event_id=sale.event_id,
        event_type="SaleRecorded",
        reason_code=ReasonCode.UNKNOWN_PARTNER.value,
        message="partner P-DE-0042 is not onboarded",
    )
    letter = from_rejected(rejected, encode(sale), position=POSITION, failed_at=REFERENCE_TIME)
    assert letter.reason_code == "UNKNOWN_PARTNER"
    assert letter.message == "partner P-DE-0042 is not onboarded"
    assert letter.event_id == sale.event_id
    assert decode(letter.original) == sale


def test_dead_letter_messages_are_bounded() -> None:
    letter = dead_letter(
        b"",
        reason_code=ReasonCode.SCHEMA_VIOLATION,
        message="x" * 10_000,
        position=POSITION,
        failed_at=REFERENCE_TIME,
    )
    assert len(letter.message) == MAX_MESSAGE_CHARS
