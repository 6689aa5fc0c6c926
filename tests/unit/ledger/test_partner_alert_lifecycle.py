"""Acknowledging and resolving the partner processor's alerts (TERRITORY_VIOLATION, OVERPAYMENT).

Lifecycle events naming a partner (``partner_id``) go to that partner's processor, which keeps
the latest revision of each alert it raised and revises it as the customer processor does
for its own alerts: OPEN -> ACKNOWLEDGED -> RESOLVED, new evidence keeps an acknowledgement and
reopens a resolution, a redelivery changes nothing, and an unknown alert is refused.
"""

from __future__ import annotations

import collections
import json
import pickle
from dataclasses import replace
from datetime import timedelta

import pytest

from processors import conflicts, partner
from processors.ledger.entry_ids import fast_derived_id
from processors.partner import DEFAULT_CONFIG, PartnerState, apply, partner_key
from processors.partner.state import NO_ALERTS
from processors.pipeline import CoreConfig, customer_step, partner_step
from processors.programs import ProgramBook
from schemas.events import AlertAcknowledged, AlertResolved, InputEvent
from schemas.outputs import AlertRule, AlertStatus, ConflictAlert, EntryKind
from schemas.reasons import ReasonCode
from tests.unit.ledger.builders import (
    PARTNER,
    RETRO_TIERS,
    Events,
    alerts,
    at,
    book,
    entries,
    program,
    rejections,
    run,
)

RETRO = {"id": "volume", "kind": "volume_rebate", "mode": "retroactive", "tiers": RETRO_TIERS}
MDF = {"id": "mdf", "kind": "allowance", "allowance": "marketing", "rate": "0.01", "expiry_days": 90}
BOOK = book(program([RETRO]))
MDF_BOOK = book(program([MDF]))
TERRITORY_ALERT = fast_derived_id("alert", AlertRule.TERRITORY_VIOLATION.value, PARTNER, "C-9", "DE-BY")
ACKED = ". Acknowledged by cm@vendor."
RESOLVED = ". Resolved by cm@vendor: partner briefed"
REOPENED = ". Reopened: new evidence after it was resolved."


def _go(
    events: list[InputEvent], program_book: ProgramBook, state: PartnerState | None = None
) -> tuple[PartnerState, list[partner.Output]]:
    """``run``, with a state after it (every sequence here has an event)."""
    after, out = run(events, program_book, state)
    assert after is not None
    return after, out


def _out_of_territory(ev: Events, when: str) -> InputEvent:
    return ev.sale(when, 100, territory="DE-BY", customer="C-9")


def _raised(ev: Events) -> tuple[PartnerState, ConflictAlert]:
    """A partner (territory US) that sold once to C-9 in DE-BY: territory alert revision 1."""
    state, out = _go(
        [ev.onboarded("2026-01-01", territories=("US",)), _out_of_territory(ev, "2026-01-11")], BOOK
    )
    assert state is not None
    (alert,) = alerts(out)
    assert (alert.alert_id, alert.revision, alert.status) == (TERRITORY_ALERT, 1, AlertStatus.OPEN)
    return state, alert


def _only_alert(out: list[partner.Output]) -> ConflictAlert:
    assert rejections(out) == []
    (alert,) = alerts(out)
    return alert


def test_territory_alert_is_acknowledged_then_resolved() -> None:
    ev = Events()
    state, first = _raised(ev)
    state, out = apply(state, ev.acknowledged("2026-01-15", TERRITORY_ALERT, customer="C-9"), BOOK)
    acked = _only_alert(out)
    assert (acked.revision, acked.status) == (2, AlertStatus.ACKNOWLEDGED)
    assert acked.message == first.message + ACKED
    assert acked.detected_at == at("2026-01-15")
    assert (acked.evidence_event_ids, acked.parties, acked.occurred_at) == (
        first.evidence_event_ids,
        first.parties,
        first.occurred_at,
    )
    state, out = apply(state, ev.resolved("2026-01-20", TERRITORY_ALERT, customer="C-9"), BOOK)
    done = _only_alert(out)
    assert (done.alert_id, done.revision, done.status) == (TERRITORY_ALERT, 3, AlertStatus.RESOLVED)
    assert done.message == first.message + RESOLVED
    assert done.detected_at == at("2026-01-20")


