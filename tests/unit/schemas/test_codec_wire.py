"""The wire format: single-object framing, fingerprints, decode errors with reason codes."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import struct
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import avro.schema
import pytest
from fastavro import parse_schema, schemaless_writer

from schemas import wire
from schemas.codec import DecodeError, EncodeError, decode, default_codec, encode
from schemas.events import PartnerOnboarded, SaleRecorded
from schemas.jsonform import from_json
from schemas.outputs import EntryKind, LedgerEntry, Posting
from schemas.reasons import ReasonCode
from schemas.schema_store import default_store
from schemas.wire import _money_from_wire, _money_to_wire
from tests.unit.schemas.wireview import wire_view

EXAMPLES = default_store().current["SaleRecorded"].path.parents[2] / "examples"


def example(name: str) -> Any:
    return from_json(json.loads((EXAMPLES / f"{name}.json").read_text()))


def crc64_avro(data: bytes) -> int:
    """CRC-64-AVRO written from the Avro specification, independent of both libraries."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


_WRAPPED_PRIMITIVE = re.compile(r'\{"type":"(null|boolean|int|long|float|double|bytes|string)"\}')


@pytest.mark.parametrize("type_name", sorted(default_store().current))
def test_canonical_forms_agree_with_the_avro_library(type_name: str) -> None:
    # The avro library leaves a logical type's primitive as {"type":"long"} where Java (and
    # fastavro) write "long" per [PRIMITIVES]; reduce that one difference, then all must agree.
    stored = default_store().current[type_name]
    official = avro.schema.parse(json.dumps(dict(stored.definition))).canonical_form
    assert stored.canonical_form == _WRAPPED_PRIMITIVE.sub(r'"\1"', official)
    assert stored.fingerprint == struct.pack("<Q", crc64_avro(stored.canonical_form.encode()))


def test_schemas_without_logical_types_get_the_avro_librarys_fingerprint() -> None:
    stored = default_store().current["Rejected"]  # strings only
    official = avro.schema.parse(json.dumps(dict(stored.definition)))
    assert stored.fingerprint == official.fingerprint("CRC-64-AVRO")


def test_header_is_magic_and_little_endian_fingerprint() -> None:
    sale = example("SaleRecorded")
    data = encode(sale)
    canonical = default_store().current["SaleRecorded"].canonical_form.encode()
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == struct.pack("<Q", crc64_avro(canonical))


@pytest.mark.parametrize(
    ("amount", "unscaled_bytes"),
    [("0", "00"), ("0.000127", "7f"), ("0.000128", "0080"), ("-0.000001", "ff"), ("-0.000128", "80")],
)
def test_money_is_the_shortest_twos_complement(amount: str, unscaled_bytes: str) -> None:
    # As Java's BigInteger.toByteArray writes it (fastavro spends a byte more on -128).
    assert _money_to_wire(Decimal(amount)) == bytes.fromhex(unscaled_bytes)
    assert _money_from_wire(bytes.fromhex(unscaled_bytes)) == Decimal(amount)


def test_decimal_bytes_match_fastavros_own_logical_writer() -> None:
    # The codec converts money itself; its bytes must equal a standard writer's.
    stored = default_store().current["SaleRecorded"]
    with_logical_types = parse_schema(dict(stored.definition))
    for unit_price in ("0", "0.000127", "-1", "199.99", "-2399.88", "9999999999999999999999.999999"):
        price = Decimal(unit_price)
        sale = dataclasses.replace(example("SaleRecorded"), unit_price=price, amount=-price)
        body = io.BytesIO()
        schemaless_writer(body, with_logical_types, wire_view(sale))
        assert encode(sale)[10:] == body.getvalue(), unit_price


def _body(model: object) -> bytes:
    return encode(model)[10:]  # type: ignore[arg-type]


def _with_event_type(event_type: str) -> bytes:
    stored = default_store().current["SaleRecorded"]
    record = wire_view(example("SaleRecorded"))
    record["event_type"] = event_type
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(dict(stored.definition)), record)
    return b"\xc3\x01" + stored.fingerprint + body.getvalue()


