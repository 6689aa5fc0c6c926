"""Late and out-of-order input: each case yields entries, a rejection, or a bounded wait."""

from __future__ import annotations

from dataclasses import replace

import pytest

from processors.partner import DEFAULT_CONFIG, apply, partner_key
from schemas.events import AlertAcknowledged, SaleChannel
from schemas.outputs import EntryKind
from schemas.reasons import ReasonCode
from tests.unit.ledger.builders import (
    RETRO_TIERS,
    Events,
    at,
    book,
    credited,
    entries,
    money,
    program,
    rejections,
    run,
)

RETRO = {"id": "volume", "kind": "volume_rebate", "mode": "retroactive", "tiers": RETRO_TIERS}
BOOK = book(program([RETRO]))


def test_return_before_its_sale_waits_and_is_applied_right_after_the_sale() -> None:
    ev = Events()
    sale = ev.sale("2026-01-10", 60000)
    early_return = ev.returned("2026-01-12", sale)
    state, out = run([ev.onboarded("2026-01-01"), early_return], BOOK)
    assert out == [] and state is not None and list(state.pending) == [f"sale:{sale.sale_id}"]
    state, out = run([sale], BOOK, state)
    assert [(e.kind, credited(e)) for e in entries(out)] == [
        (EntryKind.ACCRUAL, money("1200.00")),
        (EntryKind.CLAWBACK, money("-1200.00")),
    ]
    assert state is not None and state.pending == {}


def test_a_return_whose_sale_never_comes_is_rejected_when_its_wait_expires() -> None:
    ev = Events()
    ghost = ev.sale("2026-01-10", 100)
    _, out = run([ev.onboarded("2026-01-01"), ev.returned("2026-01-12", ghost), ev.tick("2026-01-26")], BOOK)
    (rejected,) = rejections(out)
    assert rejected.reason_code == ReasonCode.PENDING_EXPIRED and f"sale:{ghost.sale_id}" in rejected.message


def test_payout_for_an_unknown_partner_waits_for_its_onboarding() -> None:
    ev = Events()
    payout = ev.payout("2026-01-05", "PO-1", 100)
    state, out = run([payout], BOOK)
    assert out == [] and state is not None and state.profile is None
    _, out = run([ev.onboarded("2026-01-06")], BOOK, state)
    assert [e.kind for e in entries(out)] == [EntryKind.PAYOUT]


def test_payout_for_a_partner_never_onboarded_is_rejected_after_the_bound() -> None:
    ev = Events()
    _, out = run([ev.payout("2026-01-05", "PO-1", 100), ev.tick("2026-01-19")], BOOK)
    (rejected,) = rejections(out)
    assert rejected.reason_code == ReasonCode.PENDING_EXPIRED and "partner" in rejected.message


def test_pending_buffer_is_bounded_by_count() -> None:
    ev = Events()
    config = replace(DEFAULT_CONFIG, pending_max_events=2)
    state = None
    outputs = []
    for i in range(3):
        state, out = apply(state, ev.payout("2026-01-05", f"PO-{i}", 1), BOOK, config)
        outputs.extend(out)
    assert state is not None and sum(map(len, state.pending.values())) == 2
    (rejected,) = rejections(outputs)
    assert rejected.event_id == "e1" and rejected.reason_code == ReasonCode.PENDING_EXPIRED


def test_late_sale_within_the_grace_lands_in_its_own_period_and_re_rates_it() -> None:
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-03-20", 90000),
        ev.tick("2026-04-05"),
        ev.sale("2026-03-30", 20000),  # late but Q1 closes only on 2026-04-11
    ]
    _, out = run(events, BOOK)
    late = [e for e in entries(out) if e.source_event_ids == ("e4",)]
    assert [(e.kind, e.period, credited(e)) for e in late] == [
        (EntryKind.ACCRUAL, "2026-Q1", money("600.00")),
        (EntryKind.TRUE_UP, "2026-Q1", money("900.00")),
    ]


def test_sale_for_an_already_closed_period_is_rejected() -> None:
    ev = Events()
    _, out = run([ev.onboarded("2026-01-01"), ev.tick("2026-04-11"), ev.sale("2026-03-30", 100)], BOOK)
    (rejected,) = rejections(out)
    assert rejected.reason_code == ReasonCode.CLOSED_PERIOD and "2026-Q1" in rejected.message
    assert entries(out) == []


def test_return_in_a_later_period_claws_back_in_the_current_period_without_re_rating() -> None:
    ev = Events()
    sale = ev.sale("2026-03-20", 60000)
    _, out = run(
        [ev.onboarded("2026-01-01"), sale, ev.tick("2026-04-20"), ev.returned("2026-04-21", sale)], BOOK
    )
    assert [(e.kind, e.period, credited(e)) for e in entries(out)] == [
        (EntryKind.ACCRUAL, "2026-Q1", money("1200.00")),
        (EntryKind.CLAWBACK, "2026-Q2", money("-1200.00")),
    ]


