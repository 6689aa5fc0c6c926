"""Deal registrations and their whole lifecycle, decided when the registration is submitted.

Outcomes: approved (then won with a sale that names the registration, withdrawn, or left to
expire), rejected, withdrawn while pending, or never decided. Deciding up front keeps the
generator streaming: the follow-ups are queued with their business times.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from schemas.events import (
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
)
from services.datagen.clock import MS_PER_DAY, MS_PER_HOUR, to_datetime
from services.datagen.registry import Registration
from services.datagen.sales import TYPICAL_RETURN_RATE, record_sale, serving, unit_price
from services.datagen.state import Sim

REGISTRATIONS_PER_SALE = 0.05
P_APPROVE = 0.75
P_REJECT = 0.17
P_WITHDRAW_PENDING = 0.03
"""The rest (5 %) is never decided; it holds its key for ``PENDING_HOLD_DAYS``."""
P_WIN = 0.55
P_WITHDRAW_APPROVED = 0.07
P_EXPLICIT_EXPIRY = 0.25
EXPLICIT_EXPIRY_DAYS = (60, 120)
DEFAULT_PROTECTION_DAYS = 90
PENDING_HOLD_DAYS = 45
REJECTION_REASONS = ("CUSTOMER_ALREADY_ENGAGED", "INSUFFICIENT_DETAIL", "NOT_QUALIFIED", "OUTSIDE_PROGRAM")
P_MAIN_PARTNER = 0.75

EVENTS_PER_REGISTRATION = (
    1
    + P_APPROVE * (1 + P_WIN * (1 + TYPICAL_RETURN_RATE) + P_WITHDRAW_APPROVED)
    + P_REJECT
    + P_WITHDRAW_PENDING
)
"""For volume calibration."""


def register(sim: Sim, at_ms: int) -> None:
    rng, customers = sim.rng, sim.world.customers
    for _ in range(3):
        customer = customers.pick(rng)
        assigned = customers.partners[customer]
        chosen = assigned[0] if len(assigned) == 1 or rng.random() < P_MAIN_PARTNER else assigned[1]
        partner = serving(sim, chosen, customer, at_ms)
        product_line = sim.products.pick(rng).product_line
        if partner is not None and not sim.registry.taken((customer, product_line)):
            break
    else:
        return
    sku = sim.products.pick_in_line(rng, product_line)
    estimated = Decimal(
        max(1, round(float(sku.list_price) * sku.typical_quantity * rng.uniform(1.5, 4) / 100)) * 100
    )
    profile = sim.world.partners[partner]
    registered = DealRegistered(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="prm",
        registration_id=sim.business_id("REG"),
        partner_id=profile.partner_id,
        customer_id=customers.ids[customer],
        customer_territory=customers.territory[customer],
        product_line=product_line,
        estimated_amount=estimated.quantize(Decimal("0.01")),
        currency=sim.world.currency,
    )
    if not sim.schedule(at_ms, registered):
        return
    _decide(sim, registered, at_ms, partner, customer)


def _decide(sim: Sim, reg: DealRegistered, at_ms: int, partner: int, customer: int) -> None:
    rng = sim.rng
    draw = rng.random()
    key = (customer, reg.product_line)
    if draw < P_APPROVE:
        _approve(sim, reg, at_ms, partner, customer)
        return
    if draw < P_APPROVE + P_REJECT:
        ends_ms = at_ms + rng.randint(1, 6) * MS_PER_DAY + rng.randrange(8 * MS_PER_HOUR)
        sim.schedule(
            ends_ms,
            DealRegistrationRejected(
                event_id=sim.event_id(),
                occurred_at=to_datetime(ends_ms),
                source="prm",
                registration_id=reg.registration_id,
                partner_id=reg.partner_id,
                customer_id=reg.customer_id,
                reason=rng.choice(REJECTION_REASONS),
            ),
        )
    elif draw < P_APPROVE + P_REJECT + P_WITHDRAW_PENDING:
        ends_ms = at_ms + rng.randint(1, 10) * MS_PER_DAY + rng.randrange(8 * MS_PER_HOUR)
        sim.schedule(ends_ms, _withdrawn(sim, reg, ends_ms))
    else:
        ends_ms = at_ms + PENDING_HOLD_DAYS * MS_PER_DAY
    sim.registry.add(Registration(reg.registration_id, reg.event_id, partner, key, at_ms, None, ends_ms))


def _approve(sim: Sim, reg: DealRegistered, at_ms: int, partner: int, customer: int) -> None:
    rng = sim.rng
    approved_ms = at_ms + rng.randint(2 * MS_PER_HOUR, 5 * MS_PER_DAY)
    expires_at = None
    protection_days = DEFAULT_PROTECTION_DAYS
    if rng.random() < P_EXPLICIT_EXPIRY:
        protection_days = rng.choice(EXPLICIT_EXPIRY_DAYS)
        expires_at = reg.occurred_at + timedelta(days=protection_days)
    approved = DealRegistrationApproved(
        event_id=sim.event_id(),
        occurred_at=to_datetime(approved_ms),
        source="prm",
        registration_id=reg.registration_id,
        partner_id=reg.partner_id,
        customer_id=reg.customer_id,
        expires_at=expires_at,
    )
    if not sim.schedule(approved_ms, approved):
        sim.registry.add(
            Registration(
                reg.registration_id,
                reg.event_id,
                partner,
                (customer, reg.product_line),
                at_ms,
                None,
                approved_ms,
            )
        )
        return
    until_ms = at_ms + protection_days * MS_PER_DAY
    draw = rng.random()
    last_ms = min(until_ms, sim.end_ms) - MS_PER_DAY
    if draw < P_WIN and last_ms > approved_ms + MS_PER_DAY:
        won_ms = rng.randint(approved_ms + MS_PER_DAY, last_ms)
        sku = sim.products.pick_in_line(rng, reg.product_line)
        price = unit_price(sim, sku)
        qty = max(1, round(float(reg.estimated_amount) / float(price) * rng.uniform(0.6, 1.1)))
        record_sale(sim, won_ms, partner, customer, sku, qty, price, registration_id=reg.registration_id)
    elif draw < P_WIN + P_WITHDRAW_APPROVED and last_ms > approved_ms + MS_PER_DAY:
        withdrawn_ms = rng.randint(approved_ms + MS_PER_DAY, last_ms)
        if sim.schedule(withdrawn_ms, _withdrawn(sim, reg, withdrawn_ms)):
            until_ms = withdrawn_ms
    sim.registry.add(
        Registration(
            reg.registration_id,
            reg.event_id,
            partner,
            (customer, reg.product_line),
            at_ms,
            approved_ms,
            until_ms,
        )
    )


def _withdrawn(sim: Sim, reg: DealRegistered, at_ms: int) -> DealRegistrationWithdrawn:
    return DealRegistrationWithdrawn(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="prm",
        registration_id=reg.registration_id,
        partner_id=reg.partner_id,
        customer_id=reg.customer_id,
    )
