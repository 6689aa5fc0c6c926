"""Incentive periods (month or quarter) of business time, named like payouts name them.

Labels are ``"2026-03"`` for a month and ``"2026-Q1"`` for a quarter; a period runs from its
first instant (inclusive) to the next period's first instant (exclusive), in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


def period_label(at: datetime, kind: PeriodKind) -> str:
    """The label of the period of ``kind`` that contains ``at`` (an aware UTC datetime)."""
    if kind is PeriodKind.MONTH:
        return f"{at.year:04d}-{at.month:02d}"
    return f"{at.year:04d}-Q{(at.month - 1) // 3 + 1}"


@lru_cache(maxsize=4096)
def period_bounds(label: str) -> tuple[datetime, datetime]:
    """``(start, end)`` of a labelled period; raises ``ValueError`` for a malformed label."""
    year_text, _, rest = label.partition("-")
    if len(year_text) != 4 or not year_text.isdigit() or not rest:
        raise ValueError(f"not a period label: {label!r} (expected YYYY-MM or YYYY-Qn)")
    year = int(year_text)
    if rest.startswith("Q") and rest[1:] in {"1", "2", "3", "4"}:
        first_month, months = (int(rest[1:]) - 1) * 3 + 1, 3
    elif rest.isdigit() and len(rest) == 2 and 1 <= int(rest) <= 12:
        first_month, months = int(rest), 1
    else:
        raise ValueError(f"not a period label: {label!r} (expected YYYY-MM or YYYY-Qn)")
    start = datetime(year, first_month, 1, tzinfo=UTC)
    end_month = first_month + months
    end = datetime(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1, tzinfo=UTC)
    return start, end


def period_kind_of(label: str) -> PeriodKind:
    period_bounds(label)
    return PeriodKind.QUARTER if "Q" in label else PeriodKind.MONTH


@lru_cache(maxsize=4096)
def same_period_last_year(label: str) -> str:
    period_bounds(label)
    return f"{int(label[:4]) - 1:04d}{label[4:]}"