def test_event_beyond_the_late_horizon_is_rejected_without_changing_state() -> None:
    ev = Events()
    state, _ = run([ev.onboarded("2026-01-01"), ev.tick("2026-09-01")], BOOK)
    assert state is not None
    after, out = apply(state, ev.sale("2026-03-01", 100), BOOK)
    assert after is state and [r.reason_code for r in rejections(out)] == [ReasonCode.LATE_EVENT]


def test_duplicate_event_id_same_content_is_a_no_op_and_other_content_is_rejected() -> None:
    ev = Events()
    sale = ev.sale("2026-01-10", 100)
    state, _ = run([ev.onboarded("2026-01-01"), sale], BOOK)
    assert state is not None
    again, out = apply(state, sale, BOOK)
    assert again is state and out == []
    changed, out = apply(state, replace(sale, amount=money(200), unit_price=money(200)), BOOK)
    assert changed is state and [r.reason_code for r in rejections(out)] == [ReasonCode.DUPLICATE_EVENT_ID]


def test_second_sale_with_the_same_sale_id_and_over_returns_are_rejected() -> None:
    ev = Events()
    sale = ev.sale("2026-01-10", 100, sale_id="S-1", quantity=2)
    events = [
        ev.onboarded("2026-01-01"),
        sale,
        ev.sale("2026-01-11", 100, sale_id="S-1"),
        ev.returned("2026-01-12", sale, 60, quantity=1),
        ev.returned("2026-01-13", sale, 60, quantity=1),
    ]
    _, out = run(events, BOOK)
    assert [r.reason_code for r in rejections(out)] == [
        ReasonCode.DUPLICATE_EVENT_ID,
        ReasonCode.RETURN_EXCEEDS_SALE,
    ]


def test_territory_violation_is_one_alert_with_revisions() -> None:
    ev = Events()
    events = [
        ev.onboarded("2026-01-01", territories=("US",)),
        ev.sale("2026-01-10", 100, territory="US-NY"),
        ev.sale("2026-01-11", 100, territory="DE-BY", customer="C-9"),
        ev.sale("2026-01-12", 100, territory="DE-BY", customer="C-9"),
    ]
    _, out = run(events, BOOK)
    from tests.unit.ledger.builders import alerts

    raised = alerts(out)
    assert [(a.rule_id.value, a.revision, a.evidence_event_ids) for a in raised] == [
        ("TERRITORY_VIOLATION", 1, ("e3",)),
        ("TERRITORY_VIOLATION", 2, ("e3", "e4")),
    ]
    assert raised[0].alert_id == raised[1].alert_id and raised[0].customer_id == "C-9"
    assert raised[0].recommended_action == DEFAULT_CONFIG.sop.row(raised[0].rule_id).recommended_action


def test_sales_after_offboarding_are_rejected_but_returns_and_payouts_still_settle() -> None:
    from schemas.events import PartnerOffboarded

    ev = Events()
    sale = ev.sale("2026-01-10", 1000)
    off = PartnerOffboarded(
        event_id="off", occurred_at=at("2026-02-01"), source="erp", partner_id="P-1", reason="x"
    )
    events = [
        ev.onboarded("2026-01-01"),
        sale,
        off,
        ev.sale("2026-02-02", 10),
        ev.returned("2026-02-03", sale),
    ]
    _, out = run(events, BOOK)
    assert [r.reason_code for r in rejections(out)] == [ReasonCode.PARTNER_OFFBOARDED]
    assert [e.kind for e in entries(out)] == [EntryKind.ACCRUAL, EntryKind.CLAWBACK]


def test_partner_key_routes_partner_events_and_ignores_direct_sales_and_customer_alert_lifecycle() -> None:
    ev = Events()
    assert partner_key(ev.sale("2026-01-10", 1)) == "P-1"
    direct = replace(ev.sale("2026-01-10", 1), channel=SaleChannel.DIRECT, partner_id=None)
    assert partner_key(direct) is None
    ack = AlertAcknowledged(
        event_id="a",
        occurred_at=at("2026-01-01"),
        source="x",
        alert_id="A",
        customer_id="C",
        acknowledged_by="me",
    )
    assert partner_key(ack) is None  # no partner_id: an alert of the customer processor
    assert partner_key(replace(ack, partner_id="P-1")) == "P-1"  # one this processor raised
    with pytest.raises(ValueError, match="no partner key"):
        apply(None, direct, BOOK)
