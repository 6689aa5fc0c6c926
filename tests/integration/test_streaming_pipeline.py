"""The streaming pipeline on the real broker gives exactly what the embedded runner gives.

Each test streams a generated dataset through `channel-ledger worker` processes and compares
the distinct outputs (ledger entries, alert revisions, forgone accruals by id and encoded bytes;
dead letters by event and reason) with the embedded runner's over the same file — under normal
running, repeated SIGKILLs, a broker restart, a scale-out with a lost worker, and a flood of
invalid input.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from processors.pipeline import CoreConfig
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
    expected = embedded_reference(path, CoreConfig.from_programs_dir())
    assert expected.size[0] > 1000 and expected.size[1] > 0  # the dataset exercises the ledger and alerts
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
