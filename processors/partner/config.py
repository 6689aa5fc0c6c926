"""Bounds and policies of the partner processor: every collection in its state has a limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from processors.sop import DEFAULT_SOP, SopTable


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessorConfig:
    late_horizon: timedelta = timedelta(days=125)
    """How far behind the partner's clock an event may be and still be applied; also how long
    event ids are remembered for de-duplication. It exceeds the longest period (92 days) plus
    the largest close grace (31 days), so an event older than it is always for a closed period."""
    sale_retention: timedelta = timedelta(days=180)
    """How long a sale is kept for returns, from its business time."""
    pending_max_age: timedelta = timedelta(days=14)
    """How long an event may wait for what it refers to (partner, sale, claim, payout, case)."""
    pending_max_events: int = 1000
    claim_decision_window: timedelta = timedelta(days=365)
    """An allowance claim still undecided after this long is dropped and reported."""
    payout_retention: timedelta = timedelta(days=400)
    """How long a payout can still be reversed."""
    case_retention: timedelta = timedelta(days=180)
    """How long an open support case waits for its resolution."""
    history_retention: timedelta = timedelta(days=400)
    """Period revenue and care metrics: kept long enough for last year's growth baseline."""
    alert_quiet_period: timedelta = timedelta(days=90)
    """A territory situation with no new evidence for this long is forgotten, and so is an alert
    (of either rule) with no change for this long: its lifecycle events are then refused."""
    alert_max_evidence: int = 20
    """Evidence event ids carried by one alert (the most recent)."""
    registration_default_validity: timedelta = timedelta(days=90)
    sop: SopTable = DEFAULT_SOP


DEFAULT_CONFIG = ProcessorConfig()