@pytest.mark.parametrize(
    ("data", "reason_code"),
    [
        (b"", ReasonCode.UNDECODABLE),
        (b"\xc3", ReasonCode.UNDECODABLE),
        (b'{"event_type": "SaleRecorded"}', ReasonCode.UNDECODABLE),
        (b"\x00\x00\x00\x00\x01" + b"payload", ReasonCode.UNDECODABLE),  # Confluent framing
        (b"\xc3\x01\x01\x02\x03", ReasonCode.UNDECODABLE),  # header cut short
        (b"\xc3\x01" + b"\x00" * 8 + b"body", ReasonCode.UNKNOWN_FINGERPRINT),
    ],
    ids=["empty", "one-byte", "json", "confluent", "short-header", "unknown-fingerprint"],
)
def test_bad_framing_is_refused_with_its_reason(data: bytes, reason_code: ReasonCode) -> None:
    with pytest.raises(DecodeError) as raised:
        decode(data)
    assert raised.value.reason_code is reason_code
    assert raised.value.message


def test_body_that_does_not_match_the_writer_schema_is_undecodable() -> None:
    data = encode(example("SaleRecorded"))
    for broken in (data[:-3], data + b"\x00", data[:10] + b"\xff" * 40):
        with pytest.raises(DecodeError) as raised:
            decode(broken)
        assert raised.value.reason_code is ReasonCode.UNDECODABLE


def test_bytes_written_for_another_schema_are_refused() -> None:
    # A PartnerOnboarded body framed with the SaleRecorded fingerprint ("wrong fingerprint").
    partner_body = _body(example("PartnerOnboarded"))
    sale_header = encode(example("SaleRecorded"))[:10]
    with pytest.raises(DecodeError) as raised:
        decode(sale_header + partner_body)
    assert raised.value.reason_code is ReasonCode.UNDECODABLE


def test_event_type_must_match_the_writer_schema() -> None:
    with pytest.raises(DecodeError) as unknown:
        decode(_with_event_type("SaleCancelled"))
    assert unknown.value.reason_code is ReasonCode.UNKNOWN_EVENT_TYPE
    with pytest.raises(DecodeError) as other:
        decode(_with_event_type("SaleReturned"))
    assert other.value.reason_code is ReasonCode.SCHEMA_VIOLATION
    assert isinstance(decode(_with_event_type("SaleRecorded")), SaleRecorded)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": datetime(2026, 3, 1, 12, 0)}, "occurred_at"),  # naive
        ({"amount": Decimal("55350.0000001")}, "amount"),  # 7 places
        ({"amount": Decimal("1E+22")}, "amount"),  # 23 digits before the point
        ({"amount": Decimal("NaN")}, "amount"),
        ({"quantity": 2**63}, "quantity"),  # beyond an Avro long
        ({"schema_version": 2**31}, "schema_version"),  # beyond an Avro int
        ({"partner_id": 42}, "partner_id"),
    ],
)
def test_unrepresentable_values_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    sale = dataclasses.replace(example("SaleRecorded"), **change)
    with pytest.raises(EncodeError) as raised:
        encode(sale)
    assert raised.value.field == field
    assert raised.value.type_name == "SaleRecorded"


def test_nested_field_errors_name_the_path() -> None:
    entry = LedgerEntry(
        entry_id="e-1",
        kind=EntryKind.ACCRUAL,
        partner_id="P-1",
        program_id="VAR-REBATE-2026",
        program_version=1,
        rule_id="volume",
        bucket=None,
        tier=None,
        period="2026-03",
        occurred_at=datetime.fromisoformat("2026-03-01T00:00:00+00:00"),
        postings=(
            Posting(account="expense", amount=Decimal("0.0000001"), currency="EUR"),
            Posting(account="partner", amount=Decimal("-0.0000001"), currency="EUR"),
        ),
        source_event_ids=("x",),
        memo="",
    )
    with pytest.raises(EncodeError) as raised:
        encode(entry)
    assert raised.value.field == "postings[0].amount"


