"""Sales and returns: partner sell-through, the vendor's direct deals, and what comes back.

Ordinary sales stay clean on purpose: a customer buys from the partner(s) it is assigned to,
inside their territory, and a sale into a key another partner has protected goes through the
protecting partner. Conflicts are only ever staged (``services.datagen.conflicts``).
"""

from __future__ import annotations

from decimal import Decimal

from processors.programs.periods import PeriodKind
from schemas.events import PartnerType, SaleChannel, SaleRecorded, SaleReturned
from schemas.outputs import AlertRule
from services.datagen.catalog import Sku
from services.datagen.clock import MS_PER_DAY, MS_PER_HOUR, to_datetime
from services.datagen.state import Sim
from services.datagen.tally import labels

P_DIRECT = 0.07
"""Share of sales the vendor closes itself (with its largest customers)."""
P_SECONDARY = 0.25
"""How often a customer with two partners buys from the second."""
P_RETURN_HARDWARE = 0.05
P_RETURN_OTHER = 0.015
P_RETURN_AFTER_CROSSING = 0.35
"""Returns of the sale that pushed a partner over a tier threshold: the clawback must re-rate."""
P_FULL_RETURN = 0.6
RETURN_DAYS = (3, 45)
RETURN_REASONS = ("DEFECTIVE", "DAMAGED_IN_TRANSIT", "WRONG_ITEM", "CUSTOMER_CANCELLED", "OVERSTOCK")
DISCOUNTS_PCT = (0, 0, 5, 8, 10, 12, 15)
DIRECT_ORDER_FACTOR = 3.0

TYPICAL_RETURN_RATE = 0.045
"""For volume calibration: returns per sale across the catalog mix."""


def unit_price(sim: Sim, sku: Sku) -> Decimal:
    pct = sim.rng.choice(DISCOUNTS_PCT)
    return (sku.list_price * (100 - pct) / 100).quantize(Decimal("0.01"))


def quantity(sim: Sim, sku: Sku, order_size: float) -> int:
    return max(1, round(sku.typical_quantity * order_size * sim.rng.lognormvariate(0.0, 0.6)))


def serving(sim: Sim, partner: int, customer: int, at_ms: int) -> int | None:
    """``partner`` if still active, else another active partner of the customer or territory."""
    if sim.active(partner, at_ms):
        return partner
    customers = sim.world.customers
    for other in customers.partners[customer] + sim.world.covering[customers.territory[customer]]:
        if sim.active(other, at_ms):
            return other
    return None


def partner_sale(sim: Sim, at_ms: int) -> None:
    customers = sim.world.customers
    customer = customers.pick(sim.rng)
    assigned = customers.partners[customer]
    chosen = assigned[1] if len(assigned) > 1 and sim.rng.random() < P_SECONDARY else assigned[0]
    partner = serving(sim, chosen, customer, at_ms)
    if partner is None:
        return
    sku = sim.products.pick(sim.rng)
    holder = sim.registry.protector((customer, sku.product_line), at_ms)
    if holder is not None:
        if not sim.active(holder.partner, at_ms):
            return  # the protecting partner left: nobody else may take this deal yet
        partner = holder.partner
    order_size = sim.world.partners[partner].order_size
    record_sale(sim, at_ms, partner, customer, sku, quantity(sim, sku, order_size), unit_price(sim, sku))


def direct_sale(sim: Sim, at_ms: int) -> None:
    big = sim.world.customers.big
    customer = big[sim.rng.randrange(len(big))]
    sku = sim.products.pick(sim.rng)
    holder = sim.registry.protector((customer, sku.product_line), at_ms)
    qty = quantity(sim, sku, DIRECT_ORDER_FACTOR)
    if holder is None:
        record_sale(sim, at_ms, None, customer, sku, qty, unit_price(sim, sku))
    elif sim.active(holder.partner, at_ms):
        # The vendor respects the registration and routes the deal through the partner.
        record_sale(sim, at_ms, holder.partner, customer, sku, qty, unit_price(sim, sku))


