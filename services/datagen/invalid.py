"""Invalid payloads, each carrying exactly one defect so validation refuses it for a known reason.

The defects are the ones source systems really produce: a return keyed with a negative
quantity, a currency code that is not ISO-4217, a direct sale that still names a partner, a
CSAT of 7 on a 5-point scale, an amount that is not quantity x unit price, a line cut off
mid-write (or random bytes), and an event type this version does not know yet. Ids are fresh
and never referenced by valid events, so an invalid record changes nothing downstream.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from schemas.events import InputEvent, SaleChannel, SaleRecorded, SaleReturned, SupportCaseRated
from services.datagen.clock import to_datetime
from services.datagen.records import InvalidKind, InvalidRecord
from services.datagen.state import random_uuid
from services.datagen.world import World

UNKNOWN_CURRENCY = "XBT"
"""Looks like a currency code, is not ISO-4217."""
OUT_OF_RANGE_CSAT = 7
AMOUNT_DRIFT = Decimal("37.50")
_KINDS = tuple(InvalidKind)
_MAGIC = b"\xc3\x01"


def make_invalid(rng: random.Random, world: World, at_ms: int) -> InvalidRecord:
    kind = _KINDS[rng.randrange(len(_KINDS))]
    sale = _sale(rng, world, at_ms)
    model: InputEvent = sale
    noise = b""
    if kind is InvalidKind.NEGATIVE_QUANTITY:
        model = SaleReturned(
            event_id=random_uuid(rng),
            occurred_at=sale.occurred_at,
            source=sale.source,
            return_id=f"RMA-9{rng.randrange(10**6):06d}",
            sale_id=sale.sale_id,
            partner_id=sale.partner_id,
            customer_id=sale.customer_id,
            quantity=-sale.quantity,
            amount=sale.amount,
            currency=sale.currency,
            reason="CUSTOMER_CANCELLED",
        )
    elif kind is InvalidKind.UNKNOWN_CURRENCY:
        model = replace(sale, currency=UNKNOWN_CURRENCY)
    elif kind is InvalidKind.DIRECT_WITH_PARTNER:
        model = replace(sale, channel=SaleChannel.DIRECT, source="erp")
    elif kind is InvalidKind.AMOUNT_MISMATCH:
        model = replace(sale, amount=sale.amount + AMOUNT_DRIFT)
    elif kind is InvalidKind.CSAT_OUT_OF_RANGE:
        model = SupportCaseRated(
            event_id=random_uuid(rng),
            occurred_at=sale.occurred_at,
            source="support-desk",
            case_id=f"CASE-9{rng.randrange(10**6):06d}",
            partner_id=sale.partner_id or "",
            csat=OUT_OF_RANGE_CSAT,
        )
    elif kind is InvalidKind.GARBAGE:
        noise = rng.randbytes(rng.randint(12, 96))
        if noise.startswith(_MAGIC):
            noise = b"\x00" + noise
    return InvalidRecord(kind=kind, model=model, noise=noise)


def _sale(rng: random.Random, world: World, at_ms: int) -> SaleRecorded:
    customers = world.customers
    customer = rng.randrange(len(customers.ids))
    partner = world.partners[customers.partners[customer][0]]
    line = world.catalog[rng.randrange(len(world.catalog))]
    sku = line.skus[rng.randrange(len(line.skus))]
    quantity = rng.randint(1, 20)
    return SaleRecorded(
        event_id=random_uuid(rng),
        occurred_at=to_datetime(at_ms),
        source="erp",
        sale_id=f"SO-9{rng.randrange(10**6):06d}",
        channel=SaleChannel.PARTNER,
        partner_id=partner.partner_id,
        customer_id=customers.ids[customer],
        customer_territory=customers.territory[customer],
        sku=sku.sku,
        product_line=sku.product_line,
        quantity=quantity,
        unit_price=sku.list_price,
        amount=sku.list_price * quantity,
        currency=world.currency,
    )
