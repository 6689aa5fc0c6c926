"""Support cases: opened with the customer's partner, resolved, often rated.

How fast and how well a case is handled depends on the partner's ``quality``, so customer-care
scorecards and bonuses separate good partners from poor ones.
"""

from __future__ import annotations

from schemas.events import Resolution, Severity, SupportCaseOpened, SupportCaseRated, SupportCaseResolved
from services.datagen.clock import MS_PER_HOUR, to_datetime
from services.datagen.sales import serving
from services.datagen.state import Sim

CASES_PER_SALE = 0.06
P_RESOLVED = 0.95
P_RATED = 0.65
SEVERITIES = (Severity.P1, Severity.P2, Severity.P3, Severity.P4)
SEVERITY_WEIGHTS = (0.05, 0.20, 0.45, 0.30)
TARGET_HOURS = {Severity.P1: 6.0, Severity.P2: 24.0, Severity.P3: 72.0, Severity.P4: 120.0}
RESOLUTIONS = (Resolution.FIXED, Resolution.REPLACED, Resolution.ESCALATED_TO_VENDOR, Resolution.NO_FAULT)

EVENTS_PER_CASE = 1 + P_RESOLVED * (1 + P_RATED)
"""For volume calibration."""


def open_case(sim: Sim, at_ms: int) -> None:
    rng, world = sim.rng, sim.world
    customer = world.customers.pick(rng)
    partner = serving(sim, world.customers.partners[customer][0], customer, at_ms)
    if partner is None:
        return
    profile = world.partners[partner]
    severity = rng.choices(SEVERITIES, weights=SEVERITY_WEIGHTS)[0]
    opened = SupportCaseOpened(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="support-desk",
        case_id=sim.business_id("CASE"),
        partner_id=profile.partner_id,
        customer_id=world.customers.ids[customer],
        sku=sim.products.pick_hardware(rng).sku,
        severity=severity,
    )
    if not sim.schedule(at_ms, opened) or rng.random() >= P_RESOLVED:
        return
    quality = profile.quality
    target = TARGET_HOURS[severity]
    hours = target * rng.lognormvariate(0.0, 0.5) * (1.7 - quality)
    resolved_ms = at_ms + max(1, int(hours * MS_PER_HOUR))
    weights = (0.45 + 0.25 * quality, 0.20, 0.27 - 0.22 * quality, 0.10)
    resolved = SupportCaseResolved(
        event_id=sim.event_id(),
        occurred_at=to_datetime(resolved_ms),
        source="support-desk",
        case_id=opened.case_id,
        partner_id=profile.partner_id,
        resolution=rng.choices(RESOLUTIONS, weights=weights)[0],
    )
    if not sim.schedule(resolved_ms, resolved) or rng.random() >= P_RATED:
        return
    slow = 0.8 if hours > 2 * target else 0.0
    csat = min(5, max(1, round(rng.gauss(1.6 + 3.2 * quality - slow, 0.8))))
    rated_ms = resolved_ms + rng.randint(MS_PER_HOUR, 72 * MS_PER_HOUR)
    rated = SupportCaseRated(
        event_id=sim.event_id(),
        occurred_at=to_datetime(rated_ms),
        source="support-desk",
        case_id=opened.case_id,
        partner_id=profile.partner_id,
        csat=csat,
    )
    sim.schedule(rated_ms, rated, may_be_late=True)
