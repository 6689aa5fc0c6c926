"""The streaming pipeline on the real broker gives exactly what the embedded runner gives.

Each test streams a generated dataset through `channel-ledger worker` processes and compares
the distinct outputs (ledger entries, alert revisions, forgone accruals by id and encoded bytes;
dead letters by event and reason) with the embedded runner's over the same file — under normal
running, repeated SIGKILLs, a broker restart, a scale-out with a lost worker, and a flood of
invalid input.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import struct
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from processors.pipeline import CoreConfig
from schemas.codec import decode, encode
from schemas.events import AlertAcknowledged, AlertResolved, InputEvent
from schemas.outputs import AlertRule, AlertStatus, ConflictAlert
from services.datagen import DatagenConfig, generate_records, write_avro
from tests.conftest import KafkaBroker
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

TIMEOUT_S = 480.0
"""Generous: a SIGKILLed member is only replaced after the group's session timeout, and CI's two
cores also run the broker and up to three workers."""


def _dataset(tmp_path: Path, *, seed: int, events: int, invalid_rate: float = 0.002) -> Path:
    path = tmp_path / f"events-{seed}.avro"
    config = DatagenConfig(
        seed=seed,
        start=date(2026, 1, 1),
        days=150,
        events=events,
        partners=24,
        customers=600,
        invalid_rate=invalid_rate,
    )
    write_avro(generate_records(config), path)
    return path


def _append_partner_alert_lifecycle(path: Path) -> None:
    """Append to the dataset lifecycle events for alerts of the partner processor (the generator
    makes none): an acknowledgement and a resolution of a TERRITORY_VIOLATION and of an
    OVERPAYMENT alert (``partner_id`` set), the acknowledgement again (a redelivery), the same
    addressed to the customer processor (blank ``partner_id``: UNKNOWN_ALERT there) and one for
    an alert no partner holds (UNKNOWN_ALERT from the partner processor)."""
    latest: dict[str, ConflictAlert] = {}
    for data in embedded_reference(path, CoreConfig.from_programs_dir()).alerts.values():
        alert = decode(data)
        assert isinstance(alert, ConflictAlert)
        if alert.alert_id not in latest or alert.revision > latest[alert.alert_id].revision:
            latest[alert.alert_id] = alert
    chosen = [  # the most recent of each rule: older ones may be forgotten (alert_quiet_period)
        max((a for a in latest.values() if a.rule_id is rule), key=lambda a: (a.detected_at, a.alert_id))
        for rule in (AlertRule.TERRITORY_VIOLATION, AlertRule.OVERPAYMENT)
    ]
    at = max(a.detected_at for a in latest.values()) + timedelta(days=1)
    events: list[InputEvent] = []
    numbers = itertools.count()

    def event_id() -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"partner-alert-lifecycle/{next(numbers)}"))

    def ack(alert: ConflictAlert, partner_id: str, alert_id: str | None = None) -> AlertAcknowledged:
        return AlertAcknowledged(
            event_id=event_id(),
            occurred_at=at,
            source="alert-console",
            alert_id=alert_id or alert.alert_id,
            customer_id=alert.customer_id or "",
            acknowledged_by="cm@vendor",
            partner_id=partner_id,
        )

    for alert in chosen:
        partner_id = alert.parties[0].partner_id
        acknowledged = ack(alert, partner_id)
        events.append(acknowledged)
        resolved = AlertResolved(
            event_id=event_id(),
            occurred_at=at,
            source="alert-console",
            alert_id=alert.alert_id,
            customer_id=alert.customer_id or "",
            resolved_by="cm@vendor",
            resolution="settled with the partner",
            partner_id=partner_id,
        )
        events += [resolved, acknowledged, ack(alert, "")]
    events.append(
        ack(chosen[0], chosen[0].parties[0].partner_id, str(uuid.uuid5(uuid.NAMESPACE_URL, "none")))
    )
    with path.open("ab") as out:
        for event in events:
            frame = encode(event)
            out.write(struct.pack(">I", len(frame)) + frame)


def _assert_same(got: Outputs, expected: Outputs) -> None:
    extra = Counter(got.dead_letter_reasons.values()) - Counter(expected.dead_letter_reasons.values())
    missing = Counter(expected.dead_letter_reasons.values()) - Counter(got.dead_letter_reasons.values())
    assert not extra and not missing, f"dead letters differ: extra {dict(extra)}, missing {dict(missing)}"
    assert got.size == expected.size
    assert got.entries == expected.entries
    assert got.alerts == expected.alerts
    assert got.forgone == expected.forgone
    assert got.dead_letter_reasons == expected.dead_letter_reasons


def _complete(expected: Outputs) -> object:
    return lambda outputs: outputs.size >= expected.size


def _collect(bootstrap: str, prefix: str, expected: Outputs, timeout_s: float = TIMEOUT_S) -> Outputs:
    return asyncio.run(collect_outputs(bootstrap, prefix, _complete(expected), timeout_s=timeout_s))


def _produce(bootstrap: str, prefix: str, path: Path) -> None:
    asyncio.run(produce_to_ingress(bootstrap, prefix, file_records(path)))


def _wait_for_entries(bootstrap: str, prefix: str, count: int) -> None:
    asyncio.run(collect_outputs(bootstrap, prefix, lambda o: o.size[0] >= count, timeout_s=TIMEOUT_S))


def test_streaming_equals_embedded(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> None:
    path = _dataset(tmp_path, seed=11, events=3000)
    _append_partner_alert_lifecycle(path)
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    assert expected.size[0] > 1000 and expected.size[1] > 0  # the dataset exercises the ledger and alerts
    revised = Counter(
        (alert.rule_id, alert.status)
        for alert in map(decode, expected.alerts.values())
        if isinstance(alert, ConflictAlert) and alert.status is not AlertStatus.OPEN
    )
    assert revised == {
        (rule, status): 1
        for rule in (AlertRule.TERRITORY_VIOLATION, AlertRule.OVERPAYMENT)
        for status in (AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED)
    }
    assert Counter(reason for _, reason in expected.dead_letter_reasons)["UNKNOWN_ALERT"] == 3
    worker = start_worker(kafka_bootstrap, topic_prefix, tmp_path / "w")
    try:
        _produce(kafka_bootstrap, topic_prefix, path)
        got = _collect(kafka_bootstrap, topic_prefix, expected)
        assert worker.poll() is None, "the worker died"
    finally:
        stop_worker(worker)
    _assert_same(got, expected)


def test_sigkill_at_random_moments_changes_nothing(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    path = _dataset(tmp_path, seed=12, events=5000)
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    rng = random.Random(12)
    kill_points = sorted(rng.sample(range(200, expected.size[0] - 200), 5))
    datadir = tmp_path / "w"
    worker = start_worker(kafka_bootstrap, topic_prefix, datadir, store="rocksdb")
    try:
        _produce(kafka_bootstrap, topic_prefix, path)
        for point in kill_points:
            _wait_for_entries(kafka_bootstrap, topic_prefix, point)
            stop_worker(worker, kill=True)
            worker = start_worker(kafka_bootstrap, topic_prefix, datadir, store="rocksdb")
        got = _collect(kafka_bootstrap, topic_prefix, expected)
    finally:
        stop_worker(worker)
    _assert_same(got, expected)


def test_broker_restart_mid_stream(kafka_broker: KafkaBroker, topic_prefix: str, tmp_path: Path) -> None:
    if kafka_broker.restart is None:
        pytest.skip("this session does not control the broker (CL_KAFKA_BOOTSTRAP or a container)")
    bootstrap = kafka_broker.bootstrap
    path = _dataset(tmp_path, seed=13, events=4000)
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    records = file_records(path)
    half = len(records) // 2
    worker = start_worker(bootstrap, topic_prefix, tmp_path / "w")
    try:
        asyncio.run(produce_to_ingress(bootstrap, topic_prefix, records[:half]))
        _wait_for_entries(bootstrap, topic_prefix, 200)
        kafka_broker.restart()
        asyncio.run(produce_to_ingress(bootstrap, topic_prefix, records[half:]))
        got = _collect(bootstrap, topic_prefix, expected)
        assert worker.poll() is None, "the worker did not survive the broker restart"
    finally:
        stop_worker(worker)
    _assert_same(got, expected)


@pytest.mark.parametrize("kill_at", ["first-entry", "a-third-of-the-entries"])
def test_three_workers_one_lost(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path, kill_at: str
) -> None:
    """Killed at the first ledger entry, the lost worker has committed nothing for partitions
    it already processed: the survivors must read those from their beginning (before
    ``processors.streaming.rewind`` they never did, and consumed nothing more)."""
    path = _dataset(tmp_path, seed=14, events=5000)
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    workers = [start_worker(kafka_bootstrap, topic_prefix, tmp_path / f"w{i}") for i in range(3)]
    try:
        _produce(kafka_bootstrap, topic_prefix, path)
        point = 1 if kill_at == "first-entry" else expected.size[0] // 3
        _wait_for_entries(kafka_bootstrap, topic_prefix, point)
        stop_worker(workers[1], kill=True)  # lost for good: the other two take its partitions
        got = _collect(kafka_bootstrap, topic_prefix, expected)
        assert workers[0].poll() is None and workers[2].poll() is None
    finally:
        for worker in workers:
            stop_worker(worker)
    _assert_same(got, expected)


def test_ten_thousand_invalid_events_are_dead_lettered(
    kafka_bootstrap: str, topic_prefix: str, tmp_path: Path
) -> None:
    path = _dataset(tmp_path, seed=15, events=14000, invalid_rate=10000 / 14000)
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    invalid_at_intake = sum(1 for _ in expected.dead_letter_reasons)
    assert invalid_at_intake >= 10000
    worker = start_worker(kafka_bootstrap, topic_prefix, tmp_path / "w")
    try:
        _produce(kafka_bootstrap, topic_prefix, path)
        got = _collect(kafka_bootstrap, topic_prefix, expected)
        assert worker.poll() is None, "bad input must not kill the worker"
    finally:
        stop_worker(worker)
    _assert_same(got, expected)
    reasons = set(got.dead_letter_reasons.values())
    assert {"UNDECODABLE", "UNKNOWN_EVENT_TYPE", "NON_POSITIVE_QUANTITY"} <= reasons
