"""Staged channel conflicts: one situation per staging, each set up to trip exactly its rule.

Each staging picks parties so that no other rule fires with it where that can be avoided:
a breach is committed by the customer's other partner (two partners on the key, below the
contention threshold), a territory violation by a partner selling to a single-partner
customer, contention by partners that all cover the customer's territory. Only the event
that completes the situation is tagged with the rule.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable
from decimal import Decimal

from schemas.events import DealRegistered, DealRegistrationRejected
from schemas.outputs import AlertRule
from services.datagen.clock import MS_PER_DAY, MS_PER_HOUR, to_datetime
from services.datagen.registry import Registration
from services.datagen.sales import DIRECT_ORDER_FACTOR, quantity, record_sale, unit_price
from services.datagen.state import Sim

STAGE_WEIGHTS: tuple[tuple[AlertRule, float], ...] = (
    (AlertRule.REGISTRATION_BREACH, 0.28),
    (AlertRule.VENDOR_BYPASS, 0.14),
    (AlertRule.TERRITORY_VIOLATION, 0.26),
    (AlertRule.CUSTOMER_CONTENTION, 0.16),
    (AlertRule.DUPLICATE_REGISTRATION, 0.16),
)
CONTENTION_PARTNERS = 3
CONTENTION_SPREAD_DAYS = 10
EVENTS_PER_STAGING = 1.5
"""For volume calibration: contention takes three sales, a duplicate registration two events."""
_TRIES = 12
CENT = Decimal("0.01")


def stage(sim: Sim, at_ms: int) -> None:
    """Stage one conflict of a randomly chosen rule, falling back to a territory violation."""
    rules = [r for r, _ in STAGE_WEIGHTS]
    rule = sim.rng.choices(rules, weights=[w for _, w in STAGE_WEIGHTS])[0]
    if not _STAGERS[rule](sim, at_ms) and rule is not AlertRule.TERRITORY_VIOLATION:
        _territory_violation(sim, at_ms)


def _other_partner(sim: Sim, holder: Registration, at_ms: int) -> int | None:
    """The customer's other partner, else another partner covering its territory."""
    customers = sim.world.customers
    customer = holder.key[0]
    candidates = [p for p in customers.partners[customer] if p != holder.partner]
    candidates += [p for p in sim.world.covering[customers.territory[customer]] if p not in candidates]
    for partner in candidates:
        if partner != holder.partner and sim.active(partner, at_ms):
            return partner
    return None


def _breach(sim: Sim, at_ms: int) -> bool:
    holder = sim.registry.draw_protecting(sim.rng, at_ms)
    if holder is None or not sim.active(holder.partner, at_ms):
        return False
    offender = _other_partner(sim, holder, at_ms)
    if offender is None:
        return False
    customer, product_line = holder.key
    sku = sim.products.pick_in_line(sim.rng, product_line)
    qty = quantity(sim, sku, sim.world.partners[offender].order_size)
    return record_sale(
        sim, at_ms, offender, customer, sku, qty, unit_price(sim, sku),
        staged=AlertRule.REGISTRATION_BREACH, returnable=False,
    )  # fmt: skip


def _bypass(sim: Sim, at_ms: int) -> bool:
    holder = sim.registry.draw_protecting(sim.rng, at_ms)
    if holder is None or not sim.active(holder.partner, at_ms):
        return False
    customer, product_line = holder.key
    sku = sim.products.pick_in_line(sim.rng, product_line)
    qty = quantity(sim, sku, DIRECT_ORDER_FACTOR)
    return record_sale(
        sim, at_ms, None, customer, sku, qty, unit_price(sim, sku),
        staged=AlertRule.VENDOR_BYPASS, returnable=False,
    )  # fmt: skip


