"""REGISTRATION_BREACH: partner B sells a customer + line that A's approved, unexpired
registration protects. Fires, must-not-fire boundaries, one alert per situation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from processors.conflicts import ConflictConfig, alert_id_for
from schemas.events import InputEvent
from schemas.outputs import AlertRule, AlertSeverity, AlertStatus, PartyRole
from tests.unit.conflicts.builders import (
    CUSTOMER,
    LINE,
    alerts_of,
    approved,
    at,
    registered,
    rejected,
    run,
    sale,
    withdrawn,
)

BREACH = AlertRule.REGISTRATION_BREACH


def protected_by_a(expires_in_days: float | None = None) -> list[InputEvent]:
    """A registers on day 0 and is approved on day 1 (expiry explicit or the 90-day default)."""
    expires = None if expires_in_days is None else at(expires_in_days)
    return [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1), expires_at=expires),
    ]


def test_another_partners_sale_under_protection_raises_a_breach() -> None:
    _, outputs = run([*protected_by_a(), sale("s-b", "PB", at(10))])

    [alert] = alerts_of(outputs, BREACH)
    assert alert.alert_id == alert_id_for(BREACH, CUSTOMER, LINE, ("R-A", "PB"))
    assert alert.revision == 1
    assert alert.status is AlertStatus.OPEN
    assert alert.severity is AlertSeverity.HIGH
    assert alert.customer_id == CUSTOMER and alert.product_line == LINE
    assert [(p.partner_id, p.role) for p in alert.parties] == [
        ("PA", PartyRole.PROTECTED),
        ("PB", PartyRole.OFFENDER),
    ]
    assert alert.evidence_event_ids == ("reg-a", "app-a", "s-b")
    assert alert.occurred_at == at(10) and alert.detected_at == at(10)
    assert "PB" in alert.message and "R-A" in alert.message and "PA" in alert.message
    assert alert.recommended_action.startswith("Credit the protected partner")


def test_protection_starts_at_approval_not_at_registration() -> None:
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        sale("s-before", "PB", at(1) - timedelta(milliseconds=1)),
        approved("app-a", "R-A", "PA", at(1)),
        sale("s-at", "PB", at(1)),
    ]
    _, outputs = run(events)

    [alert] = alerts_of(outputs, BREACH)
    assert alert.evidence_event_ids == ("reg-a", "app-a", "s-at")


def test_default_expiry_is_ninety_days_after_registration() -> None:
    last_protected = at(90) - timedelta(milliseconds=1)
    _, outputs = run(
        [*protected_by_a(), sale("s-last", "PB", last_protected), sale("s-expired", "PB", at(90))]
    )

    [alert] = alerts_of(outputs, BREACH)
    assert alert.evidence_event_ids == ("reg-a", "app-a", "s-last")


def test_registration_ttl_is_configuration() -> None:
    config = ConflictConfig(registration_ttl_days=30)
    _, outputs = run([*protected_by_a(), sale("s-day-31", "PB", at(31))], config)
    assert alerts_of(outputs, BREACH) == []


@pytest.mark.parametrize(
    ("case", "events"),
    [
        ("expired the day before", [*protected_by_a(expires_in_days=20), sale("s", "PB", at(21))]),
        ("sold at the expiry instant", [*protected_by_a(expires_in_days=20), sale("s", "PB", at(20))]),
        (
            "rejected",
            [
                registered("reg-a", "R-A", "PA", at(0)),
                rejected("rej-a", "R-A", "PA", at(1)),
                sale("s", "PB", at(5)),
            ],
        ),
        ("withdrawn", [*protected_by_a(), withdrawn("wd-a", "R-A", "PA", at(4)), sale("s", "PB", at(5))]),
        ("never approved", [registered("reg-a", "R-A", "PA", at(0)), sale("s", "PB", at(5))]),
        ("same partner", [*protected_by_a(), sale("s", "PA", at(5))]),
        ("different product line", [*protected_by_a(), sale("s", "PB", at(5), product_line="compute")]),
        ("different customer", [*protected_by_a(), sale("s", "PB", at(5), customer_id="C-2")]),
    ],
)
def test_must_not_fire(case: str, events: list[InputEvent]) -> None:
    _, outputs = run(events)
    assert alerts_of(outputs) == [], case


def test_fires_one_millisecond_before_explicit_expiry() -> None:
    events = [*protected_by_a(expires_in_days=20), sale("s", "PB", at(20) - timedelta(milliseconds=1))]
    _, outputs = run(events)
    assert len(alerts_of(outputs, BREACH)) == 1


def test_more_sales_in_the_same_situation_are_revisions_of_one_alert() -> None:
    events = [*protected_by_a(), sale("s1", "PB", at(5)), sale("s2", "PB", at(6)), sale("s3", "PB", at(7))]
    _, outputs = run(events)

    alerts = alerts_of(outputs, BREACH)
    assert {a.alert_id for a in alerts} == {alert_id_for(BREACH, CUSTOMER, LINE, ("R-A", "PB"))}
    assert [a.revision for a in alerts] == [1, 2, 3]
    assert alerts[-1].evidence_event_ids == ("reg-a", "app-a", "s1", "s2", "s3")
    assert alerts[-1].occurred_at == at(5) and alerts[-1].detected_at == at(7)
    assert "3 offending sale(s)" in alerts[-1].message


def test_the_same_sale_delivered_twice_gives_no_second_revision() -> None:
    states, outputs = run([*protected_by_a(), sale("s1", "PB", at(5))])
    states, again = run([sale("s1", "PB", at(5))], states=states)
    assert len(alerts_of(outputs)) == 1
    assert again == []


def test_each_offender_is_its_own_situation() -> None:
    _, outputs = run([*protected_by_a(), sale("s-b", "PB", at(5)), sale("s-c", "PC", at(6))])

    ids = {a.alert_id for a in alerts_of(outputs, BREACH)}
    assert ids == {
        alert_id_for(BREACH, CUSTOMER, LINE, ("R-A", "PB")),
        alert_id_for(BREACH, CUSTOMER, LINE, ("R-A", "PC")),
    }


def test_first_approved_registration_wins() -> None:
    # B registers first but is approved after A: A holds; B selling breaches A.
    events: list[InputEvent] = [
        registered("reg-b", "R-B", "PB", at(0)),
        registered("reg-a", "R-A", "PA", at(1)),
        approved("app-a", "R-A", "PA", at(2)),
        approved("app-b", "R-B", "PB", at(3)),
        sale("s-b", "PB", at(5)),
        sale("s-a", "PA", at(6)),
    ]
    _, outputs = run(events)

    [breach] = alerts_of(outputs, BREACH)
    assert breach.alert_id == alert_id_for(BREACH, CUSTOMER, LINE, ("R-A", "PB"))
    assert breach.evidence_event_ids[-1] == "s-b"


def test_protection_passes_to_the_next_approved_registration_when_the_first_ends() -> None:
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1), expires_at=at(10)),
        registered("reg-b", "R-B", "PB", at(2)),
        approved("app-b", "R-B", "PB", at(3), expires_at=at(40)),
        sale("s-a", "PA", at(20)),
    ]
    _, outputs = run(events)

    [breach] = alerts_of(outputs, BREACH)
    assert breach.alert_id == alert_id_for(BREACH, CUSTOMER, LINE, ("R-B", "PA"))


def test_a_reapproval_extends_the_expiry() -> None:
    events: list[InputEvent] = [
        *protected_by_a(expires_in_days=20),
        approved("re-app-a", "R-A", "PA", at(15), expires_at=at(50)),
        sale("s", "PB", at(30)),
    ]
    _, outputs = run(events)
    assert len(alerts_of(outputs, BREACH)) == 1
