"""Alert lifecycle: acknowledgements and resolutions come back as events and become new
revisions of the alert; the alert book lists open alerts and the mean time to resolve."""

from __future__ import annotations

from datetime import timedelta

from processors.conflicts import AlertBook, CustomerState
from processors.conflicts.alert_book import fold
from schemas.events import InputEvent
from schemas.outputs import AlertStatus, ConflictAlert, Rejected
from schemas.reasons import ReasonCode
from tests.unit.conflicts.builders import (
    CUSTOMER,
    acknowledged,
    alerts_of,
    approved,
    at,
    registered,
    resolved,
    run,
    sale,
)


def breach_events() -> list[InputEvent]:
    return [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1)),
        sale("s1", "PB", at(5)),
    ]


def raised() -> tuple[dict[str, CustomerState], ConflictAlert]:
    states, outputs = run(breach_events())
    [alert] = alerts_of(outputs)
    return states, alert


def test_acknowledge_then_resolve_are_revisions_with_status_and_business_time() -> None:
    states, alert = raised()
    states, outputs = run(
        [acknowledged("ack", alert.alert_id, at(6)), resolved("res", alert.alert_id, at(8))], states=states
    )

    acked, done = alerts_of(outputs)
    assert (acked.alert_id, acked.revision, acked.status) == (alert.alert_id, 2, AlertStatus.ACKNOWLEDGED)
    assert acked.detected_at == at(6)
    assert acked.message.endswith("Acknowledged by cm-anna.")
    assert (done.revision, done.status, done.detected_at) == (3, AlertStatus.RESOLVED, at(8))
    assert done.message.endswith("Resolved by cm-anna: credited the protected partner")
    assert done.evidence_event_ids == alert.evidence_event_ids


def test_lifecycle_events_are_idempotent() -> None:
    states, alert = raised()
    states, first = run([acknowledged("ack", alert.alert_id, at(6))], states=states)
    states, again = run(
        [acknowledged("ack", alert.alert_id, at(6)), acknowledged("ack-2", alert.alert_id, at(7))],
        states=states,
    )
    states, resolved_once = run([resolved("res", alert.alert_id, at(8))], states=states)
    _, resolved_twice = run(
        [resolved("res", alert.alert_id, at(8)), acknowledged("ack-3", alert.alert_id, at(9))], states=states
    )
    assert len(first) == 1 and again == []
    assert len(resolved_once) == 1 and resolved_twice == []


def test_new_evidence_reopens_a_resolved_alert_under_the_same_id() -> None:
    states, alert = raised()
    states, _ = run([resolved("res", alert.alert_id, at(6))], states=states)
    _, outputs = run([sale("s2", "PB", at(7))], states=states)

    [reopened] = alerts_of(outputs)
    assert (reopened.alert_id, reopened.revision, reopened.status) == (alert.alert_id, 3, AlertStatus.OPEN)
    assert reopened.evidence_event_ids[-1] == "s2"
    assert "Reopened" in reopened.message


def test_an_unknown_alert_is_refused_with_a_reason() -> None:
    _, outputs = run([acknowledged("ack", "no-such-alert", at(1))])

    [refused] = outputs
    assert isinstance(refused, Rejected)
    assert refused.reason_code == ReasonCode.UNKNOWN_ALERT.value
    assert refused.event_type == "AlertAcknowledged" and "no-such-alert" in refused.message


def test_alert_book_lists_open_alerts_and_measures_mean_time_to_resolve() -> None:
    states, outputs = run(
        [
            *breach_events(),
            sale("d1", None, at(6)),  # a bypass, raised at day 6
            sale("s-c", "PC", at(7)),  # another breach, raised at day 7
        ]
    )
    breach_b, bypass, breach_c = alerts_of(outputs)
    _, lifecycle = run(
        [
            resolved("res-b", breach_b.alert_id, at(5) + timedelta(hours=12)),
            acknowledged("ack-d", bypass.alert_id, at(6, 1)),
            resolved("res-c", breach_c.alert_id, at(9)),
        ],
        states=states,
    )
    book = fold(alerts_of([*outputs, *lifecycle]))

    assert [a.alert_id for a in book.open_alerts()] == [bypass.alert_id]
    assert book.open_alerts()[0].status is AlertStatus.ACKNOWLEDGED
    assert book.open_alerts(customer_id="C-2") == []
    assert book.mean_time_to_resolve() == (timedelta(hours=12) + timedelta(days=2)) / 2


def test_alert_book_takes_revisions_in_any_order_and_twice() -> None:
    states, alert = raised()
    _, lifecycle = run([resolved("res", alert.alert_id, at(6))], states=states)
    [done] = alerts_of(lifecycle)

    in_order = fold([alert, done])
    shuffled = fold([done, alert, done, alert])
    assert in_order == shuffled
    assert in_order.open_alerts() == []
    assert in_order.mean_time_to_resolve() == timedelta(days=1)
    assert AlertBook().add(alert).add(done) == in_order


def test_alert_book_without_resolutions_has_no_mean() -> None:
    _, alert = raised()
    book = fold([alert])
    assert book.mean_time_to_resolve() is None
    assert book.open_alerts() == [alert]
    assert book.tracks[alert.alert_id].latest.customer_id == CUSTOMER