def test_resolving_an_open_alert_and_detected_at_never_goes_back() -> None:
    ev = Events()
    state, first = _raised(ev)
    _, out = apply(state, ev.resolved("2026-01-05", TERRITORY_ALERT), BOOK)  # stamped before the sale
    done = _only_alert(out)
    assert (done.revision, done.status) == (2, AlertStatus.RESOLVED)
    assert done.detected_at == first.detected_at == at("2026-01-11")


def test_new_evidence_after_an_acknowledgement_keeps_it_acknowledged() -> None:
    ev = Events()
    state, _ = _raised(ev)
    state, _ = apply(state, ev.acknowledged("2026-01-15", TERRITORY_ALERT), BOOK)
    sale = _out_of_territory(ev, "2026-01-16")
    _, out = run([sale], BOOK, state)
    again = _only_alert(out)
    assert (again.revision, again.status) == (3, AlertStatus.ACKNOWLEDGED)
    assert again.evidence_event_ids == ("e2", sale.event_id)
    assert again.message.endswith(ACKED) and again.message.startswith(
        f"partner {PARTNER} sold to customer C-9"
    )


def test_new_evidence_after_a_resolution_reopens_the_alert() -> None:
    ev = Events()
    state, first = _raised(ev)
    ack, resolve = ev.acknowledged("2026-01-15", TERRITORY_ALERT), ev.resolved("2026-01-20", TERRITORY_ALERT)
    state, _ = _go([ack, resolve], BOOK, state)
    state, out = _go([_out_of_territory(ev, "2026-01-25")], BOOK, state)
    reopened = _only_alert(out)
    assert (reopened.alert_id, reopened.revision, reopened.status) == (TERRITORY_ALERT, 4, AlertStatus.OPEN)
    assert reopened.message == first.message + REOPENED
    # The acknowledgement and resolution redelivered now do not act on the reopened alert.
    for again in (ack, resolve):
        after, out = apply(state, again, BOOK)
        assert out == [] and after.to_bytes() == state.to_bytes()
    # Open again, so it can be acknowledged again (the note is replaced, not appended).
    _, out = run([ev.acknowledged("2026-01-26", TERRITORY_ALERT, by="lead@vendor")], BOOK, state)
    acked = _only_alert(out)
    assert (acked.revision, acked.status) == (5, AlertStatus.ACKNOWLEDGED)
    assert acked.message == first.message + ". Acknowledged by lead@vendor."


def test_overpaying_payout_alert_is_acknowledged() -> None:
    ev = Events()
    state, out = _go(
        [ev.onboarded("2026-01-01"), ev.sale("2026-01-10", 90000), ev.payout("2026-04-20", "PO-1", 2500)],
        BOOK,
    )
    (raised,) = alerts(out)
    assert raised.rule_id is AlertRule.OVERPAYMENT and raised.customer_id is None
    _, out = run([ev.acknowledged("2026-04-21", raised.alert_id)], BOOK, state)  # no customer: blank
    acked = _only_alert(out)
    assert (acked.alert_id, acked.revision, acked.status) == (raised.alert_id, 2, AlertStatus.ACKNOWLEDGED)
    assert acked.message == raised.message + ACKED


