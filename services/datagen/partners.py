"""Partner master data over the year: onboarding, certifications, tier reviews, territory
growth, an offboarding, and the scheduler's clock ticks at every period end.
"""

from __future__ import annotations

from processors.programs.periods import PeriodKind, period_label
from schemas.events import (
    ClockTicked,
    PartnerCertified,
    PartnerOffboarded,
    PartnerOnboarded,
    PartnerTerritoryChanged,
    PartnerTierChanged,
)
from services.datagen.catalog import TERRITORIES
from services.datagen.clock import MS_PER_DAY, MS_PER_HOUR, to_datetime
from services.datagen.state import Sim
from services.datagen.world import tier_for_rank

P_RENEW = 0.7
P_NEW_CERTIFICATION = 0.15
P_TIER_CHANGE = 0.6
P_TERRITORY_GROWTH = 0.05
CERTIFICATION_YEARS_DAYS = 365


def onboard_all(sim: Sim) -> None:
    """Everyone joins in the first hour; certifications follow in the next."""
    rng, start = sim.rng, sim.start_ms
    for profile in sim.world.partners:
        at_ms = start + profile.index * 1000
        sim.schedule(
            at_ms,
            PartnerOnboarded(
                event_id=sim.event_id(),
                occurred_at=to_datetime(at_ms),
                source="erp",
                partner_id=profile.partner_id,
                name=profile.name,
                partner_type=profile.partner_type,
                tier=profile.tier,
                territories=profile.territories,
                programs=profile.programs,
            ),
        )
    for profile in sim.world.partners:
        held = dict(profile.certifications)
        for product_line, until_ms in held.items():
            at_ms = start + MS_PER_HOUR + rng.randrange(MS_PER_HOUR)
            _certify(sim, profile.index, product_line, at_ms, until_ms)
            renew_ms = until_ms - rng.randint(1, 30) * MS_PER_DAY
            if renew_ms < sim.end_ms and rng.random() < P_RENEW:
                _certify(
                    sim,
                    profile.index,
                    product_line,
                    renew_ms,
                    until_ms + CERTIFICATION_YEARS_DAYS * MS_PER_DAY,
                    at_ms,
                )
        for line in sim.products.product_lines:
            if line not in held and rng.random() < P_NEW_CERTIFICATION:
                at_ms = start + rng.randrange(sim.end_ms - start)
                _certify(sim, profile.index, line, at_ms, at_ms + CERTIFICATION_YEARS_DAYS * MS_PER_DAY)
        if profile.offboard_ms is not None:
            sim.schedule(
                profile.offboard_ms,
                PartnerOffboarded(
                    event_id=sim.event_id(),
                    occurred_at=to_datetime(profile.offboard_ms),
                    source="erp",
                    partner_id=profile.partner_id,
                    reason="Partner agreement terminated for low activity",
                ),
            )


def _certify(
    sim: Sim, partner: int, product_line: str, at_ms: int, until_ms: int, since_ms: int | None = None
) -> None:
    event = PartnerCertified(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="partner-portal",
        partner_id=sim.world.partners[partner].partner_id,
        product_line=product_line,
        valid_until=to_datetime(until_ms),
    )
    if sim.schedule(at_ms, event):
        # A renewal extends the certification it renews; a first one starts now.
        sim.partners[partner].certified[product_line] = (at_ms if since_ms is None else since_ms, until_ms)


def tick_all(sim: Sim, at_ms: int) -> None:
    """The scheduler advances every active partner's business clock at a period end."""
    for profile in sim.world.partners:
        sim.schedule(
            at_ms,
            ClockTicked(
                event_id=sim.event_id(),
                occurred_at=to_datetime(at_ms),
                source="scheduler",
                partner_id=profile.partner_id,
            ),
        )


def quarterly_review(sim: Sim, quarter_start_ms: int) -> None:
    """Re-tier partners on last quarter's revenue; a few grow into a neighbouring territory."""
    rng = sim.rng
    quarter = period_label(to_datetime(quarter_start_ms - 1), PeriodKind.QUARTER)
    active = [p.index for p in sim.world.partners if sim.active(p.index, quarter_start_ms)]
    ranked = sorted(active, key=lambda i: (-sim.tally.revenue(i, quarter), i))
    for position, index in enumerate(ranked):
        tier = tier_for_rank(position, len(ranked))
        now = sim.partners[index]
        if tier != now.tier and rng.random() < P_TIER_CHANGE:
            at_ms = quarter_start_ms + rng.randint(6 * MS_PER_HOUR, 30 * MS_PER_HOUR)
            changed = PartnerTierChanged(
                event_id=sim.event_id(),
                occurred_at=to_datetime(at_ms),
                source="erp",
                partner_id=sim.world.partners[index].partner_id,
                tier=tier,
            )
            if sim.schedule(at_ms, changed):
                now.tier = tier
        if rng.random() < P_TERRITORY_GROWTH:
            _grow_territory(sim, index, quarter_start_ms)


def _grow_territory(sim: Sim, index: int, quarter_start_ms: int) -> None:
    now = sim.partners[index]
    region = next(t.region for t in TERRITORIES if t.code == now.territories[0])
    options = [t.code for t in TERRITORIES if t.region == region and t.code not in now.territories]
    if not options:
        return
    at_ms = quarter_start_ms + sim.rng.randint(1, 20) * MS_PER_DAY + sim.rng.randrange(8 * MS_PER_HOUR)
    territories = (*now.territories, sim.rng.choice(options))
    changed = PartnerTerritoryChanged(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="erp",
        partner_id=sim.world.partners[index].partner_id,
        territories=territories,
    )
    if sim.schedule(at_ms, changed):
        # Only ever growing: customers already served stay inside the partner's territories.
        now.territories = territories
