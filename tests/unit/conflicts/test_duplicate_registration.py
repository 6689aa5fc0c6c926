"""DUPLICATE_REGISTRATION: a partner registers a customer + line another partner holds an
approved, unexpired registration for (the first approved registration wins)."""

from __future__ import annotations

import pytest

from processors.conflicts import alert_id_for
from schemas.events import InputEvent
from schemas.outputs import AlertRule, AlertSeverity, PartyRole
from tests.unit.conflicts.builders import (
    CUSTOMER,
    LINE,
    alerts_of,
    approved,
    at,
    registered,
    rejected,
    run,
    withdrawn,
)

DUPLICATE = AlertRule.DUPLICATE_REGISTRATION


def held_by_a(expires_in_days: float | None = None) -> list[InputEvent]:
    expires = None if expires_in_days is None else at(expires_in_days)
    return [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1), expires_at=expires),
    ]


def test_registering_a_held_deal_raises_a_duplicate() -> None:
    _, outputs = run([*held_by_a(), registered("reg-b", "R-B", "PB", at(5))])

    [alert] = alerts_of(outputs)
    assert alert.rule_id is DUPLICATE
    assert alert.alert_id == alert_id_for(DUPLICATE, CUSTOMER, LINE, ("R-A", "R-B"))
    assert alert.severity is AlertSeverity.MEDIUM
    assert [(p.partner_id, p.role) for p in alert.parties] == [
        ("PA", PartyRole.PROTECTED),
        ("PB", PartyRole.OFFENDER),
    ]
    assert alert.evidence_event_ids == ("reg-a", "app-a", "reg-b")
    assert alert.occurred_at == at(5)
    assert "R-B" in alert.message and "R-A" in alert.message


@pytest.mark.parametrize(
    ("case", "events"),
    [
        (
            "expired the day before",
            [*held_by_a(expires_in_days=20), registered("reg-b", "R-B", "PB", at(21))],
        ),
        ("at the expiry instant", [*held_by_a(expires_in_days=20), registered("reg-b", "R-B", "PB", at(20))]),
        (
            "holder rejected",
            [
                registered("reg-a", "R-A", "PA", at(0)),
                rejected("rej-a", "R-A", "PA", at(1)),
                registered("reg-b", "R-B", "PB", at(5)),
            ],
        ),
        (
            "holder withdrawn",
            [*held_by_a(), withdrawn("wd-a", "R-A", "PA", at(3)), registered("reg-b", "R-B", "PB", at(5))],
        ),
        (
            "holder not approved yet",
            [registered("reg-a", "R-A", "PA", at(0)), registered("reg-b", "R-B", "PB", at(5))],
        ),
        ("same partner", [*held_by_a(), registered("reg-a2", "R-A2", "PA", at(5))]),
        (
            "different product line",
            [*held_by_a(), registered("reg-b", "R-B", "PB", at(5), product_line="compute")],
        ),
    ],
)
def test_must_not_fire(case: str, events: list[InputEvent]) -> None:
    _, outputs = run(events)
    assert alerts_of(outputs) == [], case


def test_approval_of_the_duplicate_updates_the_same_alert() -> None:
    events: list[InputEvent] = [
        *held_by_a(),
        registered("reg-b", "R-B", "PB", at(5)),
        approved("app-b", "R-B", "PB", at(6)),
    ]
    _, outputs = run(events)

    alerts = alerts_of(outputs, DUPLICATE)
    assert len({a.alert_id for a in alerts}) == 1
    assert [a.revision for a in alerts] == [1, 2]
    assert alerts[-1].evidence_event_ids == ("reg-a", "app-a", "reg-b", "app-b")


def test_approving_a_registration_made_before_the_holder_was_approved_is_a_duplicate() -> None:
    # B registered while A was still pending; B's approval comes while A holds.
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        registered("reg-b", "R-B", "PB", at(1)),
        approved("app-a", "R-A", "PA", at(2)),
        approved("app-b", "R-B", "PB", at(3)),
    ]
    _, outputs = run(events)

    [alert] = alerts_of(outputs)
    assert alert.alert_id == alert_id_for(DUPLICATE, CUSTOMER, LINE, ("R-A", "R-B"))
    assert alert.evidence_event_ids == ("reg-a", "app-a", "reg-b", "app-b")
    assert alert.occurred_at == at(3)


def test_the_same_registration_twice_gives_one_alert() -> None:
    states, outputs = run([*held_by_a(), registered("reg-b", "R-B", "PB", at(5))])
    _, again = run(
        [registered("reg-b", "R-B", "PB", at(5)), approved("app-a", "R-A", "PA", at(1))], states=states
    )
    assert len(alerts_of(outputs)) == 1
    assert again == []