def test_claim_approved_after_its_overpayment_alert_was_acknowledged_continues_the_revisions() -> None:
    # Claim 1,500.00 against a 1,000.00 fund: revision 1 at the claim; acknowledged (2); the
    # approval, still beyond the fund, is revision 3 (not a second revision 2) and stays
    # acknowledged, its message the approval's description plus the acknowledgement.
    ev = Events()
    claim = ev.claimed("2026-01-20", "CL-1", 1500)
    state, out = _go([ev.onboarded("2026-01-01"), ev.sale("2026-01-10", 100000), claim], MDF_BOOK)
    (raised,) = alerts(out)
    state, _ = _go([ev.acknowledged("2026-01-21", raised.alert_id)], MDF_BOOK, state)
    approval = ev.approved("2026-01-25", "CL-1")
    state, out = _go([approval], MDF_BOOK, state)
    assert len(entries(out, EntryKind.CLAIM_APPROVED)) == 1
    approved = _only_alert(out)
    assert (approved.alert_id, approved.revision, approved.status) == (
        raised.alert_id,
        3,
        AlertStatus.ACKNOWLEDGED,
    )
    assert approved.evidence_event_ids == (claim.event_id, approval.event_id)
    assert approved.message.startswith("claim CL-1 approved for 1500 USD, above the mdf fund")
    assert approved.message.endswith(ACKED)
    assert state is not None and state.claims["CL-1"].alert_revision == 3
    _, out = run([ev.resolved("2026-01-30", raised.alert_id)], MDF_BOOK, state)
    assert (_only_alert(out).revision, _only_alert(out).status) == (4, AlertStatus.RESOLVED)


def test_a_redelivered_or_redundant_lifecycle_event_changes_nothing() -> None:
    ev = Events()
    state, _ = _raised(ev)
    ack = ev.acknowledged("2026-01-15", TERRITORY_ALERT)
    state, out = apply(state, ack, BOOK)
    assert len(alerts(out)) == 1
    before = state.to_bytes()
    for again in (
        ack,  # redelivered
        ev.acknowledged("2026-01-16", TERRITORY_ALERT, by="someone-else"),  # already acknowledged
    ):
        after, out = apply(state, again, BOOK)
        assert out == [] and after.to_bytes() == before
    resolve = ev.resolved("2026-01-20", TERRITORY_ALERT)
    state, out = apply(state, resolve, BOOK)
    assert len(alerts(out)) == 1
    before = state.to_bytes()
    redundant: tuple[InputEvent, ...] = (
        resolve,
        ack,
        ev.resolved("2026-01-21", TERRITORY_ALERT, "again"),
        ev.acknowledged("2026-01-22", TERRITORY_ALERT),
    )
    for other in redundant:
        after, out = apply(state, other, BOOK)
        assert out == [] and after.to_bytes() == before


def _refused(out: list[partner.Output], event: InputEvent) -> str:
    (rejected,) = rejections(out)
    assert alerts(out) == []
    assert (rejected.event_id, rejected.event_type, rejected.reason_code) == (
        event.event_id,
        event.event_type,
        ReasonCode.UNKNOWN_ALERT,
    )
    return rejected.message


def test_a_lifecycle_event_for_an_alert_the_partner_does_not_hold_is_refused() -> None:
    ev = Events()
    state, _ = _raised(ev)
    unknown = ev.acknowledged("2026-01-15", "no-such-alert")
    after, out = apply(state, unknown, BOOK)
    message = _refused(out, unknown)
    assert "no-such-alert" in message and PARTNER in message
    assert after.to_bytes() == state.to_bytes()


def test_a_lifecycle_event_for_a_partner_without_state_is_refused_not_parked() -> None:
    ev = Events()
    resolve = ev.resolved("2026-01-15", TERRITORY_ALERT)
    state, out = apply(None, resolve, BOOK)
    message = _refused(out, resolve)
    assert TERRITORY_ALERT in message and PARTNER in message
    assert state.partner_id == PARTNER and state.pending == {} and state.clock is None
    # Nothing was kept of it: a tick long after produces no expiry of a parked event.
    _, out = apply(state, ev.tick("2026-03-01"), BOOK)
    assert rejections(out) == []


def test_an_alert_forgotten_after_its_quiet_period_is_unknown() -> None:
    ev = Events()
    state, _ = _raised(ev)
    quiet = DEFAULT_CONFIG.alert_quiet_period + timedelta(days=8)  # pruning is weekly
    state, _ = _go([ev.tick((at("2026-01-11") + quiet).isoformat())], BOOK, state)
    assert state is not None and TERRITORY_ALERT not in state.alerts
    ack = ev.acknowledged("2026-04-20", TERRITORY_ALERT)
    _, out = apply(state, ack, BOOK)
    _refused(out, ack)


