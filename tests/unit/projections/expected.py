"""Scorecard figures computed straight from the records in plain Python.

Written from the metric definitions in docs/projections.md, independently of the SQL, so
a test comparing the two checks the SQL rather than re-running it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from projections.rows import Record
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    Event,
    PartnerCertified,
    PartnerOnboarded,
    PartnerTierChanged,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.outputs import AccrualForgone, ConflictAlert, EntryKind, LedgerEntry, PartyRole

ZERO = Decimal(0)
ACCRUING = (EntryKind.ACCRUAL, EntryKind.TRUE_UP, EntryKind.ADJUSTMENT)


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def quarter_of(moment: datetime) -> date:
    return date(moment.year, 3 * ((moment.month - 1) // 3) + 1, 1)


def quantile_inclusive(values: list[float], level: float) -> float:
    """The R-7 / Excel PERCENTILE.INC quantile: linear between closest ranks."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * level
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


@dataclass
class Card:
    sales: int = 0
    units_sold: int = 0
    revenue: Decimal = ZERO
    returns: int = 0
    units_returned: int = 0
    returned_amount: Decimal = ZERO
    registrations_submitted: int = 0
    registrations_approved: int = 0
    registrations_won: int = 0
    registrations_rejected: int = 0
    registrations_expired: int = 0
    registrations_withdrawn: int = 0
    days_to_close: list[float] = field(default_factory=list)
    cases_opened: int = 0
    cases_resolved: int = 0
    cases_replaced: int = 0
    resolution_hours: list[float] = field(default_factory=list)
    csat: list[int] = field(default_factory=list)
    conflicts_as_offender: int = 0
    conflicts_as_protected: int = 0
    accrued: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    clawed_back: Decimal = ZERO
    expired_funds: Decimal = ZERO
    paid: Decimal = ZERO
    owed_change: Decimal = ZERO
    accrual_forgone: Decimal = ZERO
    outstanding: Decimal = ZERO

    @property
    def return_rate(self) -> float | None:
        return self.units_returned / self.units_sold if self.units_sold else None

    @property
    def registrations_closed(self) -> int:
        return (
            self.registrations_won
            + self.registrations_rejected
            + self.registrations_expired
            + self.registrations_withdrawn
        )

    @property
    def win_rate(self) -> float | None:
        closed = self.registrations_closed
        return self.registrations_won / closed if closed else None

    @property
    def replacement_rate(self) -> float | None:
        return self.cases_replaced / self.cases_resolved if self.cases_resolved else None

    @property
    def csat_avg(self) -> float | None:
        return sum(self.csat) / len(self.csat) if self.csat else None

    @property
    def resolution_hours_median(self) -> float | None:
        return quantile_inclusive(self.resolution_hours, 0.5) if self.resolution_hours else None

    @property
    def resolution_hours_p90(self) -> float | None:
        return quantile_inclusive(self.resolution_hours, 0.9) if self.resolution_hours else None

    def health_score(self) -> float:
        """The documented formula: weighted components in [0, 1], absent ones left out."""
        parts: list[tuple[float, float]] = [(15, 1 / (1 + self.conflicts_as_offender))]
        if self.return_rate is not None:
            parts.append((20, 1 - min(self.return_rate, 1)))
        if self.win_rate is not None:
            parts.append((20, self.win_rate))
        if self.csat_avg is not None:
            parts.append((20, (self.csat_avg - 1) / 4))
        if self.resolution_hours_p90 is not None:
            parts.append((15, max(0.0, min(1.0, (168 - self.resolution_hours_p90) / 144))))
        if self.replacement_rate is not None:
            parts.append((10, 1 - self.replacement_rate))
        return 100 * sum(w * c for w, c in parts) / sum(w for w, _ in parts)


def latest_alerts(records: Iterable[Record]) -> dict[str, ConflictAlert]:
    latest: dict[str, ConflictAlert] = {}
    for r in records:
        if isinstance(r, ConflictAlert):
            known = latest.get(r.alert_id)
            if known is None or r.revision > known.revision:
                latest[r.alert_id] = r
    return latest


