"""The out-of-order rule (docs/conflicts.md): every fact is judged at its own business
time, whatever order events arrive in; facts that create a conflict raise it when the last
of them arrives; facts that remove protection never retract an alert; events more than
``allowed_lateness_days`` behind the customer's clock are refused."""

from __future__ import annotations

from datetime import timedelta

from processors.conflicts import ConflictConfig, alert_id_for
from schemas.events import InputEvent
from schemas.outputs import AlertRule, Rejected
from schemas.reasons import ReasonCode
from tests.unit.conflicts.builders import (
    CUSTOMER,
    LINE,
    acknowledged,
    alerts_of,
    approved,
    at,
    registered,
    run,
    sale,
    withdrawn,
)

BREACH = AlertRule.REGISTRATION_BREACH


def test_a_sale_that_arrives_before_the_registration_it_breaches_is_alerted_when_it_arrives() -> None:
    # By business time: A registered day 0, approved day 1, B sold day 5.
    # By arrival: B's sale first, then A's registration and approval.
    events: list[InputEvent] = [
        sale("s-b", "PB", at(5)),
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1)),
    ]
    _, outputs = run(events)

    [alert] = alerts_of(outputs)
    assert alert.alert_id == alert_id_for(BREACH, CUSTOMER, LINE, ("R-A", "PB"))
    assert alert.evidence_event_ids == ("reg-a", "app-a", "s-b")
    assert alert.occurred_at == at(5)
    # Detected by the approval (day 1), but never reported as detected before it occurred.
    assert alert.detected_at == at(5)


def test_late_alerts_equal_in_order_alerts_but_for_detection_order() -> None:
    in_order: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1)),
        sale("s-b", "PB", at(5)),
    ]
    _, expected = run(in_order)
    _, late = run([in_order[2], in_order[0], in_order[1]])
    assert alerts_of(late) == alerts_of(expected)


def test_a_sale_before_the_approval_by_business_time_is_not_a_breach_whatever_the_arrival() -> None:
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(3)),
        sale("s-b", "PB", at(2)),  # arrives after the approval, occurred before it
    ]
    _, outputs = run(events)
    assert alerts_of(outputs) == []


def test_approval_arriving_before_its_registration_protects_from_approval_time() -> None:
    events: list[InputEvent] = [
        approved("app-a", "R-A", "PA", at(1)),
        sale("s-b", "PB", at(2)),
        registered("reg-a", "R-A", "PA", at(0)),
    ]
    _, outputs = run(events)

    [alert] = alerts_of(outputs)
    assert alert.evidence_event_ids == ("reg-a", "app-a", "s-b")


def test_a_late_holder_approval_reveals_a_duplicate_registration() -> None:
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        registered("reg-b", "R-B", "PB", at(5)),
        approved("app-a", "R-A", "PA", at(1)),  # arrives last
    ]
    _, outputs = run(events)

    [alert] = alerts_of(outputs)
    assert alert.rule_id is AlertRule.DUPLICATE_REGISTRATION
    assert alert.evidence_event_ids == ("reg-a", "app-a", "reg-b")


def test_a_late_withdrawal_does_not_retract_an_alert() -> None:
    # A withdrew on day 4, but the withdrawal arrives after B's day-5 sale was alerted.
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1)),
        sale("s-b", "PB", at(5)),
        withdrawn("wd-a", "R-A", "PA", at(4)),
        sale("s-b2", "PB", at(6)),
    ]
    _, outputs = run(events)

    alerts = alerts_of(outputs)
    assert [a.revision for a in alerts] == [1]  # raised once, never retracted, not extended
    assert alerts[0].evidence_event_ids == ("reg-a", "app-a", "s-b")


def test_events_beyond_the_allowed_lateness_are_refused() -> None:
    config = ConflictConfig(allowed_lateness_days=10)
    events: list[InputEvent] = [
        sale("s-now", "PA", at(30)),
        sale("s-late-ok", "PB", at(20)),
        sale("s-too-late", "PB", at(20) - timedelta(milliseconds=1)),
        registered("reg-too-late", "R-X", "PC", at(1)),
    ]
    _, outputs = run(events, config)

    refused = [o for o in outputs if isinstance(o, Rejected)]
    assert [(r.event_id, r.reason_code) for r in refused] == [
        ("s-too-late", ReasonCode.LATE_EVENT.value),
        ("reg-too-late", ReasonCode.LATE_EVENT.value),
    ]
    assert "10 days" in refused[0].message


def test_lifecycle_events_do_not_move_the_business_clock() -> None:
    # An acknowledgement stamped long after the sales must not make later-replayed sales late.
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1)),
        sale("s-b", "PB", at(5)),
    ]
    states, outputs = run(events)
    alert_id = alerts_of(outputs)[0].alert_id
    states, _ = run([acknowledged("ack", alert_id, at(400))], states=states)
    states, more = run([sale("s-b2", "PB", at(6))], states=states)
    assert [a.revision for a in alerts_of(more)] == [3]
    assert states[CUSTOMER].clock == at(6)
