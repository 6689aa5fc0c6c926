"""Typed models of the input events (DOMAIN.md, "Input events").

Every event is a frozen dataclass carrying the common envelope fields first, then its
payload. Money is ``Decimal`` with an explicit ISO-4217 ``currency`` beside it; times are
timezone-aware UTC datetimes at millisecond precision. These models are the contract
between the codec (``schemas.codec``), the pure core (``processors``) and the projections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class PartnerType(StrEnum):
    DISTRIBUTOR = "DISTRIBUTOR"
    RESELLER = "RESELLER"
    VAR = "VAR"
    SYSTEM_INTEGRATOR = "SYSTEM_INTEGRATOR"
    SOLUTION_PROVIDER = "SOLUTION_PROVIDER"
    AFFILIATE = "AFFILIATE"


class PartnerTier(StrEnum):
    REGISTERED = "REGISTERED"
    SILVER = "SILVER"
    GOLD = "GOLD"
    PLATINUM = "PLATINUM"


class SaleChannel(StrEnum):
    PARTNER = "PARTNER"
    DIRECT = "DIRECT"


class Severity(StrEnum):
    """Support-case severity, P1 (highest) to P4."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Resolution(StrEnum):
    FIXED = "FIXED"
    REPLACED = "REPLACED"
    ESCALATED_TO_VENDOR = "ESCALATED_TO_VENDOR"
    NO_FAULT = "NO_FAULT"


class Allowance(StrEnum):
    WAREHOUSING = "WAREHOUSING"
    TRANSPORT = "TRANSPORT"
    MARKETING = "MARKETING"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Envelope shared by every input event.

    ``event_id`` is the idempotency key; ``occurred_at`` is business time and is the only
    clock the core ever reads.
    """

    event_id: str
    occurred_at: datetime
    source: str
    schema_version: int = 1

    @property
    def event_type(self) -> str:
        return type(self).__name__


# --- partners -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerOnboarded(Event):
    partner_id: str
    name: str
    partner_type: PartnerType
    tier: PartnerTier
    territories: tuple[str, ...]
    programs: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerTierChanged(Event):
    partner_id: str
    tier: PartnerTier


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerTerritoryChanged(Event):
    partner_id: str
    territories: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerCertified(Event):
    partner_id: str
    product_line: str
    valid_until: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerOffboarded(Event):
    partner_id: str
    reason: str


# --- sales ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleRecorded(Event):
    """A sale; ``partner_id`` is None exactly when ``channel`` is DIRECT."""

    sale_id: str
    channel: SaleChannel
    partner_id: str | None
    customer_id: str
    customer_territory: str
    sku: str
    product_line: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str
    registration_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleReturned(Event):
    """A return of (part of) a sale.

    ``partner_id`` and ``customer_id`` repeat the sale's so the return can be routed to
    the same partner and customer state as its sale without a lookup.
    """

    return_id: str
    sale_id: str
    partner_id: str | None
    customer_id: str
    quantity: int
    amount: Decimal
    currency: str
    reason: str


# --- registrations --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DealRegistered(Event):
    registration_id: str
    partner_id: str
    customer_id: str
    customer_territory: str
    product_line: str
    estimated_amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DealRegistrationApproved(Event):
    """Approval; ``expires_at`` None means the default (90 days after registration)."""

    registration_id: str
    partner_id: str
    customer_id: str
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DealRegistrationRejected(Event):
    registration_id: str
    partner_id: str
    customer_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DealRegistrationWithdrawn(Event):
    registration_id: str
    partner_id: str
    customer_id: str


# --- support --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportCaseOpened(Event):
    case_id: str
    partner_id: str
    customer_id: str
    sku: str
    severity: Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportCaseResolved(Event):
    case_id: str
    partner_id: str
    resolution: Resolution


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportCaseRated(Event):
    case_id: str
    partner_id: str
    csat: int


# --- payouts and allowances -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceClaimed(Event):
    claim_id: str
    partner_id: str
    program_id: str
    allowance: Allowance
    amount: Decimal
    currency: str
    evidence_ref: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceClaimApproved(Event):
    claim_id: str
    partner_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceClaimRejected(Event):
    claim_id: str
    partner_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PayoutIssued(Event):
    """Cash paid to a partner under a program for a period ("2026-03" or "2026-Q1")."""

    payout_id: str
    partner_id: str
    program_id: str
    amount: Decimal
    currency: str
    period: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PayoutReversed(Event):
    payout_id: str
    partner_id: str
    reason: str


# --- business clock -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockTicked(Event):
    """Explicit advance of one partner's business clock (source: a scheduler).

    Lets periods close and funds expire for a partner that has no further activity;
    business time still comes from ``occurred_at``, never from the wall clock.
    """

    partner_id: str


# --- alert lifecycle (input from alert consumers) -------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertAcknowledged(Event):
    alert_id: str
    customer_id: str
    acknowledged_by: str
    partner_id: str = ""
    """The partner whose processor raised the alert (TERRITORY_VIOLATION, OVERPAYMENT); blank for
    an alert of the customer processor. Decides which processor the event goes to."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertResolved(Event):
    alert_id: str
    customer_id: str
    resolved_by: str
    resolution: str
    partner_id: str = ""
    """As ``AlertAcknowledged.partner_id``."""


PartnerEvent = (
    PartnerOnboarded | PartnerTierChanged | PartnerTerritoryChanged | PartnerCertified | PartnerOffboarded
)
SaleEvent = SaleRecorded | SaleReturned
RegistrationEvent = (
    DealRegistered | DealRegistrationApproved | DealRegistrationRejected | DealRegistrationWithdrawn
)
SupportEvent = SupportCaseOpened | SupportCaseResolved | SupportCaseRated
PayoutEvent = (
    AllowanceClaimed | AllowanceClaimApproved | AllowanceClaimRejected | PayoutIssued | PayoutReversed
)
AlertLifecycleEvent = AlertAcknowledged | AlertResolved
InputEvent = (
    PartnerEvent
    | SaleEvent
    | RegistrationEvent
    | SupportEvent
    | PayoutEvent
    | ClockTicked
    | AlertLifecycleEvent
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PartnerOnboarded,
        PartnerTierChanged,
        PartnerTerritoryChanged,
        PartnerCertified,
        PartnerOffboarded,
        SaleRecorded,
        SaleReturned,
        DealRegistered,
        DealRegistrationApproved,
        DealRegistrationRejected,
        DealRegistrationWithdrawn,
        SupportCaseOpened,
        SupportCaseResolved,
        SupportCaseRated,
        AllowanceClaimed,
        AllowanceClaimApproved,
        AllowanceClaimRejected,
        PayoutIssued,
        PayoutReversed,
        ClockTicked,
        AlertAcknowledged,
        AlertResolved,
    )
}
"""Every input event type by its ``event_type`` name."""