def test_a_tuple_field_given_a_string_is_refused() -> None:
    partner = dataclasses.replace(example("PartnerOnboarded"), territories="DE")
    assert isinstance(partner, PartnerOnboarded)
    with pytest.raises(EncodeError) as raised:
        encode(partner)
    assert raised.value.field == "territories"


def test_a_class_without_schema_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class NotAContract:
        x: int

    with pytest.raises(EncodeError):
        encode(NotAContract(1))  # type: ignore[arg-type]


def test_every_history_version_is_registered() -> None:
    labels = set(default_codec().fingerprints().values())
    assert "SaleRecorded v1" in labels
    assert "SaleRecorded (current)" in labels
    # v2 is the current schema: one fingerprint, read without resolution
    assert "SaleRecorded v2" not in labels


def test_times_are_truncated_to_milliseconds_as_declared() -> None:
    sale = dataclasses.replace(
        example("SaleRecorded"), occurred_at=datetime.fromisoformat("2026-03-01T12:00:00.123999+00:00")
    )
    decoded = decode(encode(sale))
    assert isinstance(decoded, SaleRecorded)
    assert decoded.occurred_at == datetime.fromisoformat("2026-03-01T12:00:00.123+00:00")


def test_a_model_invariant_broken_on_the_wire_is_a_schema_violation() -> None:
    stored = default_store().current["LedgerEntry"]
    record = {
        "entry_id": "e",
        "kind": "ACCRUAL",
        "partner_id": "P-1",
        "program_id": "p",
        "program_version": 1,
        "rule_id": "r",
        "bucket": None,
        "tier": None,
        "period": "2026-03",
        "occurred_at": datetime.fromisoformat("2026-03-01T00:00:00+00:00"),
        "postings": [{"account": "a", "amount": Decimal("1.000000"), "currency": "EUR"}],  # unbalanced
        "source_event_ids": [],
        "memo": "",
    }
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(dict(stored.definition)), record)
    with pytest.raises(DecodeError) as raised:
        decode(b"\xc3\x01" + stored.fingerprint + body.getvalue())
    assert raised.value.reason_code is ReasonCode.SCHEMA_VIOLATION


def _clock_tick_beyond_python() -> bytes:
    """A ClockTicked whose time (2**62 ms) is valid Avro but beyond what a datetime holds."""
    stored = default_store().current["ClockTicked"]
    record = wire_view(example("ClockTicked")) | {"occurred_at": 2**62}
    plain = json.loads(json.dumps(dict(stored.definition)).replace('"logicalType"', '"_lt"'))
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(plain), record)
    return b"\xc3\x01" + stored.fingerprint + body.getvalue()


def test_a_time_beyond_what_python_holds_is_undecodable() -> None:
    with pytest.raises(DecodeError) as raised:
        decode(_clock_tick_beyond_python())
    assert raised.value.reason_code is ReasonCode.UNDECODABLE


def test_a_time_beyond_what_python_holds_says_what_timedelta_says() -> None:
    with pytest.raises(OverflowError) as expected:
        timedelta(milliseconds=2**62)
    with pytest.raises(DecodeError) as raised:
        decode(_clock_tick_beyond_python())
    assert raised.value.message.endswith(repr(expected.value))


def test_amounts_read_again_are_the_same_amounts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "_MONEY_READ_MAX", 2)
    wire._MONEY_READ.clear()
    for amount in ("0", "-0.5", "12.34", "-99999.999999", "12.34", "0", "7"):
        first = wire._money_from_wire(wire._money_to_wire(Decimal(amount)))
        again = wire._money_from_wire(wire._money_to_wire(Decimal(amount)))
        assert isinstance(first, Decimal) and isinstance(again, Decimal)
        assert first == again == Decimal(amount)
        assert first.as_tuple().exponent == again.as_tuple().exponent == -6
        assert len(wire._MONEY_READ) <= 2
