"""Stateless validation of input events: every rule that needs nothing but the event itself.

Each failure is a ``Problem`` with a stable reason code, the field, and a message that shows the
offending value. Rules that need state live with the state: a reused event id with different
content (DUPLICATE_EVENT_ID) is caught by the partner processor, which stores ``content_digest``
per event id; unknown partners, currency mismatches against a program, returns beyond their
sale and closed periods are the processors' too.

Amount tolerance: a sale's ``amount`` must equal ``quantity x unit_price`` rounded to the
currency's minor unit by any round-half rule, i.e. differ by at most half a minor unit
(0.005 for EUR, 0.5 for JPY, 0.0005 for KWD).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Context, Decimal
from functools import cache
from types import MappingProxyType
from typing import Final, cast

from schemas.codec import default_codec
from schemas.digest import content_digest
from schemas.events import (
    EVENT_TYPES,
    DealRegistrationApproved,
    Event,
    PartnerCertified,
    PayoutIssued,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
    SupportCaseRated,
)
from schemas.jsonform import format_time
from schemas.models import field_hints, is_input_event
from schemas.money import CURRENCY_MINOR_UNITS, half_minor_unit, is_known_currency
from schemas.problems import Problem
from schemas.reasons import ReasonCode

__all__ = [
    "DEFAULT_MAX_FUTURE_SKEW",
    "SUPPORTED_SCHEMA_VERSIONS",
    "Problem",
    "content_digest",
    "validate",
]

DEFAULT_MAX_FUTURE_SKEW: Final = timedelta(minutes=5)
"""How far past the reference time an ``occurred_at`` may lie (source clocks drift)."""

SUPPORTED_SCHEMA_VERSIONS: Final = frozenset({1})
"""Major contract versions accepted. Compatible schema revisions keep the major version."""

CSAT_RANGE: Final = range(1, 6)

_FREE_TEXT_FIELDS = frozenset({"reason", "resolution", "memo", "message"})
"""Free text may be empty; identifiers, codes and names may not."""
_BLANK_ALLOWED: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        # An alert without a customer (e.g. OVERPAYMENT) is acknowledged without one, and one
        # of the customer processor without a partner.
        "AlertAcknowledged": frozenset({"customer_id", "partner_id"}),
        "AlertResolved": frozenset({"customer_id", "partner_id"}),
        # Checked by the channel rule, with its own reason codes.
        "SaleRecorded": frozenset({"partner_id"}),
    }
)
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$")
_EXACT = Context(prec=80)
"""Wide enough that quantity (a long) x unit price (28 digits) is computed exactly."""
_HALF_MINOR_UNITS: Mapping[str, Decimal] = MappingProxyType(
    {currency: half_minor_unit(currency) for currency in CURRENCY_MINOR_UNITS}
)


def validate(event: Event, *, reference_time: datetime, max_future_skew: timedelta) -> list[Problem]:
    """Every stateless problem of ``event``; an empty list means it may enter the core.

    ``reference_time`` is the adapter's notion of now (a record's broker timestamp, or the
    wall clock in a CLI): ``occurred_at`` may not lie more than ``max_future_skew`` after it.
    """
    if not is_input_event(event):
        return [
            Problem(
                ReasonCode.UNKNOWN_EVENT_TYPE, "event_type", f"{type(event).__name__} is not an input event"
            )
        ]
    problems = _envelope_problems(event, reference_time, max_future_skew)
    problems += default_codec().wire_problems(event)
    field_checks = _field_checks().get(type(event))
    if field_checks is None or not field_checks(event):
        problems += _blank_problems(event)
        problems += _currency_problems(event)
        problems += _negative_money_problems(event)
    problems += _specific_problems(event)
    return problems


# --- rules for every event --------------------------------------------------------------


def _envelope_problems(event: Event, reference_time: datetime, max_future_skew: timedelta) -> list[Problem]:
    problems: list[Problem] = []
    if not _is_canonical_uuid(event.event_id):
        problems.append(
            Problem(
                ReasonCode.SCHEMA_VIOLATION,
                "event_id",
                f"{event.event_id!r} is not a UUID in canonical form (lowercase, hyphenated)",
            )
        )
    if event.schema_version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in sorted(SUPPORTED_SCHEMA_VERSIONS))
        problems.append(
            Problem(
                ReasonCode.UNSUPPORTED_SCHEMA_VERSION,
                "schema_version",
                f"{event.event_type} schema_version {event.schema_version} is not supported ({supported})",
            )
        )
    occurred_at = event.occurred_at
    if isinstance(occurred_at, datetime) and occurred_at.utcoffset() is not None:
        latest = reference_time + max_future_skew
        if occurred_at > latest:
            problems.append(
                Problem(
                    ReasonCode.FUTURE_TIMESTAMP,
                    "occurred_at",
                    f"{_iso(occurred_at)} is more than {max_future_skew.total_seconds():g} s after "
                    f"the reference time {_iso(reference_time)}",
                )
            )
    return problems


def _is_canonical_uuid(text: object) -> bool:
    return isinstance(text, str) and _CANONICAL_UUID.fullmatch(text) is not None


def _blank_problems(event: Event) -> list[Problem]:
    allowed = _BLANK_ALLOWED.get(type(event).__name__, frozenset())
    problems: list[Problem] = []
    for name in _text_fields(type(event)):
        if name in allowed:
            continue
        value = getattr(event, name)
        if isinstance(value, str) and not value.strip():
            problems.append(Problem(ReasonCode.SCHEMA_VIOLATION, name, "must not be blank"))
        elif isinstance(value, tuple):
            problems.extend(
                Problem(ReasonCode.SCHEMA_VIOLATION, f"{name}[{index}]", "must not be blank")
                for index, item in enumerate(value)
                if isinstance(item, str) and not item.strip()
            )
    return problems


def _currency_problems(event: Event) -> list[Problem]:
    currency = getattr(event, "currency", None)
    if currency is None or is_known_currency(currency):
        return []
    return [
        Problem(
            ReasonCode.UNKNOWN_CURRENCY,
            "currency",
            f"{currency!r} is not one of the {len(CURRENCY_MINOR_UNITS)} ISO-4217 codes accepted "
            "(e.g. EUR, USD)",
        )
    ]


def _negative_money_problems(event: Event) -> list[Problem]:
    problems: list[Problem] = []
    for name in _money_fields(type(event)):
        value = getattr(event, name)
        if isinstance(value, Decimal) and value.is_finite() and value < 0:
            problems.append(Problem(ReasonCode.NEGATIVE_AMOUNT, name, f"must not be negative, got {value}"))
    return problems


def _text_fields(cls: type) -> tuple[str, ...]:
    return _field_groups()[cls][0]


def _money_fields(cls: type) -> tuple[str, ...]:
    return _field_groups()[cls][1]


@cache
def _field_groups() -> Mapping[type, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Per input event type: its text fields (blank check) and its money fields (sign check)."""
    text_hints: tuple[object, ...] = (str, str | None, tuple[str, ...])
    groups: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for cls in EVENT_TYPES.values():
        hints = field_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        text = tuple(n for n in names if hints[n] in text_hints and n not in _FREE_TEXT_FIELDS)
        money = tuple(n for n in names if hints[n] in (Decimal, Decimal | None))
        groups[cls] = (text, money)
    return MappingProxyType(groups)


