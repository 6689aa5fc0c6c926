"""Typed models of what Channel Ledger emits: ledger entries, conflict alerts, dead letters.

Like the input events these are frozen dataclasses with ``Decimal`` money and aware UTC
datetimes. Their ids are derived from their inputs (see ``processors``), never random,
so a replay produces byte-identical outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class EntryKind(StrEnum):
    ACCRUAL = "ACCRUAL"
    TRUE_UP = "TRUE_UP"
    CLAWBACK = "CLAWBACK"
    CLAIM_APPROVED = "CLAIM_APPROVED"
    PAYOUT = "PAYOUT"
    PAYOUT_REVERSAL = "PAYOUT_REVERSAL"
    EXPIRY = "EXPIRY"
    ADJUSTMENT = "ADJUSTMENT"


class Bucket(StrEnum):
    REBATE = "rebate"
    GROWTH = "growth"
    SPIFF = "spiff"
    REGISTRATION_BONUS = "registration_bonus"
    CARE_BONUS = "care_bonus"
    MDF = "mdf"
    WAREHOUSING = "warehousing"
    TRANSPORT = "transport"


@dataclass(frozen=True, slots=True, kw_only=True)
class Posting:
    """One leg of an entry: positive ``amount`` debits ``account``, negative credits it."""

    account: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """An immutable double-entry ledger entry; its postings sum to zero per currency.

    Provenance: ``source_event_ids`` are the events that produced it, ``program_id`` /
    ``program_version`` / ``rule_id`` / ``tier`` the rule that did.
    """

    entry_id: str
    kind: EntryKind
    partner_id: str
    program_id: str
    program_version: int
    rule_id: str
    bucket: Bucket | None
    tier: str | None
    period: str
    occurred_at: datetime
    postings: tuple[Posting, ...]
    source_event_ids: tuple[str, ...]
    memo: str

    def __post_init__(self) -> None:
        # The ledger's first invariant is enforced at construction, not only in tests.
        totals: dict[str, Decimal] = {}
        for posting in self.postings:
            totals[posting.currency] = totals.get(posting.currency, _ZERO) + posting.amount
        for currency, total in totals.items():
            if total != 0:
                raise UnbalancedEntryError(
                    f"entry {self.entry_id}: postings sum to {total} {currency}, not zero"
                )


class UnbalancedEntryError(ValueError):
    """Raised when a ledger entry's postings do not sum to zero in some currency."""


_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccrualForgone:
    """What a sale would have accrued under a rule it did not qualify for (certification gate).

    Not a ledger entry (no money moved): a fact for the scorecard's "lost amount". A return
    of the sale emits the same fact with a negative ``amount`` so the lost amount nets out.
    """

    forgone_id: str
    partner_id: str
    program_id: str
    program_version: int
    rule_id: str
    bucket: Bucket
    period: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    product_line: str
    reason: str
    source_event_ids: tuple[str, ...]


class AlertRule(StrEnum):
    DUPLICATE_REGISTRATION = "DUPLICATE_REGISTRATION"
    REGISTRATION_BREACH = "REGISTRATION_BREACH"
    VENDOR_BYPASS = "VENDOR_BYPASS"
    TERRITORY_VIOLATION = "TERRITORY_VIOLATION"
    CUSTOMER_CONTENTION = "CUSTOMER_CONTENTION"
    OVERPAYMENT = "OVERPAYMENT"


class AlertSeverity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class PartyRole(StrEnum):
    PROTECTED = "PROTECTED"
    OFFENDER = "OFFENDER"
    VENDOR = "VENDOR"


class AlertStatus(StrEnum):
    OPEN = "OPEN"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertParty:
    partner_id: str
    role: PartyRole


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictAlert:
    """One channel-conflict situation.

    ``alert_id`` is derived from the situation (rule + the keys that identify it), so more
    evidence for the same situation yields the same id with a higher ``revision``.
    ``detected_at`` is the business time of the event that raised or last updated it.
    """

    alert_id: str
    revision: int
    rule_id: AlertRule
    severity: AlertSeverity
    status: AlertStatus
    customer_id: str | None
    product_line: str | None
    parties: tuple[AlertParty, ...]
    evidence_event_ids: tuple[str, ...]
    occurred_at: datetime
    detected_at: datetime
    message: str
    recommended_action: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """An input that could not be accepted, kept whole with the reason it was refused."""

    reason_code: str
    message: str
    original: bytes
    source_topic: str
    source_partition: int
    source_offset: int
    failed_at: datetime
    event_id: str | None = None
    event_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """The core's refusal of an event it cannot apply (e.g. unknown partner).

    The stream adapters turn it into a ``DeadLetter`` carrying the original bytes and the
    position the event came from; the core itself never sees bytes or topics.
    """

    event_id: str
    event_type: str
    reason_code: str
    message: str
