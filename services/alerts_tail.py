"""Consuming the conflict-alert topic: the reference for alert consumers (chat, ticketing, tools).

What a consumer must know, shown here in code:
- Records are Avro single-object encoded ``ConflictAlert`` values (``schemas.codec.decode``),
  keyed by ``alert_id``. The topic is compacted: a later *revision* of an alert replaces the
  earlier one under the same key, so a consumer keeps the highest ``revision`` per ``alert_id``
  and treats a lower one as a duplicate (redelivery after a worker restart can repeat one).
- Ordering holds per alert id (per partition), not across alerts.
- A consumer that must not miss alerts joins a consumer group and commits after it has handled
  a batch (``group``): at-least-once, with the revision check above making repeats harmless.
  Without a group the tail starts at the end (or the beginning) and remembers nothing.
- A record that does not decode is reported and skipped, never fatal; a null value (a
  compaction tombstone) carries no alert.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener

from schemas.codec import DecodeError, decode
from schemas.outputs import ConflictAlert
from schemas.topics import CONFLICT_ALERTS
from services.kafka_settings import KafkaSettings
from services.topic_admin import ensure_topics, partition_counts

_POLL_MS = 200
_BATCH_RECORDS = 500


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One alert with where it was read and the Kafka timestamp its producer gave it."""

    alert: ConflictAlert
    partition: int
    offset: int
    timestamp_ms: int


class _SignalAssigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    def __init__(self, ready: asyncio.Event | None) -> None:
        self._ready = ready

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: object) -> None:
        if self._ready is not None:
            self._ready.set()


async def _start_unassigned(
    consumer: AIOKafkaConsumer, topic: str, partitions: int, *, from_beginning: bool
) -> None:
    """Take every partition of ``topic`` without a group and seek to its beginning or end."""
    assigned = [TopicPartition(topic, partition) for partition in range(partitions)]
    consumer.assign(assigned)
    if from_beginning:
        await consumer.seek_to_beginning(*assigned)
    else:
        await consumer.seek_to_end(*assigned)
    for tp in assigned:
        await consumer.position(tp)  # resolves the seek now, so "ready" means positioned


async def tail_alerts(
    settings: KafkaSettings,
    on_alert: Callable[[AlertMessage], None],
    *,
    from_beginning: bool = False,
    max_alerts: int | None = None,
    group: str | None = None,
    stop: asyncio.Event | None = None,
    ready: asyncio.Event | None = None,
    on_undecodable: Callable[[ConsumerRecord[bytes, bytes], str], None] | None = None,
) -> int:
    """Call ``on_alert`` for every conflict alert as it arrives; returns how many were handled.

    Ends after ``max_alerts`` alerts or when ``stop`` is set. ``ready`` is set once the
    consumer is positioned (alerts produced after that are seen). With ``group`` (a consumer
    group name, prefixed like every group) offsets are committed after each handled batch and a
    restart resumes there; ``from_beginning`` then applies only to a group with no offsets yet.
    """
    if max_alerts is not None and max_alerts < 1:
        raise ValueError("max_alerts must be at least 1")
    topic = settings.topic(CONFLICT_ALERTS)
    await ensure_topics(settings, [CONFLICT_ALERTS])
    consumer = AIOKafkaConsumer(
        **settings.client_options(),
        group_id=settings.group(group) if group else None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        isolation_level="read_committed",
    )
    await consumer.start()
    handled = 0
    try:
        if group:
            consumer.subscribe([topic], listener=_SignalAssigned(ready))
        else:
            partitions = (await partition_counts(settings, [topic]))[topic]
            await _start_unassigned(consumer, topic, partitions, from_beginning=from_beginning)
            if ready is not None:
                ready.set()
        while (stop is None or not stop.is_set()) and (max_alerts is None or handled < max_alerts):
            batch = await consumer.getmany(timeout_ms=_POLL_MS, max_records=_BATCH_RECORDS)
            done: dict[TopicPartition, int] = {}
            for tp, records in sorted(batch.items(), key=lambda item: item[0].partition):
                for record in records:
                    if max_alerts is not None and handled >= max_alerts:
                        break
                    done[tp] = record.offset + 1
                    if record.value is None:
                        continue  # a tombstone: the alert was compacted away
                    try:
                        model = decode(record.value)
                    except DecodeError as error:
                        if on_undecodable is not None:
                            on_undecodable(record, str(error))
                        continue
                    if not isinstance(model, ConflictAlert):
                        if on_undecodable is not None:
                            on_undecodable(record, f"a {type(model).__name__}, not a ConflictAlert")
                        continue
                    on_alert(AlertMessage(model, record.partition, record.offset, record.timestamp))
                    handled += 1
            if group and done:
                await consumer.commit(done)
    finally:
        await consumer.stop()
    return handled
