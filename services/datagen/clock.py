"""Business time as integer milliseconds since the Unix epoch (UTC).

The generator schedules and orders millions of events; integer milliseconds compare and add
cheaply and are exactly what the wire keeps (timestamp-millis). ``to_datetime`` makes the aware
UTC datetime an event carries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MS_PER_HOUR: Final = 3_600_000
MS_PER_DAY: Final = 24 * MS_PER_HOUR


def to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def to_ms(at: datetime) -> int:
    return (at - EPOCH) // timedelta(milliseconds=1)


def day_ms(day: date) -> int:
    """The first millisecond of ``day`` (UTC)."""
    return (day - EPOCH.date()).days * MS_PER_DAY


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_starts(first: date, last: date) -> list[date]:
    """Every first-of-month strictly after ``first`` and not after ``last``."""
    out: list[date] = []
    boundary = next_month(first)
    while boundary <= last:
        out.append(boundary)
        boundary = next_month(boundary)
    return out
