"""What the HTML report shows: plain rows, filled from the warehouse by whoever renders it.

The renderer does no querying and no arithmetic on money beyond sums for the headline, so
the figures in the report are exactly the warehouse's. Money is ``Decimal`` in ``currency``;
rates and scores are floats (fractions 0..1, CSAT 1..5, health 0..100) or None when unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ScorecardRow:
    """One partner's line of the leaderboard (rows are shown in the order given)."""

    partner_id: str
    partner_name: str
    partner_type: str
    tier: str
    net_revenue: Decimal
    units: int
    return_rate: float | None
    win_rate: float | None
    csat_avg: float | None
    resolution_hours_p50: float | None
    conflicts_as_offender: int
    accrued: Decimal
    paid: Decimal
    outstanding: Decimal
    health_score: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonthlyIncentives:
    """Incentives accrued and paid in a month, and what was owed at its end."""

    month: date
    """Any day of the month (its first, as ``toStartOfMonth`` gives it)."""
    accrued: Decimal
    paid: Decimal
    outstanding: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictCount:
    """Alerts for one rule or one territory, by status."""

    label: str
    open: int
    acknowledged: int
    resolved: int

    @property
    def total(self) -> int:
        return self.open + self.acknowledged + self.resolved


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationFunnel:
    """Deal registrations by how far they got (by business time)."""

    submitted: int
    approved: int
    won: int
    expired: int
    rejected: int
    withdrawn: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportData:
    currency: str
    period: str
    """What the report covers, in words (e.g. "business time 2026-01-01 to 2026-12-31")."""
    as_of: datetime | None
    """The business clock (latest event time), not the wall clock: a replay reports the same."""
    scorecards: tuple[ScorecardRow, ...]
    monthly: tuple[MonthlyIncentives, ...]
    conflicts_by_rule: tuple[ConflictCount, ...]
    conflicts_by_territory: tuple[ConflictCount, ...]
    funnel: RegistrationFunnel
    notes: tuple[tuple[str, str], ...] = ()
    """Label/value lines for the footer: events processed, dead letters, where the data is."""
    title: str = "Channel Ledger report"