def record_sale(
    sim: Sim,
    at_ms: int,
    partner: int | None,
    customer: int,
    sku: Sku,
    qty: int,
    price: Decimal,
    *,
    registration_id: str | None = None,
    staged: AlertRule | None = None,
    returnable: bool = True,
) -> bool:
    """Schedule one sale (and perhaps its later return); False if it cannot happen."""
    world = sim.world
    amount = price * qty
    returning = returnable and sim.rng.random() < _return_chance(sim, partner, at_ms, sku, amount)
    profile = world.partners[partner] if partner is not None else None
    sale = SaleRecorded(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source=_source(profile.partner_id, profile.partner_type) if profile is not None else "erp",
        sale_id=sim.business_id("SO"),
        channel=SaleChannel.PARTNER if profile is not None else SaleChannel.DIRECT,
        partner_id=profile.partner_id if profile is not None else None,
        customer_id=world.customers.ids[customer],
        customer_territory=world.customers.territory[customer],
        sku=sku.sku,
        product_line=sku.product_line,
        quantity=qty,
        unit_price=price,
        amount=amount,
        currency=world.currency,
        registration_id=registration_id,
    )
    plain = registration_id is None and staged is None and not returning
    if not sim.schedule(at_ms, sale, staged=staged, may_be_late=plain):
        return False
    certified = partner is not None and sim.certified(partner, sku.product_line, at_ms)
    if partner is not None:
        sim.tally.add(partner, at_ms, sku.sku, certified, qty, amount)
    if returning:
        _schedule_return(sim, sale, at_ms, partner, sku, certified)
    return True


def _source(partner_id: str, partner_type: PartnerType) -> str:
    # Distributors report sell-through from their own systems; other partners buy via the ERP.
    return f"distributor:{partner_id}" if partner_type is PartnerType.DISTRIBUTOR else "erp"


def _return_chance(sim: Sim, partner: int | None, at_ms: int, sku: Sku, amount: Decimal) -> float:
    if partner is not None and _crosses_tier(sim, partner, at_ms, amount):
        return P_RETURN_AFTER_CROSSING
    return P_RETURN_HARDWARE if sku.hardware else P_RETURN_OTHER


def _crosses_tier(sim: Sim, partner: int, at_ms: int, amount: Decimal) -> bool:
    """Whether this sale lifts the partner's period revenue over a volume-rebate threshold."""
    programs = sim.thresholds[partner]
    if not programs:
        return False
    month, quarter = labels(at_ms)
    for kind, thresholds in programs:
        before = sim.tally.revenue(partner, month if kind is PeriodKind.MONTH else quarter)
        after = before + amount
        if any(before < t <= after for t in thresholds):
            return True
    return False


def _schedule_return(
    sim: Sim, sale: SaleRecorded, sale_ms: int, partner: int | None, sku: Sku, certified: bool
) -> None:
    rng = sim.rng
    qty = (
        sale.quantity
        if sale.quantity == 1 or rng.random() < P_FULL_RETURN
        else rng.randint(1, sale.quantity - 1)
    )
    amount = sale.unit_price * qty
    at_ms = sale_ms + rng.randint(*RETURN_DAYS) * MS_PER_DAY + rng.randrange(8 * MS_PER_HOUR)
    returned = SaleReturned(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source=sale.source,
        return_id=sim.business_id("RMA"),
        sale_id=sale.sale_id,
        partner_id=sale.partner_id,
        customer_id=sale.customer_id,
        quantity=qty,
        amount=amount,
        currency=sale.currency,
        reason=rng.choice(RETURN_REASONS),
    )
    if sim.schedule(at_ms, returned) and partner is not None:
        # Counted against the sale's month: a clawback undoes what that sale earned there.
        sim.tally.add(partner, sale_ms, sku.sku, certified, -qty, -amount)
