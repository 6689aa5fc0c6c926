"""The plumbing against the real broker: consumer groups, committed offsets, compacted topics."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from tests.integration.kafka_admin import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.kafka]


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for i in range(count):
            await producer.send(topic, key=f"k{i % 7}".encode(), value=f"v{i}".encode())
        await producer.flush()
    finally:
        await producer.stop()


async def _consume_some(bootstrap: str, topic: str, group: str, limit: int) -> list[bytes]:
    """Consume up to ``limit`` records in ``group`` and commit exactly what was consumed."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while len(seen) < limit:
                batch = await consumer.getmany(timeout_ms=500, max_records=limit - len(seen))
                for tp, records in batch.items():
                    seen.extend(r.value for r in records if r.value is not None)
                    await consumer.commit({tp: records[-1].offset + 1})
    finally:
        await consumer.stop()
    return seen


def test_consumer_group_resumes_from_committed_offsets(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic, group = f"{topic_prefix}-orders", f"{topic_prefix}-group"

    async def scenario() -> tuple[list[bytes], list[bytes], int]:
        await create_topics(kafka_bootstrap, [NewTopic(topic, 3, 1)])
        await _produce(kafka_bootstrap, topic, 30)
        first = await _consume_some(kafka_bootstrap, topic, group, 12)
        second = await _consume_some(kafka_bootstrap, topic, group, 18)
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(group)
        finally:
            await admin.close()
        committed = sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)
        return first, second, committed

    first, second, committed = asyncio.run(scenario())
    assert len(first) == 12
    assert len(second) == 18
    # The restarted member resumed where the group committed: nothing re-read, nothing skipped.
    assert sorted(first + second) == sorted(f"v{i}".encode() for i in range(30))
    assert committed == 30


def test_compacted_topic_keeps_latest_value_per_key_config(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic = f"{topic_prefix}-state-changelog"

    async def scenario() -> str:
        await create_topics(
            kafka_bootstrap,
            [NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})],
        )
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
        finally:
            await admin.close()
        entries = {name: value for name, value, *_ in described[0].resources[0][4]}
        return str(entries["cleanup.policy"])

    assert asyncio.run(scenario()) == "compact"


def test_committed_offset_is_visible_to_a_new_consumer(kafka_bootstrap: str, topic_prefix: str) -> None:
    topic, group = f"{topic_prefix}-single", f"{topic_prefix}-g"

    async def scenario() -> int | None:
        await create_topics(kafka_bootstrap, [NewTopic(topic, 1, 1)])
        await _produce(kafka_bootstrap, topic, 5)
        await _consume_some(kafka_bootstrap, topic, group, 5)
        probe = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
        await probe.start()
        try:
            result: int | None = await probe.committed(TopicPartition(topic, 0))
        finally:
            await probe.stop()
        return result

    assert asyncio.run(scenario()) == 5