@cache
def _field_checks() -> Mapping[type, Callable[[Event], bool]]:
    """Per input event type: a predicate true exactly when the blank, currency and negative-money
    rules find nothing, so the usual event passes them in one call.

    Generated like ``schemas.wire``'s converters: one straight line per field, the same
    conditions as ``_blank_problems``, ``_currency_problems`` and ``_negative_money_problems``.
    When it says False those rules run and report as always.
    """
    bindings: dict[str, object] = {"_Decimal": Decimal, "_CURRENCIES": CURRENCY_MINOR_UNITS}
    checks: dict[type, Callable[[Event], bool]] = {}
    for cls in EVENT_TYPES.values():
        allowed = _BLANK_ALLOWED.get(cls.__name__, frozenset())
        body: list[str] = []
        for name in _text_fields(cls):
            if name in allowed:
                continue
            body += [
                f"    v = event.{name}",
                "    if isinstance(v, str):",
                "        if not v.strip():",
                "            return False",
                "    elif isinstance(v, tuple):",
                "        for item in v:",
                "            if isinstance(item, str) and not item.strip():",
                "                return False",
            ]
        if "currency" in {f.name for f in dataclasses.fields(cls)}:
            body += [
                "    v = event.currency",
                "    if v is not None and v not in _CURRENCIES:",
                "        return False",
            ]
        for name in _money_fields(cls):
            body += [
                f"    v = event.{name}",
                "    if isinstance(v, _Decimal) and v.is_finite() and v < 0:",
                "        return False",
            ]
        source = "\n".join(["def checks(event):", *body, "    return True"])
        namespace = dict(bindings)
        exec(compile(source, f"<field checks {cls.__name__}>", "exec"), namespace)
        checks[cls] = cast(Callable[[Event], bool], namespace["checks"])
    return MappingProxyType(checks)