def test_an_alert_acknowledged_lately_is_kept_a_quiet_period_after_the_acknowledgement() -> None:
    ev = Events()
    state, _ = _raised(ev)
    state, _ = apply(state, ev.acknowledged("2026-03-01", TERRITORY_ALERT), BOOK)
    state, _ = _go([ev.tick("2026-05-01")], BOOK, state)  # 110 days after the sale, 61 after the ack
    assert state is not None and TERRITORY_ALERT in state.alerts
    _, out = apply(state, ev.resolved("2026-05-02", TERRITORY_ALERT), BOOK)
    assert _only_alert(out).revision == 3


def test_lifecycle_events_do_not_move_the_partners_clock() -> None:
    # An acknowledgement stamped a year and a half later does not make the partner's next
    # ordinary event (six days after the sale) late, nor mark its id as seen.
    ev = Events()
    state, _ = _raised(ev)
    clock = state.clock
    ack = ev.acknowledged("2027-06-01", TERRITORY_ALERT)
    state, out = apply(state, ack, BOOK)
    assert _only_alert(out).detected_at == at("2027-06-01")
    assert state.clock == clock and ack.event_id not in state.seen
    _, out = run([ev.sale("2026-01-17", 60000)], BOOK, state)
    assert rejections(out) == []
    assert [e.kind for e in entries(out)] == [EntryKind.ACCRUAL]


def _ack(partner_id: str, customer_id: str = "C-9") -> AlertAcknowledged:
    return AlertAcknowledged(
        event_id="a1",
        occurred_at=at("2026-01-15"),
        source="alert-console",
        alert_id="A-1",
        customer_id=customer_id,
        acknowledged_by="cm@vendor",
        partner_id=partner_id,
    )


def _resolved(partner_id: str) -> AlertResolved:
    return AlertResolved(
        event_id="r1",
        occurred_at=at("2026-01-20"),
        source="alert-console",
        alert_id="A-1",
        customer_id="C-9",
        resolved_by="cm@vendor",
        resolution="done",
        partner_id=partner_id,
    )


@pytest.mark.parametrize("make", [_ack, _resolved])
def test_routing_by_partner_id(make: object) -> None:
    assert callable(make)
    addressed = make(PARTNER)
    assert partner_key(addressed) == PARTNER and conflicts.customer_key(addressed) is None
    for blank in ("", "  "):
        event = make(blank)
        assert partner_key(event) is None and conflicts.customer_key(event) == "C-9"
    with pytest.raises(ValueError, match="not a customer event"):
        conflicts.apply(None, addressed, conflicts.ConflictConfig())
    # An alert without a customer (OVERPAYMENT): the customer key is blank, the partner decides.
    assert partner_key(_ack(PARTNER, customer_id="")) == PARTNER
    assert conflicts.customer_key(_ack(PARTNER, customer_id="")) is None


def test_the_pipeline_sends_a_partner_ack_to_the_partner_processor_only() -> None:
    ev = Events()
    config = CoreConfig(book=BOOK)
    partners: dict[str, PartnerState] = {}
    customers: dict[str, conflicts.CustomerState] = {}
    for event in (ev.onboarded("2026-01-01", territories=("US",)), _out_of_territory(ev, "2026-01-11")):
        partner_step(partners, event, config)
        customer_step(customers, event, config)
    customer_state = customers["C-9"]
    ack = ev.acknowledged("2026-01-15", TERRITORY_ALERT, customer="C-9")
    acked = partner_step(partners, ack, config)
    assert customer_step(customers, ack, config) == []
    assert customers == {"C-9": customer_state} and customers["C-9"] is customer_state
    assert [(a.revision, a.status) for a in alerts(acked)] == [(2, AlertStatus.ACKNOWLEDGED)]
    # The same acknowledgement without partner_id goes to the customer processor, which never
    # saw the alert, and not to the partner processor.
    blank = replace(ack, event_id="e-blank", partner_id="")
    partner_before = partners[PARTNER].to_bytes()
    assert partner_step(partners, blank, config) == []
    (refused,) = customer_step(customers, blank, config)
    assert refused.reason_code == ReasonCode.UNKNOWN_ALERT  # type: ignore[union-attr]
    assert partners[PARTNER].to_bytes() == partner_before


