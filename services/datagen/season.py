"""How busy a business day is: weekday rhythm, quarter-end push, holidays and growth.

Channel sales bunch up at quarter end (partners chase tier thresholds, the vendor chases its
number), sag at weekends, in August and over the year-end holidays, and grow over the year.
"""

from __future__ import annotations

from datetime import date, timedelta

_WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.3, 0.2)
_MONTH = (0.85, 0.95, 1.0, 0.95, 1.0, 1.0, 0.95, 0.8, 1.0, 1.05, 1.05, 1.0)
_ANNUAL_GROWTH = 0.15


def _quarter_end(day: date) -> date:
    quarter_last_month = ((day.month - 1) // 3 + 1) * 3
    first_after = date(day.year + quarter_last_month // 12, quarter_last_month % 12 + 1, 1)
    return first_after - timedelta(days=1)


def day_factor(day: date, first_day: date) -> float:
    """Relative activity of ``day`` (1.0 is an ordinary weekday early in the period)."""
    to_quarter_end = (_quarter_end(day) - day).days
    if to_quarter_end < 3:
        push = 2.4
    elif to_quarter_end < 10:
        push = 1.6
    elif to_quarter_end < 20:
        push = 1.15
    else:
        push = 0.9
    holiday = 0.45 if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1) else 1.0
    # Growth over the first year, flat after: a multi-year dataset keeps a steady load.
    growth = 1.0 + _ANNUAL_GROWTH * min(1.0, (day - first_day).days / 365.0)
    return _WEEKDAY[day.weekday()] * _MONTH[day.month - 1] * push * holiday * growth