def _business_now(records: Iterable[Record]) -> datetime:
    return max(r.occurred_at for r in records if isinstance(r, Event))


def scorecards(records: list[Record], period_of: Callable[[datetime], date]) -> dict[tuple[str, date], Card]:
    cards: dict[tuple[str, date], Card] = defaultdict(Card)

    def card(partner_id: str, moment: datetime) -> Card:
        return cards[(partner_id, period_of(moment))]

    for r in records:
        if isinstance(r, SaleRecorded) and r.channel is SaleChannel.PARTNER and r.partner_id:
            c = card(r.partner_id, r.occurred_at)
            c.sales += 1
            c.units_sold += r.quantity
            c.revenue += r.amount
        elif isinstance(r, SaleReturned) and r.partner_id:
            c = card(r.partner_id, r.occurred_at)
            c.returns += 1
            c.units_returned += r.quantity
            c.returned_amount += r.amount
        elif isinstance(r, DealRegistered):
            card(r.partner_id, r.occurred_at).registrations_submitted += 1
        elif isinstance(r, DealRegistrationApproved):
            card(r.partner_id, r.occurred_at).registrations_approved += 1
        elif isinstance(r, LedgerEntry):
            c = card(r.partner_id, r.occurred_at)
            for posting in r.postings:
                if not posting.account.startswith(f"partner:{r.partner_id}:"):
                    continue
                owed = -posting.amount
                c.owed_change += owed
                if r.kind in ACCRUING:
                    c.accrued[r.bucket.value if r.bucket else ""] += owed
                elif r.kind is EntryKind.CLAWBACK:
                    c.clawed_back += posting.amount
                elif r.kind is EntryKind.EXPIRY:
                    c.expired_funds += posting.amount
                elif r.kind in (EntryKind.PAYOUT, EntryKind.PAYOUT_REVERSAL):
                    c.paid += posting.amount
        elif isinstance(r, AccrualForgone):
            card(r.partner_id, r.occurred_at).accrual_forgone += r.amount
    _registration_closes(records, card)
    _support(records, card)
    _conflicts(records, card)
    _outstanding(cards)
    return dict(cards)


@dataclass(frozen=True)
class Outcome:
    partner_id: str
    status: str
    closed_at: datetime | None
    days_to_close: float | None = None


def registration_outcomes(records: list[Record]) -> dict[str, Outcome]:
    """Each registration's status by business time, from its lifecycle events and sales."""
    now = _business_now(records)
    registered = {r.registration_id: r for r in records if isinstance(r, DealRegistered)}
    approved = {r.registration_id: r for r in records if isinstance(r, DealRegistrationApproved)}
    rejected = {r.registration_id: r for r in records if isinstance(r, DealRegistrationRejected)}
    withdrawn = {r.registration_id: r for r in records if isinstance(r, DealRegistrationWithdrawn)}
    sales = [r for r in records if isinstance(r, SaleRecorded) and r.registration_id]
    outcomes: dict[str, Outcome] = {}
    for registration_id, reg in registered.items():
        partner = reg.partner_id
        if registration_id in rejected:
            outcomes[registration_id] = Outcome(partner, "REJECTED", rejected[registration_id].occurred_at)
            continue
        approval = approved.get(registration_id)
        if approval is None:
            outcomes[registration_id] = Outcome(partner, "PENDING", None)
            continue
        expires = approval.expires_at or reg.occurred_at + timedelta(days=90)
        gone = withdrawn.get(registration_id)
        wins = sorted(
            s.occurred_at
            for s in sales
            if s.registration_id == registration_id
            and s.partner_id == partner
            and reg.occurred_at <= s.occurred_at <= expires
            and (gone is None or s.occurred_at < gone.occurred_at)
        )
        if wins:
            days = (wins[0] - reg.occurred_at).total_seconds() / 86400
            outcomes[registration_id] = Outcome(partner, "WON", wins[0], days)
        elif gone is not None and (gone.occurred_at < expires or expires > now):
            outcomes[registration_id] = Outcome(partner, "WITHDRAWN", gone.occurred_at)
        elif expires <= now:
            outcomes[registration_id] = Outcome(partner, "EXPIRED", expires)
        else:
            outcomes[registration_id] = Outcome(partner, "APPROVED", None)
    return outcomes