# --- states saved before ``PartnerState.alerts`` existed -----------------------------------


def _old_shape(state: PartnerState) -> tuple[object, ...]:
    assert PartnerState._fields[-1] == "alerts" and len(PartnerState._fields) == 22
    return tuple(state)[:21]


def _assert_shared_default_untouched(later: PartnerState) -> None:
    """The state went on with a map of its own; the default shared by every state loaded
    without the field was never made a version of (it still holds its own empty dict)."""
    assert later.alerts is not NO_ALERTS and len(later.alerts) == 1
    assert NO_ALERTS._data == {} and NO_ALERTS._next is None


def test_a_state_pickled_before_the_alerts_field_existed_loads_and_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ev = Events()
    state, first = _raised(ev)
    # Pickle the 21-field state exactly as the previous release did: its class is found by
    # name (processors.partner.state.PartnerState) and called with the fields it had.
    old_class = collections.namedtuple(  # type: ignore[misc]
        "PartnerState", PartnerState._fields[:21], module="processors.partner.state"
    )
    monkeypatch.setattr("processors.partner.state.PartnerState", old_class)
    raw = pickle.dumps(old_class(*_old_shape(state)), protocol=pickle.HIGHEST_PROTOCOL)
    monkeypatch.undo()
    restored = pickle.loads(raw)
    assert type(restored) is PartnerState and restored.alerts is NO_ALERTS
    assert restored._replace(alerts=state.alerts).to_bytes() == state.to_bytes()
    # Its territory alert goes on from the count it kept; once revised it can be acknowledged.
    restored, out = _go([_out_of_territory(ev, "2026-01-12")], BOOK, restored)
    assert restored is not None
    assert [(a.alert_id, a.revision) for a in alerts(out)] == [(first.alert_id, 2)]
    _, out = apply(restored, ev.acknowledged("2026-01-15", TERRITORY_ALERT), BOOK)
    assert (_only_alert(out).revision, _only_alert(out).status) == (3, AlertStatus.ACKNOWLEDGED)
    _assert_shared_default_untouched(restored)


def test_canonical_bytes_without_the_alerts_field_decode() -> None:
    ev = Events()
    state, _ = _raised(ev)
    data = json.loads(state.to_bytes())
    del data["alerts"]
    restored = PartnerState.from_bytes(json.dumps(data).encode())
    assert restored.alerts is NO_ALERTS
    assert restored._replace(alerts=state.alerts).to_bytes() == state.to_bytes()
    restored, out = _go([_out_of_territory(ev, "2026-01-12")], BOOK, restored)
    assert restored is not None and len(alerts(out)) == 1 and TERRITORY_ALERT in restored.alerts
    _assert_shared_default_untouched(restored)


def test_alerts_round_trip_through_canonical_bytes_and_pickle() -> None:
    ev = Events()
    state, _ = _raised(ev)
    state, _ = apply(state, ev.acknowledged("2026-01-15", TERRITORY_ALERT), BOOK)
    assert PartnerState.from_bytes(state.to_bytes()) == state
    assert PartnerState.from_bytes(state.to_bytes()).to_bytes() == state.to_bytes()
    assert pickle.loads(pickle.dumps(state)).to_bytes() == state.to_bytes()
    # The restored state still knows the acknowledgement: a redelivery is a no-op.
    restored = PartnerState.from_bytes(state.to_bytes())
    ack_id = restored.alerts[TERRITORY_ALERT].lifecycle_events[0]
    redelivered = ev.acknowledged("2026-01-15", TERRITORY_ALERT, event_id=ack_id)
    assert apply(restored, redelivered, BOOK)[1] == []
