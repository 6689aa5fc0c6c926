"""Partner state: everything the partner processor remembers about one partner, and its bounds.

The state is a frozen dataclass of immutable records; its maps are never mutated once the
state is built (``apply`` copies what it changes), so an old state stays valid after an event.
``to_bytes`` is canonical JSON: equal states give equal bytes, which is how replays compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from processors.ledger.canonical import canonical_bytes, from_bytes
from processors.partner.shards import ShardedMap
from schemas.events import InputEvent, PartnerTier, PartnerType
from schemas.outputs import Bucket


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    name: str
    partner_type: PartnerType
    tier: PartnerTier
    territories: tuple[str, ...]
    programs: tuple[str, ...]
    onboarded_at: datetime
    offboarded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CertWindow:
    valid_from: datetime
    valid_until: datetime


class RegistrationStatus(StrEnum):
    REGISTERED = "REGISTERED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


@dataclass(frozen=True, slots=True, kw_only=True)
class Registration:
    """The partner's own deal registration, kept to grant the registration bonus."""

    customer_id: str
    product_line: str | None
    """None when the approval arrived before the registration itself (matches any line)."""
    registered_at: datetime | None
    approved_at: datetime | None
    explicit_expiry: datetime | None
    ended_at: datetime | None
    """Rejection or withdrawal time."""
    status: RegistrationStatus


@dataclass(frozen=True, slots=True)
class RuleProgress:
    """A period rule's running figures: eligible revenue counted and amount accrued so far."""

    base: Decimal
    accrued: Decimal
    tier: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodState:
    """An open period of one program; removed when the period closes."""

    program_id: str
    period: str
    closes_at: datetime
    revenue: Decimal
    rules: Mapping[str, RuleProgress]


@dataclass(frozen=True, slots=True, kw_only=True)
class Earning:
    """What one sale earned under one rule: the exact amount a return claws back."""

    program_id: str
    program_version: int
    rule_id: str
    bucket: Bucket
    period: str
    tier: str | None
    per_unit: bool
    """Prorate returns by quantity (per-unit rules) rather than by amount."""
    counted: bool
    """The sale's amount is in the period rule's base (False when gated)."""
    earned: Decimal
    clawed: Decimal
    forgone: Decimal
    forgone_reversed: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenSale:
    sale_id: str
    event_id: str
    occurred_at: datetime
    currency: str
    product_line: str
    period_keys: tuple[str, ...]
    """``program|period`` of each program the sale's revenue was counted in."""
    quantity: int
    amount: Decimal
    returned_quantity: int
    returned_amount: Decimal
    return_ids: tuple[str, ...]
    earnings: tuple[Earning, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class FundSlice:
    """Allowance accrued in one period, claimable until ``expires_at``."""

    period: str
    expires_at: datetime
    balance: Decimal
    program_version: int
    rule_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Fund:
    """One allowance fund; ``overdraft`` is what approved claims took beyond its balance."""

    slices: tuple[FundSlice, ...]
    overdraft: Decimal

    @property
    def available(self) -> Decimal:
        return sum((s.balance for s in self.slices), Decimal("0.00")) - self.overdraft


class ClaimStatus(StrEnum):
    OPEN = "OPEN"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    claim_id: str
    event_id: str
    program_id: str
    program_version: int
    rule_id: str
    bucket: Bucket
    amount: Decimal
    currency: str
    claimed_at: datetime
    status: ClaimStatus
    decided_at: datetime | None
    alert_revision: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Payout:
    payout_id: str
    event_id: str
    program_id: str
    program_version: int
    amount: Decimal
    currency: str
    period: str
    issued_at: datetime
    reversed_by: str | None


@dataclass(frozen=True, slots=True)
class CareMonth:
    """Support figures of one month, summed into the care bonus of the periods covering it."""

    resolved: int
    resolution_seconds: int
    rated: int
    csat_total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertTrack:
    revision: int
    first_at: datetime
    last_at: datetime
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    """An event parked until what it refers to arrives (``waits_for``), at most until ``deadline``."""

    waits_for: str
    deadline: datetime
    event: InputEvent


@dataclass(frozen=True, slots=True)
class LogChunk:
    """Up to ``LOG_CHUNK`` keys added in arrival order, with the latest business time among them."""

    latest: datetime
    keys: tuple[str, ...]


LOG_CHUNK = 64
ExpiryLog = tuple[LogChunk, ...]
"""Arrival-ordered log of the keys of a large map: the map is pruned by dropping whole chunks
from the front once their latest time is past the bound, so pruning costs O(1) per key."""


def log_add(log: ExpiryLog, key: str, at: datetime) -> ExpiryLog:
    if log and len(log[-1].keys) < LOG_CHUNK:
        last = log[-1]
        return (*log[:-1], LogChunk(max(last.latest, at), (*last.keys, key)))
    return (*log, LogChunk(at, (key,)))


def log_expire(log: ExpiryLog, before: datetime) -> tuple[ExpiryLog, list[str]]:
    """Drop the leading chunks whose keys are all older than ``before``; return their keys."""
    n = 0
    while n < len(log) and log[n].latest < before:
        n += 1
    if n == 0:
        return log, []
    return log[n:], [k for chunk in log[:n] for k in chunk.keys]


@dataclass(frozen=True, slots=True)
class Seen:
    digest: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerState:
    """One partner's state. Map keys: periods ``program|period``, revenue ``currency|period``,
    funds ``program|bucket``, payable ``program``; the rest by their own ids."""

    partner_id: str
    clock: datetime | None
    """Business high-water mark: the latest ``occurred_at`` applied."""
    profile: Profile | None
    certifications: Mapping[str, tuple[CertWindow, ...]]
    registrations: Mapping[str, Registration]
    periods: Mapping[str, PeriodState]
    revenue: Mapping[str, Decimal]
    funds: Mapping[str, Fund]
    payable: Mapping[str, Decimal]
    sales: ShardedMap[OpenSale]
    claims: Mapping[str, Claim]
    payouts: Mapping[str, Payout]
    cases: Mapping[str, datetime]
    care: Mapping[str, CareMonth]
    territory_alerts: Mapping[str, AlertTrack]
    pending: Mapping[str, tuple[Pending, ...]]
    """Parked events by what they wait for (``partner``, ``sale:<id>``, ``claim:<id>``...)."""
    pending_deadline: datetime | None
    """Earliest deadline among parked events (may be stale-early; a scan then refreshes it)."""
    seen: ShardedMap[Seen]
    seen_log: ExpiryLog
    sales_log: ExpiryLog
    pruned_at: datetime | None
    """When the small maps were last pruned (weekly, by business time)."""

    @classmethod
    def empty(cls, partner_id: str) -> PartnerState:
        return cls(
            partner_id=partner_id,
            clock=None,
            profile=None,
            certifications={},
            registrations={},
            periods={},
            revenue={},
            funds={},
            payable={},
            sales=ShardedMap(),
            claims={},
            payouts={},
            cases={},
            care={},
            territory_alerts={},
            pending={},
            pending_deadline=None,
            seen=ShardedMap(),
            seen_log=(),
            sales_log=(),
            pruned_at=None,
        )

    def to_bytes(self) -> bytes:
        """Canonical JSON: deterministic, so equal states serialize to equal bytes."""
        return canonical_bytes(self)

    @classmethod
    def from_bytes(cls, raw: bytes) -> PartnerState:
        return from_bytes(cls, raw)
