"""Staged conflicts are what the detectors find: run the dataset through the real core (the
partner and customer processors) and every staged situation raises exactly one alert of its
rule, nothing else raises one, and no valid event is refused."""

from __future__ import annotations

from collections import Counter

from processors.conflicts import CustomerState
from processors.partner import PartnerState
from processors.pipeline import CoreConfig, customer_step, partner_step
from schemas.outputs import AlertRule, ConflictAlert, Rejected
from services.datagen import DEFAULT_PROGRAMS_DIR, GeneratedRecord, ValidRecord


def test_each_staged_situation_raises_exactly_its_alert(small_records: list[GeneratedRecord]) -> None:
    config = CoreConfig.from_programs_dir(DEFAULT_PROGRAMS_DIR)
    partners: dict[str, PartnerState] = {}
    customers: dict[str, CustomerState] = {}
    staged: dict[str, AlertRule] = {}
    alerts: dict[str, ConflictAlert] = {}
    refused: list[Rejected] = []
    for record in small_records:
        if not isinstance(record, ValidRecord):
            continue
        if record.staged is not None:
            staged[record.event.event_id] = record.staged
        for output in partner_step(partners, record.event, config) + customer_step(
            customers, record.event, config
        ):
            if isinstance(output, ConflictAlert):
                alerts[output.alert_id] = output
            elif isinstance(output, Rejected):
                refused.append(output)
    assert refused == []
    by_rule = Counter(a.rule_id for a in alerts.values())
    assert by_rule == Counter(staged.values())
    for alert in alerts.values():
        assert any(staged.get(e) is alert.rule_id for e in alert.evidence_event_ids), alert.message
