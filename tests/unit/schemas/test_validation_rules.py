"""Every stateless validation rule: a bad input and the exact reason code it earns."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from schemas.events import EVENT_TYPES, SaleChannel, SaleRecorded
from schemas.reasons import ReasonCode
from schemas.validation import validate
from tests.unit.schemas.examples import REFERENCE_TIME, SKEW, example

R = ReasonCode


def codes(event: Any, reference_time: datetime = REFERENCE_TIME) -> list[ReasonCode]:
    return [p.reason_code for p in validate(event, reference_time=reference_time, max_future_skew=SKEW)]


def changed(type_name: str, **changes: Any) -> Any:
    return dataclasses.replace(example(type_name), **changes)


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_example_is_valid(type_name: str) -> None:
    assert validate(example(type_name), reference_time=REFERENCE_TIME, max_future_skew=SKEW) == []


CASES: list[tuple[str, dict[str, Any], list[ReasonCode]]] = [
    # quantity
    ("SaleRecorded", {"quantity": 0, "amount": Decimal(0)}, [R.NON_POSITIVE_QUANTITY]),
    (
        "SaleRecorded",
        {"quantity": -2, "amount": Decimal("-36900")},
        [R.NEGATIVE_AMOUNT, R.NON_POSITIVE_QUANTITY],
    ),
    ("SaleReturned", {"quantity": 0}, [R.NON_POSITIVE_QUANTITY]),
    # amount = quantity x unit_price, within half a minor unit
    ("SaleRecorded", {"amount": Decimal("55350.01")}, [R.AMOUNT_MISMATCH]),
    ("SaleRecorded", {"amount": Decimal("55349.9949")}, [R.AMOUNT_MISMATCH]),
    ("SaleRecorded", {"amount": Decimal("55350.005")}, []),  # exactly half a cent: a rounding
    ("SaleRecorded", {"amount": Decimal("55349.995")}, []),
    ("SaleRecorded", {"unit_price": Decimal("333.33"), "amount": Decimal("1000"), "currency": "JPY"}, []),
    (
        "SaleRecorded",
        {"unit_price": Decimal("333.33"), "amount": Decimal("1001"), "currency": "JPY"},
        [R.AMOUNT_MISMATCH],
    ),
    ("SaleRecorded", {"unit_price": Decimal("1.2345"), "amount": Decimal("3.7035"), "currency": "KWD"}, []),
    (
        "SaleRecorded",
        {"unit_price": Decimal("1.2345"), "amount": Decimal("3.7041"), "currency": "KWD"},
        [R.AMOUNT_MISMATCH],
    ),
    # money sign
    (
        "SaleRecorded",
        {"unit_price": Decimal("-18450"), "amount": Decimal("-55350")},
        [R.NEGATIVE_AMOUNT, R.NEGATIVE_AMOUNT],
    ),
    ("SaleReturned", {"amount": Decimal("-1")}, [R.NEGATIVE_AMOUNT]),
    ("DealRegistered", {"estimated_amount": Decimal("-60000")}, [R.NEGATIVE_AMOUNT]),
    ("AllowanceClaimed", {"amount": Decimal("-4200")}, [R.NEGATIVE_AMOUNT]),
    ("PayoutIssued", {"amount": Decimal("-0.01")}, [R.NEGATIVE_AMOUNT]),
    # currency
    ("SaleRecorded", {"currency": "EUX"}, [R.UNKNOWN_CURRENCY]),
    ("SaleReturned", {"currency": "eur"}, [R.UNKNOWN_CURRENCY]),
    ("DealRegistered", {"currency": "XAU"}, [R.UNKNOWN_CURRENCY]),  # gold is not money here
    ("AllowanceClaimed", {"currency": "€"}, [R.UNKNOWN_CURRENCY]),
    ("PayoutIssued", {"currency": "US"}, [R.UNKNOWN_CURRENCY]),
    # channel and partner
    ("SaleRecorded", {"channel": SaleChannel.DIRECT}, [R.DIRECT_SALE_WITH_PARTNER]),
    ("SaleRecorded", {"channel": SaleChannel.DIRECT, "partner_id": ""}, [R.DIRECT_SALE_WITH_PARTNER]),
    ("SaleRecorded", {"channel": SaleChannel.DIRECT, "partner_id": None, "registration_id": None}, []),
    ("SaleRecorded", {"partner_id": None}, [R.PARTNER_SALE_WITHOUT_PARTNER]),
    ("SaleRecorded", {"partner_id": "  "}, [R.PARTNER_SALE_WITHOUT_PARTNER]),
    # expiry
    (
        "DealRegistrationApproved",
        {"expires_at": datetime.fromisoformat("2026-02-04T09:00:00+00:00")},
        [R.EXPIRY_BEFORE_REGISTRATION],
    ),
    (
        "DealRegistrationApproved",
        {"expires_at": datetime.fromisoformat("2026-01-01T00:00:00+00:00")},
        [R.EXPIRY_BEFORE_REGISTRATION],
    ),
    ("DealRegistrationApproved", {"expires_at": None}, []),  # the 90-day default
    (
        "PartnerCertified",
        {"valid_until": datetime.fromisoformat("2025-01-20T00:00:00+00:00")},
        [R.EXPIRY_BEFORE_CERTIFICATION],
    ),
    # CSAT
    ("SupportCaseRated", {"csat": 0}, [R.CSAT_OUT_OF_RANGE]),
    ("SupportCaseRated", {"csat": 6}, [R.CSAT_OUT_OF_RANGE]),
    ("SupportCaseRated", {"csat": 1}, []),
    # envelope
    ("ClockTicked", {"schema_version": 2}, [R.UNSUPPORTED_SCHEMA_VERSION]),
    ("ClockTicked", {"event_id": "evt-20"}, [R.SCHEMA_VIOLATION]),
    (
        "ClockTicked",
        {"event_id": "0BBE4FC3-CF9A-504F-825D-1CCD21A0A20A"},
        [R.SCHEMA_VIOLATION],
    ),  # not canonical
    ("ClockTicked", {"occurred_at": datetime(2026, 5, 1)}, [R.SCHEMA_VIOLATION]),  # naive
    # shape beyond the type: blank identifiers, unrepresentable values, period syntax
    ("SaleRecorded", {"customer_id": ""}, [R.SCHEMA_VIOLATION]),
    ("PartnerOnboarded", {"territories": ("DE", " ")}, [R.SCHEMA_VIOLATION]),
    ("SaleReturned", {"quantity": 2**63}, [R.SCHEMA_VIOLATION]),  # beyond an Avro long
    ("PayoutIssued", {"amount": Decimal("2767.5000001")}, [R.SCHEMA_VIOLATION]),
    ("PayoutIssued", {"amount": Decimal("NaN")}, [R.SCHEMA_VIOLATION]),
    ("PayoutIssued", {"period": "2026-13"}, [R.SCHEMA_VIOLATION]),
    ("PayoutIssued", {"period": "Q1-2026"}, [R.SCHEMA_VIOLATION]),
    ("PayoutIssued", {"period": "2026-03"}, []),
    # free text may be blank; so may an acknowledgement's customer (alerts without one)
    ("PartnerOffboarded", {"reason": ""}, []),
    ("AlertAcknowledged", {"customer_id": ""}, []),
]


@pytest.mark.parametrize(("type_name", "changes", "expected"), CASES)
def test_rule(type_name: str, changes: dict[str, Any], expected: list[ReasonCode]) -> None:
    assert codes(changed(type_name, **changes)) == expected


def test_future_timestamps_beyond_the_skew_are_refused() -> None:
    sale = example("SaleRecorded")
    at_limit = sale.occurred_at - SKEW
    assert codes(sale, reference_time=at_limit) == []
    assert codes(sale, reference_time=at_limit - timedelta(milliseconds=1)) == [R.FUTURE_TIMESTAMP]
    # the skew is the caller's setting
    problems = validate(
        sale, reference_time=at_limit - timedelta(hours=1), max_future_skew=timedelta(hours=2)
    )
    assert problems == []


def test_an_unregistered_event_class_is_an_unknown_event_type() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class SaleCancelled(SaleRecorded):
        pass

    cancelled = SaleCancelled(
        **{f.name: getattr(example("SaleRecorded"), f.name) for f in dataclasses.fields(SaleRecorded)}
    )
    assert codes(cancelled) == [R.UNKNOWN_EVENT_TYPE]


def test_problems_say_what_and_where() -> None:
    problems = validate(
        changed("SupportCaseRated", csat=9), reference_time=REFERENCE_TIME, max_future_skew=SKEW
    )
    assert [(p.field, p.message) for p in problems] == [("csat", "must be 1 to 5, got 9")]
    (mismatch,) = validate(
        changed("SaleRecorded", amount=Decimal("55351")), reference_time=REFERENCE_TIME, max_future_skew=SKEW
    )
    assert mismatch.field == "amount"
    assert "55351" in mismatch.message and "55350" in mismatch.message and "0.005 EUR" in mismatch.message


def test_every_problem_is_reported_not_just_the_first() -> None:
    bad = changed("SaleRecorded", quantity=0, currency="EUX", channel=SaleChannel.DIRECT, customer_id="")
    assert set(codes(bad)) == {
        R.NON_POSITIVE_QUANTITY,
        R.UNKNOWN_CURRENCY,
        R.DIRECT_SALE_WITH_PARTNER,
        R.AMOUNT_MISMATCH,
        R.SCHEMA_VIOLATION,
    }
