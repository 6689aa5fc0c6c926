"""The lifecycle events an alert consumer sends back reach the processor that raised the alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from processors import conflicts, partner
from schemas.outputs import AlertParty, AlertRule, AlertSeverity, AlertStatus, ConflictAlert, PartyRole
from schemas.validation import validate
from services.alert_answers import PARTNER_RULES, acknowledgement, address_of, resolution

AT = datetime(2026, 5, 4, 9, 30, 0, 123000, tzinfo=UTC)


def _alert(rule: AlertRule, *, customer: str | None, parties: tuple[AlertParty, ...]) -> ConflictAlert:
    return ConflictAlert(
        alert_id="0f4f3c0e-8d64-5a4e-9d0a-3f2b1c0d9e8f",
        revision=2,
        rule_id=rule,
        severity=AlertSeverity.MEDIUM,
        status=AlertStatus.OPEN,
        customer_id=customer,
        product_line="storage" if customer else None,
        parties=parties,
        evidence_event_ids=("e1",),
        occurred_at=AT,
        detected_at=AT,
        message="m",
        recommended_action="a",
    )


OFFENDER = AlertParty(partner_id="P-7", role=PartyRole.OFFENDER)
PROTECTED = AlertParty(partner_id="P-1", role=PartyRole.PROTECTED)


def test_partner_processor_rules_are_addressed_by_partner_and_reach_only_that_processor() -> None:
    territory = _alert(AlertRule.TERRITORY_VIOLATION, customer="C-9", parties=(OFFENDER,))
    ack = acknowledgement(territory, by="ops", at=AT)
    assert (ack.partner_id, ack.customer_id) == ("P-7", "C-9")
    assert partner.partner_key(ack) == "P-7"
    assert conflicts.customer_key(ack) is None

    overpaid = _alert(
        AlertRule.OVERPAYMENT, customer=None, parties=(AlertParty(partner_id="P-3", role=PartyRole.VENDOR),)
    )
    done = resolution(overpaid, by="finance", resolution="refund requested", at=AT)
    assert (done.partner_id, done.customer_id) == ("P-3", "")
    assert partner.partner_key(done) == "P-3"
    assert conflicts.customer_key(done) is None


@pytest.mark.parametrize("rule", sorted(set(AlertRule) - PARTNER_RULES, key=lambda r: r.value))
def test_customer_processor_rules_are_addressed_by_customer(rule: AlertRule) -> None:
    alert = _alert(rule, customer="C-9", parties=(PROTECTED, OFFENDER))
    ack = acknowledgement(alert, by="ops", at=AT)
    assert (ack.customer_id, ack.partner_id) == ("C-9", "")
    assert conflicts.customer_key(ack) == "C-9"
    assert partner.partner_key(ack) is None


def test_answers_are_valid_events_with_ids_derived_from_what_they_say() -> None:
    alert = _alert(AlertRule.REGISTRATION_BREACH, customer="C-9", parties=(PROTECTED, OFFENDER))
    ack = acknowledgement(alert, by="ops", at=AT)
    done = resolution(alert, by="ops", resolution="credited P-1", at=AT)
    for event in (ack, done):
        assert validate(event, reference_time=AT, max_future_skew=timedelta(0)) == []
    assert ack.alert_id == done.alert_id == alert.alert_id
    assert (ack.acknowledged_by, done.resolved_by, done.resolution) == ("ops", "ops", "credited P-1")
    # a retry of the same answer is the same event; another answer is another event
    assert acknowledgement(alert, by="ops", at=AT).event_id == ack.event_id
    assert acknowledgement(alert, by="ops2", at=AT).event_id != ack.event_id
    assert acknowledgement(alert, by="ops", at=AT.replace(second=1)).event_id != ack.event_id
    assert done.event_id != ack.event_id


def test_an_alert_without_the_id_its_processor_needs_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="names no customer"):
        address_of(_alert(AlertRule.VENDOR_BYPASS, customer=None, parties=(PROTECTED,)))
    with pytest.raises(ValueError, match="names no partner"):
        address_of(_alert(AlertRule.OVERPAYMENT, customer=None, parties=()))