def _iso(value: datetime | None) -> str:
    return "null" if value is None else format_time(value)


# --- rules for one event type -----------------------------------------------------------


def _quantity_problems(quantity: int) -> list[Problem]:
    if isinstance(quantity, int) and quantity <= 0:
        return [Problem(ReasonCode.NON_POSITIVE_QUANTITY, "quantity", f"must be positive, got {quantity}")]
    return []


def _sale_problems(event: SaleRecorded) -> list[Problem]:
    problems = _quantity_problems(event.quantity)
    if event.channel is SaleChannel.DIRECT and event.partner_id is not None:
        problems.append(
            Problem(
                ReasonCode.DIRECT_SALE_WITH_PARTNER,
                "partner_id",
                f"a DIRECT sale has no partner; partner_id must be null, got {event.partner_id!r}",
            )
        )
    if event.channel is SaleChannel.PARTNER and not (event.partner_id or "").strip():
        problems.append(
            Problem(
                ReasonCode.PARTNER_SALE_WITHOUT_PARTNER,
                "partner_id",
                f"a PARTNER sale needs the selling partner's id, got {event.partner_id!r}",
            )
        )
    problems += _amount_mismatch(event)
    return problems


def _amount_mismatch(event: SaleRecorded) -> list[Problem]:
    amount, unit_price, quantity = event.amount, event.unit_price, event.quantity
    if not (
        isinstance(amount, Decimal)
        and isinstance(unit_price, Decimal)
        and amount.is_finite()
        and unit_price.is_finite()
        and isinstance(quantity, int)
    ):
        return []
    expected = _EXACT.multiply(unit_price, Decimal(quantity))
    tolerance = _HALF_MINOR_UNITS.get(event.currency)
    if tolerance is None:
        tolerance = half_minor_unit(event.currency)
    if abs(_EXACT.subtract(amount, expected)) <= tolerance:
        return []
    return [
        Problem(
            ReasonCode.AMOUNT_MISMATCH,
            "amount",
            f"{amount} is not quantity {quantity} x unit_price {unit_price} = {expected} "
            f"(tolerance {tolerance} {event.currency})",
        )
    ]


def _approval_problems(event: DealRegistrationApproved) -> list[Problem]:
    # The approval follows the registration, so an expiry at or before the approval is also
    # at or before the registration; the stateless check needs nothing further.
    if _not_after(event.expires_at, event.occurred_at):
        return [
            Problem(
                ReasonCode.EXPIRY_BEFORE_REGISTRATION,
                "expires_at",
                f"{_iso(event.expires_at)} is not after the approval at {_iso(event.occurred_at)}",
            )
        ]
    return []


def _certification_problems(event: PartnerCertified) -> list[Problem]:
    if _not_after(event.valid_until, event.occurred_at):
        return [
            Problem(
                ReasonCode.EXPIRY_BEFORE_CERTIFICATION,
                "valid_until",
                f"{_iso(event.valid_until)} is not after the certification at {_iso(event.occurred_at)}",
            )
        ]
    return []


def _not_after(end: datetime | None, start: datetime) -> bool:
    """``end <= start`` for two aware times; False when either is missing or naive (reported elsewhere)."""
    if not isinstance(end, datetime) or not isinstance(start, datetime):
        return False
    if end.utcoffset() is None or start.utcoffset() is None:
        return False
    return end <= start


def _rating_problems(event: SupportCaseRated) -> list[Problem]:
    if isinstance(event.csat, int) and event.csat not in CSAT_RANGE:
        return [Problem(ReasonCode.CSAT_OUT_OF_RANGE, "csat", f"must be 1 to 5, got {event.csat}")]
    return []


def _payout_problems(event: PayoutIssued) -> list[Problem]:
    if isinstance(event.period, str) and event.period.strip() and not _PERIOD.match(event.period):
        return [
            Problem(
                ReasonCode.SCHEMA_VIOLATION,
                "period",
                f"{event.period!r} is not a period: YYYY-MM for a month or YYYY-Qn for a quarter",
            )
        ]
    return []


def _specific_problems(event: Event) -> list[Problem]:
    match event:
        case SaleRecorded():
            return _sale_problems(event)
        case SaleReturned():
            return _quantity_problems(event.quantity)
        case DealRegistrationApproved():
            return _approval_problems(event)
        case PartnerCertified():
            return _certification_problems(event)
        case SupportCaseRated():
            return _rating_problems(event)
        case PayoutIssued():
            return _payout_problems(event)
    return []
