"""What each partner sold per month, kept just finely enough to estimate what it earned.

Payouts and allowance claims must look like a finance team's: mostly within what is owed,
occasionally (on purpose) beyond it. The generator cannot run the ledger, so it keeps units
and revenue per partner, month, SKU and "certified at sale time", from which it derives a
lower and an upper bound of every program's accruals (``services.datagen.estimates``).
Months older than the settlement horizon are dropped, so the tally stays O(partners).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from processors.programs.periods import PeriodKind, period_bounds, period_label
from services.datagen.clock import MS_PER_DAY, to_datetime

Row = tuple[str, bool, int, Decimal]
"""(sku, certified for its product line at sale time, units, revenue)."""

_KEEP_MONTHS = 6


class Tally:
    def __init__(self) -> None:
        self._months: dict[tuple[int, str], dict[tuple[str, bool], list[int | Decimal]]] = {}
        self._period_revenue: dict[tuple[int, str], Decimal] = {}

    def add(self, partner: int, at_ms: int, sku: str, certified: bool, units: int, revenue: Decimal) -> None:
        """Record a sale (positive) or a return (negative) in the month of ``at_ms``."""
        month, quarter = labels(at_ms)
        cell = self._months.setdefault((partner, month), {}).setdefault((sku, certified), [0, Decimal(0)])
        cell[0] = int(cell[0]) + units
        cell[1] = Decimal(cell[1]) + revenue
        for label in (month, quarter):
            key = (partner, label)
            self._period_revenue[key] = self._period_revenue.get(key, Decimal(0)) + revenue

    def revenue(self, partner: int, period: str) -> Decimal:
        """Net revenue of a month (``2025-03``) or quarter (``2025-Q1``)."""
        return self._period_revenue.get((partner, period), Decimal(0))

    def rows(self, partner: int, months: Iterable[str]) -> list[Row]:
        out: list[Row] = []
        for month in months:
            for (sku, certified), (units, revenue) in self._months.get((partner, month), {}).items():
                out.append((sku, certified, int(units), Decimal(revenue)))
        return out

    def prune(self, now_ms: int) -> None:
        """Forget months that ended more than ``_KEEP_MONTHS`` months before ``now_ms``."""
        now = to_datetime(now_ms)
        horizon = now.year * 12 + now.month - 1 - _KEEP_MONTHS
        for key in [k for k in self._months if _month_index(k[1]) < horizon]:
            del self._months[key]
        for key in [k for k in self._period_revenue if _month_index(k[1]) < horizon - 3]:
            del self._period_revenue[key]


@lru_cache(maxsize=128)
def _day_labels(day: int) -> tuple[str, str]:
    at = to_datetime(day * MS_PER_DAY)
    return period_label(at, PeriodKind.MONTH), period_label(at, PeriodKind.QUARTER)


def labels(at_ms: int) -> tuple[str, str]:
    """(month, quarter) labels of the period containing ``at_ms``."""
    return _day_labels(at_ms // MS_PER_DAY)


def _month_index(label: str) -> int:
    start, _ = period_bounds(label)
    return start.year * 12 + start.month - 1


def months_of(period: str) -> list[str]:
    """The month labels a month or quarter label spans."""
    start, end = period_bounds(period)
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last)]


def months_spanning(from_ms: int, to_ms: int) -> list[str]:
    """The month labels from the month of ``from_ms`` to the month of ``to_ms``, inclusive."""
    first, last = to_datetime(from_ms), to_datetime(to_ms)
    return [
        f"{m // 12:04d}-{m % 12 + 1:02d}"
        for m in range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
    ]
