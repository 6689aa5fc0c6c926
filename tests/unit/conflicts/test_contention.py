"""CUSTOMER_CONTENTION: N or more different partners sell one customer + line within W
consecutive UTC days (defaults 3 in 30)."""

from __future__ import annotations

import pytest

from processors.conflicts import ConflictConfig, alert_id_for
from schemas.events import InputEvent
from schemas.outputs import AlertRule, AlertSeverity, PartyRole
from tests.unit.conflicts.builders import CUSTOMER, LINE, alerts_of, at, run, sale

CONTENTION = AlertRule.CUSTOMER_CONTENTION


def test_three_partners_within_thirty_days_contend() -> None:
    events = [sale("s-a", "PA", at(0, 9)), sale("s-b", "PB", at(10)), sale("s-c", "PC", at(29, 23))]
    _, outputs = run(events)

    [alert] = alerts_of(outputs)
    assert alert.rule_id is CONTENTION
    assert alert.alert_id == alert_id_for(CONTENTION, CUSTOMER, LINE, ("2026-03-02",))
    assert alert.severity is AlertSeverity.MEDIUM
    assert [(p.partner_id, p.role) for p in alert.parties] == [
        ("PA", PartyRole.OFFENDER),
        ("PB", PartyRole.OFFENDER),
        ("PC", PartyRole.OFFENDER),
    ]
    assert alert.evidence_event_ids == ("s-a", "s-b", "s-c")
    assert alert.occurred_at == at(29, 23)
    assert "2026-03-02 and 2026-03-31" in alert.message


@pytest.mark.parametrize(
    ("case", "events"),
    [
        (
            "window edge: first and third sale 30 calendar days apart",
            [sale("s-a", "PA", at(0, 23)), sale("s-b", "PB", at(10)), sale("s-c", "PC", at(30, 1))],
        ),
        ("two partners", [sale("s-a", "PA", at(0)), sale("s-b", "PB", at(1)), sale("s-b2", "PB", at(2))]),
        ("same partner thrice", [sale("s1", "PA", at(0)), sale("s2", "PA", at(1)), sale("s3", "PA", at(2))]),
        (
            "direct sales are not a partner",
            [sale("s-a", "PA", at(0)), sale("s-b", "PB", at(1)), sale("d", None, at(2))],
        ),
        (
            "different product line",
            [
                sale("s-a", "PA", at(0)),
                sale("s-b", "PB", at(1)),
                sale("s-c", "PC", at(2), product_line="compute"),
            ],
        ),
        (
            "different customer",
            [sale("s-a", "PA", at(0)), sale("s-b", "PB", at(1)), sale("s-c", "PC", at(2), customer_id="C-2")],
        ),
    ],
)
def test_must_not_fire(case: str, events: list[InputEvent]) -> None:
    _, outputs = run(events)
    assert alerts_of(outputs) == [], case


def test_threshold_and_window_are_configuration() -> None:
    config = ConflictConfig(contention_min_partners=2, contention_window_days=7)
    _, inside = run([sale("s-a", "PA", at(0)), sale("s-b", "PB", at(6))], config)
    _, outside = run([sale("s-a", "PA", at(0)), sale("s-b", "PB", at(7))], config)
    assert len(alerts_of(inside)) == 1
    assert alerts_of(outside) == []


def test_a_fourth_partner_is_a_revision_and_more_sales_by_contenders_are_not() -> None:
    events: list[InputEvent] = [
        sale("s-a", "PA", at(0)),
        sale("s-b", "PB", at(1)),
        sale("s-c", "PC", at(2)),
        sale("s-a2", "PA", at(3)),
        sale("s-c2", "PC", at(4)),
        sale("s-d", "PD", at(5)),
    ]
    _, outputs = run(events)

    alerts = alerts_of(outputs)
    assert len({a.alert_id for a in alerts}) == 1
    assert [a.revision for a in alerts] == [1, 2]
    assert alerts[-1].evidence_event_ids == ("s-a", "s-b", "s-c", "s-d")
    assert [p.partner_id for p in alerts[-1].parties] == ["PA", "PB", "PC", "PD"]


def test_contention_that_goes_on_is_one_episode() -> None:
    # The same three partners sell every ten days for four months: one alert, one revision.
    events: list[InputEvent] = [
        sale(f"s-{p}-{d}", p, at(d + i)) for d in range(0, 120, 10) for i, p in enumerate(("PA", "PB", "PC"))
    ]
    _, outputs = run(events)
    assert [a.revision for a in alerts_of(outputs)] == [1]


def test_contention_after_a_quiet_window_is_a_new_situation() -> None:
    first = [sale("s-a", "PA", at(0)), sale("s-b", "PB", at(1)), sale("s-c", "PC", at(2))]
    second = [sale("t-a", "PA", at(60)), sale("t-b", "PB", at(61)), sale("t-c", "PC", at(62))]
    _, outputs = run([*first, *second])

    alerts = alerts_of(outputs)
    assert [a.revision for a in alerts] == [1, 1]
    assert alerts[0].alert_id != alerts[1].alert_id
    assert alerts[1].alert_id == alert_id_for(CONTENTION, CUSTOMER, LINE, ("2026-05-01",))


def test_a_late_sale_completes_a_window_that_extends_after_it() -> None:
    # A on day 0 and C on day 25 arrive first; B's day-20 sale arrives last and completes
    # the window of days 0..29 (which ends after B's own day).
    events = [sale("s-a", "PA", at(0)), sale("s-c", "PC", at(25)), sale("s-b", "PB", at(20))]
    _, outputs = run(events)

    [alert] = alerts_of(outputs)
    assert set(alert.evidence_event_ids) == {"s-a", "s-b", "s-c"}
    assert alert.detected_at == at(25)
    assert alert.occurred_at == at(25)


def test_a_redelivered_sale_changes_nothing() -> None:
    events = [sale("s-a", "PA", at(0)), sale("s-b", "PB", at(1)), sale("s-c", "PC", at(2))]
    states, outputs = run(events)
    _, again = run([sale("s-c", "PC", at(2)), sale("s-a", "PA", at(0))], states=states)
    assert len(alerts_of(outputs)) == 1
    assert again == []
