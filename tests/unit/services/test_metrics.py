"""Metrics registry and health report, without a server or a broker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from services.metrics import Health, PipelineMetrics, refresh_consumer_lag


def _sample(metrics: PipelineMetrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    value = metrics.registry.get_sample_value(name, labels or {})
    return value


def test_counters_by_label() -> None:
    metrics = PipelineMetrics()
    for _ in range(3):
        metrics.observe_input("cl.ingress")
    metrics.observe_dead_letter("UNDECODABLE")
    metrics.observe_dead_letter("UNDECODABLE")
    metrics.observe_dead_letter("NEGATIVE_QUANTITY")
    assert _sample(metrics, "channel_ledger_events_total", {"topic": "cl.ingress"}) == 3
    assert _sample(metrics, "channel_ledger_dead_letters_total", {"reason_code": "UNDECODABLE"}) == 2
    assert _sample(metrics, "channel_ledger_dead_letters_total", {"reason_code": "NEGATIVE_QUANTITY"}) == 1


def test_latency_is_from_the_input_record_timestamp_never_negative() -> None:
    now_s = 1_800_000_000.0
    metrics = PipelineMetrics(wall_clock_s=lambda: now_s)
    metrics.observe_output("ConflictAlert", int(now_s * 1000) - 250)  # produced 250 ms ago
    metrics.observe_output("ConflictAlert", int(now_s * 1000) + 5000)  # a producer clock ahead
    metrics.observe_output("LedgerEntry", None)  # no source timestamp: counted, not timed
    labels = {"type": "ConflictAlert"}
    assert _sample(metrics, "channel_ledger_outputs_total", labels) == 2
    assert _sample(metrics, "channel_ledger_outputs_total", {"type": "LedgerEntry"}) == 1
    assert _sample(metrics, "channel_ledger_end_to_end_latency_seconds_count", labels) == 2
    assert _sample(metrics, "channel_ledger_end_to_end_latency_seconds_sum", labels) == pytest.approx(0.25)
    assert _sample(metrics, "channel_ledger_end_to_end_latency_seconds_bucket", {**labels, "le": "0.1"}) == 1
    assert _sample(metrics, "channel_ledger_end_to_end_latency_seconds_bucket", {**labels, "le": "0.25"}) == 2
    assert (
        _sample(metrics, "channel_ledger_end_to_end_latency_seconds_count", {"type": "LedgerEntry"}) is None
    )


@dataclass(frozen=True)
class _TP:
    topic: str
    partition: int


class _FakeConsumer:
    def __init__(self, ends: dict[_TP, int], positions: dict[_TP, int]) -> None:
        self.ends = ends
        self.positions = positions

    def assignment(self) -> Iterable[_TP]:
        return set(self.positions)

    async def end_offsets(self, partitions: list[_TP]) -> dict[_TP, int]:
        return {tp: self.ends[tp] for tp in partitions}

    async def position(self, partition: _TP) -> int:
        return self.positions[partition]


def test_lag_is_end_offset_minus_position_and_forgotten_on_revoke() -> None:
    import asyncio

    metrics = PipelineMetrics()
    a, b = _TP("cl.ledger-entries", 0), _TP("cl.ledger-entries", 1)
    consumer = _FakeConsumer({a: 100, b: 7}, {a: 40, b: 7})
    total = asyncio.run(refresh_consumer_lag(consumer, "g", metrics))  # type: ignore[arg-type]
    assert total == 60
    lag = "channel_ledger_consumer_lag"
    assert _sample(metrics, lag, {"group": "g", "topic": a.topic, "partition": "0"}) == 60
    assert _sample(metrics, lag, {"group": "g", "topic": b.topic, "partition": "1"}) == 0
    metrics.forget_partitions("g", [(a.topic, 0), ("never-seen", 3)])
    assert _sample(metrics, lag, {"group": "g", "topic": a.topic, "partition": "0"}) is None
    assert _sample(metrics, lag, {"group": "g", "topic": b.topic, "partition": "1"}) == 0


def test_health_is_ok_only_when_every_check_is() -> None:
    now = [100.0]
    health = Health(component="projector", clock_s=lambda: now[0])
    assert health.ok and health.report()["status"] == "ok"
    health.set("kafka", True, "assigned 14 partitions")
    health.set("warehouse", False, "connection refused")
    now[0] = 103.5
    report = health.report()
    assert report["status"] == "failing" and not health.ok
    assert report["component"] == "projector" and report["uptime_s"] == 3.5
    checks = report["checks"]
    assert isinstance(checks, dict)
    assert checks["warehouse"] == {"ok": False, "detail": "connection refused", "for_s": 3.5}
    health.set("warehouse", False, "still refused")  # same state: the clock of the state keeps running
    assert health.report()["checks"]["warehouse"]["for_s"] == 3.5
    health.set("warehouse", True)
    assert health.ok and health.report()["checks"]["warehouse"]["for_s"] == 0


def test_exposition_is_prometheus_text() -> None:
    metrics = PipelineMetrics()
    metrics.observe_input("cl.sales")
    text = metrics.exposition().decode()
    assert "# TYPE channel_ledger_events_total counter" in text
    assert 'channel_ledger_events_total{topic="cl.sales"} 1.0' in text
