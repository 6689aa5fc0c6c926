"""Drive the streaming pipeline in tests: workers as real processes, a dataset in, outputs read back.

The reference for every comparison is the embedded runner over the same file; outputs are
compared by their derived ids and encoded bytes (a redelivered output has the same id and
bytes, so at-least-once duplicates collapse and anything different is a real divergence).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from processors.pipeline import CoreConfig
from schemas import topics
from schemas.codec import decode, encode
from schemas.outputs import AccrualForgone, ConflictAlert, DeadLetter, LedgerEntry
from services.embedded import EmbeddedRunner, Record
from services.eventsource import SourceRecord, read_source
from services.kafka_settings import KafkaSettings
from services.topic_admin import ensure_topics

REPO = Path(__file__).resolve().parents[2]


@dataclass(slots=True)
class Outputs:
    """Distinct outputs by id: entry_id, (alert_id, revision), forgone_id; dead letters counted."""

    entries: dict[str, bytes] = field(default_factory=dict)
    alerts: dict[tuple[str, int], bytes] = field(default_factory=dict)
    forgone: dict[str, bytes] = field(default_factory=dict)
    dead_letter_reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    """(source event id or original bytes digest, reason) -> reason, so redeliveries collapse."""

    def add(self, record: object) -> None:
        if isinstance(record, LedgerEntry):
            self.entries[record.entry_id] = encode(record)
        elif isinstance(record, ConflictAlert):
            self.alerts[(record.alert_id, record.revision)] = encode(record)
        elif isinstance(record, AccrualForgone):
            self.forgone[record.forgone_id] = encode(record)
        elif isinstance(record, DeadLetter):
            identity = record.event_id or record.original.hex()
            self.dead_letter_reasons[(identity, record.reason_code)] = record.reason_code

    @property
    def size(self) -> tuple[int, int, int, int]:
        return len(self.entries), len(self.alerts), len(self.forgone), len(self.dead_letter_reasons)


def embedded_reference(path: Path, config: CoreConfig) -> Outputs:
    """What the embedded runner produces from ``path``: the expected streaming result."""
    outputs = Outputs()

    def sink(record: Record) -> None:
        outputs.add(record)

    now = datetime.now(UTC)
    EmbeddedRunner(config=config, sink=sink, reference_time=now).run(read_source(path, failed_at=now))
    return outputs


def file_records(path: Path) -> list[SourceRecord]:
    return list(read_source(path, failed_at=datetime.now(UTC)))


async def produce_to_ingress(bootstrap: str, prefix: str, records: Iterable[SourceRecord]) -> int:
    """Create the catalog's topics, then send every record's bytes to the ingress topic, in order."""
    await ensure_topics(KafkaSettings(bootstrap=bootstrap, topic_prefix=prefix))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    sent = 0
    try:
        for record in records:
            await producer.send(topics.INGRESS.full_name(prefix), value=record.data, key=b"ingress")
            sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def collect_outputs(
    bootstrap: str,
    prefix: str,
    done: Callable[[Outputs], bool],
    *,
    timeout_s: float,
    on_poll: Callable[[Outputs], None] | None = None,
) -> Outputs:
    """Read the output and dead-letter topics from the start until ``done(outputs)`` holds."""
    names = [spec.full_name(prefix) for spec in (*topics.OUTPUT_TOPICS, topics.DEAD_LETTERS)]
    consumer = AIOKafkaConsumer(
        *names,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=32 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    outputs = Outputs()
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while not done(outputs):
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batch.values():
                    for record in records:
                        if record.value is not None:
                            outputs.add(decode(record.value))
                if on_poll is not None:
                    on_poll(outputs)
    finally:
        await consumer.stop()
    return outputs


def start_worker(
    bootstrap: str, prefix: str, datadir: Path, *, store: str = "memory"
) -> subprocess.Popen[bytes]:
    """A worker process (``python -m services worker``); its log goes beside its data dir."""
    datadir.mkdir(parents=True, exist_ok=True)
    log = (datadir / "worker.log").open("ab")
    env = {**os.environ, "CL_KAFKA_BOOTSTRAP": bootstrap, "CL_TOPIC_PREFIX": prefix, "CL_LOG_FORMAT": "json"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services",
            "worker",
            "--store",
            store,
            "--datadir",
            str(datadir),
            "--batch-max",
            "500",
            "--faust-loglevel",
            "info",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop_worker(worker: subprocess.Popen[bytes], *, kill: bool = False) -> None:
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
