"""What a generated dataset looks like: one frozen, validated settings object.

The seed and this object fully determine the output; nothing reads the wall clock or the
global ``random`` module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

DEFAULT_PROGRAMS_DIR: Final = Path(__file__).resolve().parents[2] / "deploy" / "programs"
"""The example incentive programs shipped with the deployment (read when present)."""

FALLBACK_START: Final = date(2025, 1, 1)
DEFAULT_DAILY_RATE: Final = 1000.0
MAX_LATE_HOURS: Final = 24 * 30
MIN_PARTNERS: Final = 3
MIN_CUSTOMERS: Final = 10


class DatagenConfigError(ValueError):
    """A setting out of range; the message names the setting."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DatagenConfig:
    """Settings of one synthetic dataset.

    Volume: ``events`` asks for exactly that many records (valid and invalid; the rate is
    calibrated so the simulated period ends about then and the stream is cut at ``events``);
    otherwise ``daily_rate`` valid events arrive on an average day for ``days`` days, and the
    invalid payloads come on top (so the valid events do not depend on ``invalid_rate``).

    Rates: ``conflict_rate`` is the share of sales that stage a channel conflict (one situation
    each); ``late_rate`` the chance that an eligible event (a sale with no follow-ups, a CSAT
    rating) is delivered up to ``late_max_hours`` after it occurred, behind events with a later
    business time; ``invalid_rate`` the exact
    share of records that are invalid payloads; ``overpayment_rate`` the share of payouts and of
    allowance claims that exceed what is owed.
    """

    seed: int = 7
    start: date | None = None
    """First day (00:00 UTC); None: the day the earliest loaded program takes effect, so the
    example programs have a year to act on, else ``FALLBACK_START``."""
    days: int = 365
    partners: int = 60
    customers: int = 4000
    events: int | None = None
    daily_rate: float | None = None
    conflict_rate: float = 0.01
    late_rate: float = 0.01
    late_max_hours: int = 72
    invalid_rate: float = 0.001
    overpayment_rate: float = 0.03
    programs_dir: Path | None = DEFAULT_PROGRAMS_DIR
    """Incentive programs to enrol partners in; None for none (no payouts or claims)."""

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime):
            raise DatagenConfigError("start: give a date (the day starts at 00:00 UTC), not a datetime")
        if self.days < 1:
            raise DatagenConfigError(f"days: must be at least 1, got {self.days}")
        if self.partners < MIN_PARTNERS:
            raise DatagenConfigError(f"partners: must be at least {MIN_PARTNERS}, got {self.partners}")
        if self.customers < MIN_CUSTOMERS:
            raise DatagenConfigError(f"customers: must be at least {MIN_CUSTOMERS}, got {self.customers}")
        if self.events is not None and self.events < 0:
            raise DatagenConfigError(f"events: must not be negative, got {self.events}")
        if self.daily_rate is not None and not self.daily_rate > 0:
            raise DatagenConfigError(f"daily_rate: must be positive, got {self.daily_rate}")
        if self.events is not None and self.daily_rate is not None:
            raise DatagenConfigError("events and daily_rate: give one of them, not both")
        for name in ("conflict_rate", "late_rate", "invalid_rate", "overpayment_rate"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise DatagenConfigError(f"{name}: must be in [0, 1), got {value}")
        if not 1 <= self.late_max_hours <= MAX_LATE_HOURS:
            raise DatagenConfigError(
                f"late_max_hours: must be between 1 and {MAX_LATE_HOURS}, got {self.late_max_hours}"
            )

    @property
    def target_records(self) -> float:
        """Expected records over the whole period (exact when ``events`` is set; else valid
        events only)."""
        if self.events is not None:
            return float(self.events)
        return (self.daily_rate or DEFAULT_DAILY_RATE) * self.days
