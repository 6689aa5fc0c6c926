"""Business-time helpers: UTC day numbers and exact integer encodings of aware datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
_MICROSECOND = timedelta(microseconds=1)


def day_of(at: datetime) -> int:
    """The UTC calendar day of ``at`` as days since 1970-01-01 (contention windows count these)."""
    return int(at.timestamp() // _SECONDS_PER_DAY)


def date_of_day(day: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + day)


def to_micros(at: datetime) -> int:
    """Exact microseconds since the epoch; the state's serialized form of a datetime."""
    return (at - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
