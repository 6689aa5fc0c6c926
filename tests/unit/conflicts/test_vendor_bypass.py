"""VENDOR_BYPASS: a DIRECT sale to a customer + line under an active partner registration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from processors.conflicts import ConflictConfig, alert_id_for
from processors.sop import SopRow
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
    sale,
    withdrawn,
)

BYPASS = AlertRule.VENDOR_BYPASS


def protected_by_a(expires_in_days: float | None = None) -> list[InputEvent]:
    expires = None if expires_in_days is None else at(expires_in_days)
    return [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1), expires_at=expires),
    ]


def test_a_direct_sale_under_protection_raises_a_critical_bypass() -> None:
    _, outputs = run([*protected_by_a(), sale("d1", None, at(10))])

    [alert] = alerts_of(outputs)
    assert alert.rule_id is BYPASS
    assert alert.alert_id == alert_id_for(BYPASS, CUSTOMER, LINE, ("R-A",))
    assert alert.severity is AlertSeverity.CRITICAL
    assert [(p.partner_id, p.role) for p in alert.parties] == [
        ("PA", PartyRole.PROTECTED),
        ("VENDOR", PartyRole.VENDOR),
    ]
    assert alert.evidence_event_ids == ("reg-a", "app-a", "d1")
    assert alert.recommended_action.startswith("Escalate to the channel chief")


@pytest.mark.parametrize(
    ("case", "events"),
    [
        ("expired the day before", [*protected_by_a(expires_in_days=20), sale("d", None, at(21))]),
        ("at the expiry instant", [*protected_by_a(expires_in_days=20), sale("d", None, at(20))]),
        (
            "rejected",
            [
                registered("reg-a", "R-A", "PA", at(0)),
                rejected("rej-a", "R-A", "PA", at(1)),
                sale("d", None, at(5)),
            ],
        ),
        ("withdrawn", [*protected_by_a(), withdrawn("wd", "R-A", "PA", at(3)), sale("d", None, at(5))]),
        ("before approval", [registered("reg-a", "R-A", "PA", at(0)), sale("d", None, at(0, 12))]),
        ("different product line", [*protected_by_a(), sale("d", None, at(5), product_line="compute")]),
        ("no registration at all", [sale("d", None, at(5))]),
    ],
)
def test_must_not_fire(case: str, events: list[InputEvent]) -> None:
    _, outputs = run(events)
    assert alerts_of(outputs) == [], case


def test_fires_just_before_expiry() -> None:
    events = [*protected_by_a(expires_in_days=20), sale("d", None, at(20) - timedelta(milliseconds=1))]
    _, outputs = run(events)
    assert [a.rule_id for a in alerts_of(outputs)] == [BYPASS]


def test_more_direct_sales_update_the_one_alert_and_a_redelivery_changes_nothing() -> None:
    events = [*protected_by_a(), sale("d1", None, at(5)), sale("d2", None, at(6)), sale("d1", None, at(5))]
    _, outputs = run(events)

    alerts = alerts_of(outputs)
    assert len({a.alert_id for a in alerts}) == 1
    assert [a.revision for a in alerts] == [1, 2]
    assert alerts[-1].evidence_event_ids == ("reg-a", "app-a", "d1", "d2")


def test_vendor_party_id_and_sop_row_are_configuration() -> None:
    config = ConflictConfig(
        vendor_party_id="direct-sales",
        sop=ConflictConfig().sop.with_overrides({BYPASS: SopRow(AlertSeverity.HIGH, "Call the partner.")}),
    )
    _, outputs = run([*protected_by_a(), sale("d1", None, at(5))], config)

    [alert] = alerts_of(outputs)
    assert alert.parties[1].partner_id == "direct-sales"
    assert alert.severity is AlertSeverity.HIGH
    assert alert.recommended_action == "Call the partner."