def _duplicate_registration(sim: Sim, at_ms: int) -> bool:
    holder = sim.registry.draw_protecting(sim.rng, at_ms)
    if holder is None or not sim.active(holder.partner, at_ms):
        return False
    rival = _other_partner(sim, holder, at_ms)
    if rival is None:
        return False
    customers, rng = sim.world.customers, sim.rng
    customer, product_line = holder.key
    sku = sim.products.pick_in_line(rng, product_line)
    registered = DealRegistered(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="prm",
        registration_id=sim.business_id("REG"),
        partner_id=sim.world.partners[rival].partner_id,
        customer_id=customers.ids[customer],
        customer_territory=customers.territory[customer],
        product_line=product_line,
        estimated_amount=(sku.list_price * max(1, round(sku.typical_quantity * 2))).quantize(CENT),
        currency=sim.world.currency,
    )
    if not sim.schedule(at_ms, registered, staged=AlertRule.DUPLICATE_REGISTRATION):
        return False
    # The vendor's SOP: the first approved registration wins, the duplicate is rejected.
    rejected_ms = at_ms + rng.randint(1, 4) * MS_PER_DAY
    sim.schedule(
        rejected_ms,
        DealRegistrationRejected(
            event_id=sim.event_id(),
            occurred_at=to_datetime(rejected_ms),
            source="prm",
            registration_id=registered.registration_id,
            partner_id=registered.partner_id,
            customer_id=registered.customer_id,
            reason=f"DUPLICATE_OF_{holder.registration_id}",
        ),
    )
    return True


def _territory_violation(sim: Sim, at_ms: int) -> bool:
    world, rng = sim.world, sim.rng
    pull = list(itertools.accumulate(p.weight for p in world.partners))
    for _ in range(_TRIES):
        partner = bisect.bisect(pull, rng.random() * pull[-1])
        customer = sim.next_customer("territory")
        outside = world.customers.territory[customer] not in sim.partners[partner].territories
        if not (outside and sim.active(partner, at_ms) and len(world.customers.partners[customer]) == 1):
            continue
        sku = sim.products.pick(rng)
        if sim.registry.taken((customer, sku.product_line)):
            continue
        qty = quantity(sim, sku, world.partners[partner].order_size)
        return record_sale(
            sim, at_ms, partner, customer, sku, qty, unit_price(sim, sku),
            staged=AlertRule.TERRITORY_VIOLATION, returnable=False,
        )  # fmt: skip
    return False


def _contention(sim: Sim, at_ms: int) -> bool:
    world, rng = sim.world, sim.rng
    for _ in range(_TRIES):
        customer = sim.next_customer("contention")
        local = [p for p in world.covering[world.customers.territory[customer]] if sim.active(p, at_ms)]
        sku = sim.products.pick(rng)
        key = (customer, sku.product_line)
        if len(local) < CONTENTION_PARTNERS or sim.registry.taken(key):
            continue
        own = [p for p in world.customers.partners[customer] if p in local]
        others = [p for p in local if p not in own]
        rng.shuffle(others)
        sellers = (own + others)[:CONTENTION_PARTNERS]
        offsets = sorted(rng.randrange(CONTENTION_SPREAD_DAYS * MS_PER_DAY) for _ in sellers[1:])
        times = [at_ms, *(at_ms + MS_PER_HOUR + o for o in offsets)]
        # Hold the key so no registration makes these sales breaches before the last one.
        sim.registry.add(
            Registration(f"HOLD-{sim.business_id('HOLD')}", "", -1, key, at_ms, None, times[-1] + MS_PER_DAY)
        )
        for i, (seller, when) in enumerate(zip(sellers, times, strict=True)):
            item = sim.products.pick_in_line(rng, sku.product_line)
            qty = quantity(sim, item, world.partners[seller].order_size)
            staged = AlertRule.CUSTOMER_CONTENTION if i == len(sellers) - 1 else None
            record_sale(
                sim, when, seller, customer, item, qty, unit_price(sim, item), staged=staged, returnable=False
            )
        return True
    return False


_STAGERS: dict[AlertRule, Callable[[Sim, int], bool]] = {
    AlertRule.REGISTRATION_BREACH: _breach,
    AlertRule.VENDOR_BYPASS: _bypass,
    AlertRule.DUPLICATE_REGISTRATION: _duplicate_registration,
    AlertRule.TERRITORY_VIOLATION: _territory_violation,
    AlertRule.CUSTOMER_CONTENTION: _contention,
}