def _registration_closes(records: list[Record], card: Callable[[str, datetime], Card]) -> None:
    for outcome in registration_outcomes(records).values():
        if outcome.closed_at is None:
            continue
        c = card(outcome.partner_id, outcome.closed_at)
        if outcome.status == "WON":
            c.registrations_won += 1
            assert outcome.days_to_close is not None
            c.days_to_close.append(outcome.days_to_close)
        elif outcome.status == "REJECTED":
            c.registrations_rejected += 1
        elif outcome.status == "WITHDRAWN":
            c.registrations_withdrawn += 1
        elif outcome.status == "EXPIRED":
            c.registrations_expired += 1


def _support(records: list[Record], card: Callable[[str, datetime], Card]) -> None:
    opened = {r.case_id: r for r in records if isinstance(r, SupportCaseOpened)}
    for r in records:
        if isinstance(r, SupportCaseOpened):
            card(r.partner_id, r.occurred_at).cases_opened += 1
        elif isinstance(r, SupportCaseResolved):
            c = card(r.partner_id, r.occurred_at)
            c.cases_resolved += 1
            c.cases_replaced += r.resolution.value == "REPLACED"
            c.resolution_hours.append((r.occurred_at - opened[r.case_id].occurred_at).total_seconds() / 3600)
        elif isinstance(r, SupportCaseRated):
            card(r.partner_id, r.occurred_at).csat.append(r.csat)


def _conflicts(records: list[Record], card: Callable[[str, datetime], Card]) -> None:
    latest = latest_alerts(records)
    for alert in latest.values():
        for party in alert.parties:
            if party.role is PartyRole.OFFENDER:
                card(party.partner_id, alert.occurred_at).conflicts_as_offender += 1
            elif party.role is PartyRole.PROTECTED:
                card(party.partner_id, alert.occurred_at).conflicts_as_protected += 1


def _outstanding(cards: dict[tuple[str, date], Card]) -> None:
    running: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for partner_id, period in sorted(cards):
        running[partner_id] += cards[(partner_id, period)].owed_change
        cards[(partner_id, period)].outstanding = running[partner_id]


def tier_at(records: list[Record], partner_id: str, before: datetime) -> str:
    changes = sorted(
        (r.occurred_at, r.tier.value)
        for r in records
        if isinstance(r, PartnerOnboarded | PartnerTierChanged)
        and r.partner_id == partner_id
        and r.occurred_at < before
    )
    return changes[-1][1] if changes else ""


def certified_lines_at(records: list[Record], partner_id: str, end: datetime) -> list[str]:
    last = end - timedelta(milliseconds=1)
    return sorted(
        {
            r.product_line
            for r in records
            if isinstance(r, PartnerCertified)
            and r.partner_id == partner_id
            and r.occurred_at <= last
            and r.valid_until >= last
        }
    )


def alert_status(records: list[Record]) -> dict[str, str]:
    """Effective status per alert: latest revision, then acknowledgement / resolution after it."""
    latest = latest_alerts(records)
    status = {alert_id: alert.status.value for alert_id, alert in latest.items()}
    for r in records:
        if isinstance(r, AlertResolved) and r.occurred_at >= latest[r.alert_id].detected_at:
            status[r.alert_id] = "RESOLVED"
    for r in records:
        if (
            isinstance(r, AlertAcknowledged)
            and r.occurred_at >= latest[r.alert_id].detected_at
            and status[r.alert_id] != "RESOLVED"
        ):
            status[r.alert_id] = "ACKNOWLEDGED"
    return status
