"""`channel-ledger alerts ack|resolve` on the real broker: the answer reaches the processor that
raised the alert, which publishes the alert's next revision, for both processors' rules."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from processors.pipeline import CoreConfig
from schemas.codec import decode
from schemas.outputs import AlertRule, AlertStatus, ConflictAlert
from schemas.reasons import ReasonCode
from services.cli import build_app
from services.datagen import DatagenConfig, generate_records, write_avro
from tests.integration.streaming_harness import (
    Outputs,
    collect_outputs,
    embedded_reference,
    file_records,
    produce_to_ingress,
    start_worker,
    stop_worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]

TIMEOUT_S = 300.0


def _latest(outputs: Outputs) -> dict[str, ConflictAlert]:
    latest: dict[str, ConflictAlert] = {}
    for raw in outputs.alerts.values():
        alert = decode(raw)
        assert isinstance(alert, ConflictAlert)
        known = latest.get(alert.alert_id)
        if known is None or alert.revision > known.revision:
            latest[alert.alert_id] = alert
    return latest


def _first(latest: dict[str, ConflictAlert], rule: AlertRule) -> ConflictAlert:
    return min((a for a in latest.values() if a.rule_id is rule), key=lambda a: a.alert_id)


def test_ack_and_resolve_reach_the_processor_that_raised_each_alert(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    path = tmp_path / "events.avro"
    write_avro(generate_records(DatagenConfig(seed=11, start=date(2026, 1, 1), days=120, events=3000)), path)
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    rules = {a.rule_id for a in _latest(expected).values()}
    assert {AlertRule.TERRITORY_VIOLATION, AlertRule.OVERPAYMENT, AlertRule.REGISTRATION_BREACH} <= rules

    worker = start_worker(kafka_bootstrap, topic_prefix, tmp_path / "w")
    try:
        asyncio.run(produce_to_ingress(kafka_bootstrap, topic_prefix, file_records(path)))
        got = asyncio.run(
            collect_outputs(
                kafka_bootstrap, topic_prefix, lambda o: o.size >= expected.size, timeout_s=TIMEOUT_S
            )
        )
        latest = _latest(got)
        territory = _first(latest, AlertRule.TERRITORY_VIOLATION)
        overpaid = _first(latest, AlertRule.OVERPAYMENT)
        breach = _first(latest, AlertRule.REGISTRATION_BREACH)
        kafka = ["--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix]
        at = ["--at", "2026-06-01T12:00:00Z"]
        answers = [
            ["alerts", "ack", territory.alert_id[:8], "--by", "ops", *at],
            ["alerts", "resolve", overpaid.alert_id, "--by", "finance", "--resolution", "clawed back", *at],
            ["alerts", "ack", breach.alert_id, "--by", "ops", *at],
            ["alerts", "ack", breach.alert_id, "--by", "ops", *at],  # a retry: the same event
        ]
        for args in answers:
            result = CliRunner().invoke(build_app(), [*args, *kafka])
            assert result.exit_code == 0, result.output
            assert "sent Alert" in result.stdout

        wanted = {
            territory.alert_id: (territory.revision + 1, AlertStatus.ACKNOWLEDGED),
            overpaid.alert_id: (overpaid.revision + 1, AlertStatus.RESOLVED),
            breach.alert_id: (breach.revision + 1, AlertStatus.ACKNOWLEDGED),
        }

        def answered(outputs: Outputs) -> bool:
            now = _latest(outputs)
            return all(a in now and now[a].revision >= rev for a, (rev, _) in wanted.items())

        after = asyncio.run(collect_outputs(kafka_bootstrap, topic_prefix, answered, timeout_s=TIMEOUT_S))
        assert worker.poll() is None, "the worker died"
    finally:
        stop_worker(worker)

    now = _latest(after)
    for alert_id, (revision, status) in wanted.items():
        assert (now[alert_id].revision, now[alert_id].status) == (revision, status)
    assert "Acknowledged by ops." in now[territory.alert_id].message
    assert "Resolved by finance: clawed back" in now[overpaid.alert_id].message
    refused = {reason for _, reason in after.dead_letter_reasons}
    assert ReasonCode.UNKNOWN_ALERT.value not in refused
    assert len(after.alerts) == len(got.alerts) + 3  # one revision per answer; the retry adds none


def test_an_unknown_alert_is_reported_and_nothing_is_sent(kafka_bootstrap: str, topic_prefix: str) -> None:
    kafka = ["--bootstrap", kafka_bootstrap, "--topic-prefix", topic_prefix]
    result = CliRunner().invoke(build_app(), ["alerts", "ack", "deadbeef", "--by", "ops", *kafka])
    assert result.exit_code == 1
    assert "no alert deadbeef" in result.output
    short = CliRunner().invoke(build_app(), ["alerts", "ack", "dead", "--by", "ops", *kafka])
    assert short.exit_code == 1 and "at least 8 characters" in short.output
