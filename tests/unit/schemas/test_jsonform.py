"""The JSON form: its exact shape, and errors that name every field at fault."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from schemas.events import ClockTicked
from schemas.jsonform import JsonFormError, from_json, to_json
from schemas.outputs import (
    AlertParty,
    AlertRule,
    AlertSeverity,
    AlertStatus,
    Bucket,
    ConflictAlert,
    DeadLetter,
    EntryKind,
    LedgerEntry,
    PartyRole,
    Posting,
)
from schemas.reasons import ReasonCode
from tests.unit.schemas.examples import example, example_json


def test_shape_of_an_input_event() -> None:
    sale = dataclasses.replace(
        example("SaleRecorded"),
        occurred_at=datetime(2026, 3, 12, 10, 42, 17, 250999, tzinfo=UTC),
        unit_price=Decimal("18450.000000"),
        registration_id=None,
    )
    assert to_json(sale) == {
        "event_type": "SaleRecorded",
        "event_id": "0bbe4fc3-cf9a-504f-825d-1ccd21a0a20a",
        "occurred_at": "2026-03-12T10:42:17.250Z",  # milliseconds, as the wire keeps
        "source": "erp",
        "schema_version": 1,
        "sale_id": "SO-2026-004211",
        "channel": "PARTNER",
        "partner_id": "P-DE-0042",
        "customer_id": "C-DE-81544",
        "customer_territory": "DE",
        "sku": "NX-4800-48TB",
        "product_line": "storage",
        "quantity": 3,
        "unit_price": "18450.000000",
        "amount": "55350.00",
        "currency": "EUR",
        "registration_id": None,
    }


def test_outputs_name_their_type_in_record_type_and_enums_by_name() -> None:
    alert = ConflictAlert(
        alert_id="a-1",
        revision=2,
        rule_id=AlertRule.VENDOR_BYPASS,
        severity=AlertSeverity.CRITICAL,  # value "critical", name "CRITICAL"
        status=AlertStatus.OPEN,
        customer_id="C-1",
        product_line="storage",
        parties=(AlertParty(partner_id="P-1", role=PartyRole.PROTECTED),),
        evidence_event_ids=("e-1", "e-2"),
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        detected_at=datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC),
        message="m",
        recommended_action="r",
    )
    data = to_json(alert)
    assert data["record_type"] == "ConflictAlert"
    assert "event_type" not in data
    assert data["severity"] == "CRITICAL"
    assert data["parties"] == [{"partner_id": "P-1", "role": "PROTECTED"}]
    assert from_json(data) == alert


def test_a_dead_letter_keeps_the_refused_event_type_and_base64_bytes() -> None:
    letter = DeadLetter(
        reason_code="UNDECODABLE",
        message="m",
        original=b"\xc3\x01\x00",
        source_topic="cl.sales",
        source_partition=3,
        source_offset=17,
        failed_at=datetime(2026, 3, 1, tzinfo=UTC),
        event_id=None,
        event_type="SaleRecorded",
    )
    data = to_json(letter)
    assert data["record_type"] == "DeadLetter"
    assert data["event_type"] == "SaleRecorded"
    assert data["original"] == "wwEA"
    assert from_json(data) == letter


def test_bucket_enum_travels_by_name_not_value() -> None:
    entry = LedgerEntry(
        entry_id="e",
        kind=EntryKind.ACCRUAL,
        partner_id="P-1",
        program_id="VAR-REBATE-2026",
        program_version=1,
        rule_id="volume",
        bucket=Bucket.REGISTRATION_BONUS,
        tier="gold",
        period="2026-03",
        occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        postings=(
            Posting(account="a", amount=Decimal("1.5"), currency="EUR"),
            Posting(account="b", amount=Decimal("-1.5"), currency="EUR"),
        ),
        source_event_ids=("s",),
        memo="",
    )
    data = to_json(entry)
    assert data["bucket"] == "REGISTRATION_BONUS"
    assert data["postings"] == [
        {"account": "a", "amount": "1.5", "currency": "EUR"},
        {"account": "b", "amount": "-1.5", "currency": "EUR"},
    ]


def test_times_with_an_offset_are_read_as_utc() -> None:
    data = example_json("ClockTicked") | {"occurred_at": "2026-05-01T02:00:00+02:00"}
    tick = from_json(data)
    assert isinstance(tick, ClockTicked)
    assert tick.occurred_at == datetime(2026, 5, 1, tzinfo=UTC)


def test_optional_fields_may_be_left_out() -> None:
    data = example_json("SaleRecorded")
    del data["registration_id"], data["schema_version"]
    sale = from_json(data)
    assert sale.registration_id is None  # type: ignore[union-attr]
    assert sale.schema_version == 1  # type: ignore[union-attr]


def _problems(data: Any) -> list[tuple[ReasonCode, str]]:
    with pytest.raises(JsonFormError) as raised:
        from_json(data)
    return [(p.reason_code, p.field) for p in raised.value.problems]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"event_type": "SaleCancelled"}, (ReasonCode.UNKNOWN_EVENT_TYPE, "event_type")),
        ({"event_type": None}, (ReasonCode.UNKNOWN_EVENT_TYPE, "event_type")),
        ({"channel": "RESELLER"}, (ReasonCode.UNKNOWN_ENUM, "channel")),
        ({"channel": "partner"}, (ReasonCode.UNKNOWN_ENUM, "channel")),  # names are exact
        ({"amount": 55350.0}, (ReasonCode.SCHEMA_VIOLATION, "amount")),  # a float
        ({"amount": "55,350.00"}, (ReasonCode.SCHEMA_VIOLATION, "amount")),
        ({"amount": "Infinity"}, (ReasonCode.SCHEMA_VIOLATION, "amount")),
        ({"quantity": "3"}, (ReasonCode.SCHEMA_VIOLATION, "quantity")),
        ({"quantity": True}, (ReasonCode.SCHEMA_VIOLATION, "quantity")),
        ({"occurred_at": "2026-03-12T10:42:17"}, (ReasonCode.SCHEMA_VIOLATION, "occurred_at")),  # no zone
        ({"occurred_at": "12/03/2026"}, (ReasonCode.SCHEMA_VIOLATION, "occurred_at")),
        ({"customer_id": None}, (ReasonCode.SCHEMA_VIOLATION, "customer_id")),
        ({"discount": "10%"}, (ReasonCode.SCHEMA_VIOLATION, "discount")),  # unknown field
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], expected: tuple[ReasonCode, str]) -> None:
    data = example_json("SaleRecorded") | change
    if change.get("event_type", "") is None:
        del data["event_type"]
    assert _problems(data) == [expected]


def test_a_missing_field_is_named() -> None:
    data = example_json("SaleRecorded")
    del data["sku"]
    assert _problems(data) == [(ReasonCode.SCHEMA_VIOLATION, "sku")]


def test_every_bad_field_is_reported_at_once() -> None:
    data = example_json("PartnerOnboarded") | {"tier": "DIAMOND", "territories": ["DE", 7], "programs": "MDF"}
    del data["name"]
    assert sorted(_problems(data)) == sorted(
        [
            (ReasonCode.UNKNOWN_ENUM, "tier"),
            (ReasonCode.SCHEMA_VIOLATION, "territories[1]"),
            (ReasonCode.SCHEMA_VIOLATION, "programs"),
            (ReasonCode.SCHEMA_VIOLATION, "name"),
        ]
    )


def test_nested_errors_name_their_path() -> None:
    data: dict[str, Any] = {
        "record_type": "LedgerEntry",
        "entry_id": "e",
        "kind": "ACCRUAL",
        "partner_id": "P-1",
        "program_id": "p",
        "program_version": 1,
        "rule_id": "r",
        "bucket": None,
        "tier": None,
        "period": "2026-03",
        "occurred_at": "2026-03-01T00:00:00Z",
        "postings": [{"account": "a", "amount": "1", "currency": "EUR"}, {"account": "b", "amount": 1.0}],
        "source_event_ids": [],
        "memo": "",
    }
    problems = _problems(data)
    assert problems == [(ReasonCode.SCHEMA_VIOLATION, "postings[1].amount")]


def test_not_an_object() -> None:
    assert _problems(["SaleRecorded"]) == [(ReasonCode.SCHEMA_VIOLATION, "")]


def test_an_output_named_as_an_event_is_unknown() -> None:
    assert _problems({"event_type": "LedgerEntry"}) == [(ReasonCode.UNKNOWN_EVENT_TYPE, "event_type")]


def test_a_models_own_invariant_is_a_problem_not_a_crash() -> None:
    data = to_json(example("SaleRecorded"))  # any valid record; then an unbalanced ledger entry
    entry: dict[str, Any] = {
        "record_type": "LedgerEntry",
        "entry_id": "e",
        "kind": "ACCRUAL",
        "partner_id": "P-1",
        "program_id": "p",
        "program_version": 1,
        "rule_id": "r",
        "bucket": None,
        "tier": None,
        "period": "2026-03",
        "occurred_at": "2026-03-01T00:00:00Z",
        "postings": [{"account": "a", "amount": "1", "currency": "EUR"}],
        "source_event_ids": [],
        "memo": "",
    }
    assert from_json(data) == example("SaleRecorded")
    with pytest.raises(JsonFormError) as raised:
        from_json(entry)
    assert raised.value.reason_code is ReasonCode.SCHEMA_VIOLATION
    assert "not zero" in raised.value.message
