"""Routing by customer, and the events the processor refuses (as ``Rejected``, never a crash)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from processors.conflicts import ConflictConfig, CustomerState, apply, customer_key
from schemas.events import ClockTicked, InputEvent, PartnerTier, PartnerTierChanged, SaleChannel
from schemas.outputs import Rejected
from schemas.reasons import ReasonCode
from tests.unit.conflicts.builders import (
    CUSTOMER,
    acknowledged,
    alerts_of,
    approved,
    at,
    registered,
    rejected,
    resolved,
    returned,
    run,
    sale,
    withdrawn,
)


def test_customer_events_are_keyed_by_their_customer() -> None:
    events: list[InputEvent] = [
        registered("e1", "R", "PA", at(0), customer_id="C-9"),
        approved("e2", "R", "PA", at(0), customer_id="C-9"),
        rejected("e3", "R", "PA", at(0), customer_id="C-9"),
        withdrawn("e4", "R", "PA", at(0), customer_id="C-9"),
        sale("e5", "PA", at(0), customer_id="C-9"),
        sale("e6", None, at(0), customer_id="C-9"),
        returned("e7", "e5", at(0), customer_id="C-9"),
        acknowledged("e8", "alert", at(0), customer_id="C-9"),
        resolved("e9", "alert", at(0), customer_id="C-9"),
    ]
    assert {customer_key(e) for e in events} == {"C-9"}


def test_other_events_have_no_customer_key_and_apply_refuses_them_as_a_routing_bug() -> None:
    tick = ClockTicked(event_id="t", occurred_at=at(0), source="scheduler", partner_id="PA")
    tier = PartnerTierChanged(
        event_id="p", occurred_at=at(0), source="erp", partner_id="PA", tier=PartnerTier.GOLD
    )
    assert customer_key(tick) is None and customer_key(tier) is None
    with pytest.raises(ValueError, match="not a customer event"):
        apply(None, tick, ConflictConfig())


def test_an_event_for_another_customer_is_a_routing_bug() -> None:
    state = CustomerState.empty("C-2")
    with pytest.raises(ValueError, match="customer C-1 applied to the state of C-2"):
        apply(state, sale("s", "PA", at(0)), ConflictConfig())


def test_apply_never_changes_the_state_it_was_given() -> None:
    states, _ = run([registered("reg-a", "R-A", "PA", at(0)), approved("app-a", "R-A", "PA", at(1))])
    before = states[CUSTOMER]
    snapshot = before.to_bytes()
    after, outputs = apply(before, sale("s-b", "PB", at(5)), ConflictConfig())
    assert before.to_bytes() == snapshot
    assert after.to_bytes() != snapshot and len(alerts_of(outputs)) == 1


def refusal(outputs: Sequence[object]) -> tuple[str, str]:
    [refused] = outputs
    assert isinstance(refused, Rejected)
    return refused.event_id, refused.reason_code


def test_a_registration_event_naming_another_partner_is_refused() -> None:
    states, _ = run([registered("reg-a", "R-A", "PA", at(0))])
    _, approval = run([approved("app-x", "R-A", "PX", at(1))], states=states)
    _, again = run([registered("reg-a2", "R-A", "PA", at(0), product_line="compute")], states=states)
    assert refusal(approval) == ("app-x", ReasonCode.REGISTRATION_MISMATCH.value)
    assert refusal(again) == ("reg-a2", ReasonCode.REGISTRATION_MISMATCH.value)


def test_an_expiry_not_after_the_registration_is_refused() -> None:
    states, _ = run([registered("reg-a", "R-A", "PA", at(5))])
    _, outputs = run([approved("app-a", "R-A", "PA", at(6), expires_at=at(5))], states=states)
    assert refusal(outputs) == ("app-a", ReasonCode.EXPIRY_BEFORE_REGISTRATION.value)


def test_an_approval_after_the_registration_lapsed_is_refused_and_protects_nothing() -> None:
    states, _ = run([registered("reg-a", "R-A", "PA", at(0))])
    states, outputs = run([approved("app-a", "R-A", "PA", at(90))], states=states)
    _, sales = run([sale("s-b", "PB", at(91))], states=states)
    assert refusal(outputs) == ("app-a", ReasonCode.PENDING_EXPIRED.value)
    assert sales == []


def test_sales_with_an_inconsistent_channel_are_refused() -> None:
    direct_with_partner = replace(sale("d", "PA", at(0)), channel=SaleChannel.DIRECT)
    partner_without = replace(sale("p", None, at(0)), channel=SaleChannel.PARTNER)
    _, outputs = run([direct_with_partner])
    _, more = run([partner_without])
    assert refusal(outputs) == ("d", ReasonCode.DIRECT_SALE_WITH_PARTNER.value)
    assert refusal(more) == ("p", ReasonCode.PARTNER_SALE_WITHOUT_PARTNER.value)


def test_a_return_moves_the_clock_and_retracts_nothing() -> None:
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1)),
        sale("s", "PB", at(2)),
    ]
    states, outputs = run(events)
    states, more = run([returned("r", "s", at(3))], states=states)
    assert len(alerts_of(outputs)) == 1 and more == []
    assert states[CUSTOMER].clock == at(2) + timedelta(days=1)
