"""A Faust agent's changelog-backed table survives a worker restart (real broker, real worker)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import NewTopic

from tests.integration.kafka_admin import consume_until, create_topics

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.slow]

APP = Path(__file__).with_name("faust_counter.py")


def _start_worker(bootstrap: str, prefix: str, datadir: Path) -> subprocess.Popen[bytes]:
    """Start the worker; its log goes beside its data dir for post-mortems."""
    env = {**os.environ, "PYTHONPATH": str(APP.parent)}
    return subprocess.Popen(
        [sys.executable, str(APP), bootstrap, prefix, str(datadir), "worker", "-l", "warn", "--without-web"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(datadir.parent / f"{datadir.name}.log").open("wb"),
    )


def _stop(worker: subprocess.Popen[bytes]) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


async def _send(bootstrap: str, topic: str, words: list[str]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for word in words:
            await producer.send_and_wait(topic, key=word.encode(), value=word.encode())
    finally:
        await producer.stop()


def test_table_state_survives_worker_restart(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> None:
    words, counts = f"{topic_prefix}-words", f"{topic_prefix}-counts"
    asyncio.run(create_topics(kafka_bootstrap, [NewTopic(words, 2, 1), NewTopic(counts, 1, 1)]))

    worker = _start_worker(kafka_bootstrap, topic_prefix, tmp_path / "run1")
    try:
        asyncio.run(_send(kafka_bootstrap, words, ["apple", "pear", "apple"]))
        first = asyncio.run(consume_until(kafka_bootstrap, counts, lambda v: len(v) >= 3, timeout_s=90))
    finally:
        _stop(worker)
    assert sorted(first) == [b"apple=1", b"apple=2", b"pear=1"]

    # A fresh worker with an empty data dir and an in-memory store can only know the counts
    # by restoring the table from its changelog topic.
    worker = _start_worker(kafka_bootstrap, topic_prefix, tmp_path / "run2")
    try:
        asyncio.run(_send(kafka_bootstrap, words, ["apple", "pear"]))
        values = asyncio.run(consume_until(kafka_bootstrap, counts, lambda v: len(v) >= 5, timeout_s=90))
    finally:
        _stop(worker)
    assert sorted(values[3:]) == [b"apple=3", b"pear=2"]
