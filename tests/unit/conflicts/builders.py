"""Terse, deterministic builders of customer events for the conflict tests.

Times are given as days (and hours) after T0; event ids are explicit so tests can name
evidence. Every builder fills the fields the conflict rules do not read with plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from processors.conflicts import ConflictConfig, CustomerState, Output, apply, customer_key
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    InputEvent,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
)
from schemas.outputs import AlertRule, ConflictAlert

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, 00:00 UTC
CUSTOMER = "C-1"
LINE = "storage"


def at(days: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def registered(
    event_id: str,
    registration_id: str,
    partner_id: str,
    when: datetime,
    *,
    customer_id: str = CUSTOMER,
    product_line: str = LINE,
) -> DealRegistered:
    return DealRegistered(
        event_id=event_id,
        occurred_at=when,
        source="prm",
        registration_id=registration_id,
        partner_id=partner_id,
        customer_id=customer_id,
        customer_territory="DE",
        product_line=product_line,
        estimated_amount=Decimal("10000.00"),
        currency="EUR",
    )


def approved(
    event_id: str,
    registration_id: str,
    partner_id: str,
    when: datetime,
    *,
    expires_at: datetime | None = None,
    customer_id: str = CUSTOMER,
) -> DealRegistrationApproved:
    return DealRegistrationApproved(
        event_id=event_id,
        occurred_at=when,
        source="prm",
        registration_id=registration_id,
        partner_id=partner_id,
        customer_id=customer_id,
        expires_at=expires_at,
    )


def rejected(
    event_id: str, registration_id: str, partner_id: str, when: datetime, *, customer_id: str = CUSTOMER
) -> DealRegistrationRejected:
    return DealRegistrationRejected(
        event_id=event_id,
        occurred_at=when,
        source="prm",
        registration_id=registration_id,
        partner_id=partner_id,
        customer_id=customer_id,
        reason="not qualified",
    )


def withdrawn(
    event_id: str, registration_id: str, partner_id: str, when: datetime, *, customer_id: str = CUSTOMER
) -> DealRegistrationWithdrawn:
    return DealRegistrationWithdrawn(
        event_id=event_id,
        occurred_at=when,
        source="prm",
        registration_id=registration_id,
        partner_id=partner_id,
        customer_id=customer_id,
    )


def sale(
    event_id: str,
    partner_id: str | None,
    when: datetime,
    *,
    customer_id: str = CUSTOMER,
    product_line: str = LINE,
) -> SaleRecorded:
    """A PARTNER sale by ``partner_id``, or a DIRECT sale when it is None."""
    return SaleRecorded(
        event_id=event_id,
        occurred_at=when,
        source="erp",
        sale_id=f"sale-{event_id}",
        channel=SaleChannel.DIRECT if partner_id is None else SaleChannel.PARTNER,
        partner_id=partner_id,
        customer_id=customer_id,
        customer_territory="DE",
        sku="SKU-1",
        product_line=product_line,
        quantity=1,
        unit_price=Decimal("100.00"),
        amount=Decimal("100.00"),
        currency="EUR",
    )


def returned(
    event_id: str, sale_event_id: str, when: datetime, *, customer_id: str = CUSTOMER
) -> SaleReturned:
    return SaleReturned(
        event_id=event_id,
        occurred_at=when,
        source="erp",
        return_id=f"ret-{event_id}",
        sale_id=f"sale-{sale_event_id}",
        partner_id=None,
        customer_id=customer_id,
        quantity=1,
        amount=Decimal("100.00"),
        currency="EUR",
        reason="damaged",
    )


def acknowledged(
    event_id: str, alert_id: str, when: datetime, *, customer_id: str = CUSTOMER
) -> AlertAcknowledged:
    return AlertAcknowledged(
        event_id=event_id,
        occurred_at=when,
        source="desk",
        alert_id=alert_id,
        customer_id=customer_id,
        acknowledged_by="cm-anna",
    )


def resolved(event_id: str, alert_id: str, when: datetime, *, customer_id: str = CUSTOMER) -> AlertResolved:
    return AlertResolved(
        event_id=event_id,
        occurred_at=when,
        source="desk",
        alert_id=alert_id,
        customer_id=customer_id,
        resolved_by="cm-anna",
        resolution="credited the protected partner",
    )


def run(
    events: Iterable[InputEvent],
    config: ConflictConfig | None = None,
    states: dict[str, CustomerState] | None = None,
) -> tuple[dict[str, CustomerState], list[Output]]:
    """Route events by customer and fold them, as the stream adapters do."""
    config = config or ConflictConfig()
    states = dict(states or {})
    outputs: list[Output] = []
    for event in events:
        key = customer_key(event)
        assert key is not None
        states[key], produced = apply(states.get(key), event, config)
        outputs.extend(produced)
    return states, outputs


def alerts_of(outputs: Iterable[object], rule: AlertRule | None = None) -> list[ConflictAlert]:
    return [o for o in outputs if isinstance(o, ConflictAlert) and (rule is None or o.rule_id is rule)]
