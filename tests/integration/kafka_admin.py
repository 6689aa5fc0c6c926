"""Small helpers for integration tests that talk to the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def create_topics(bootstrap: str, topics: Iterable[NewTopic]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(list(topics))
    finally:
        await admin.close()


async def consume_until(
    bootstrap: str, topic: str, predicate: object, *, timeout_s: float = 60.0
) -> list[bytes]:
    """Read ``topic`` from the start until ``predicate(values)`` holds; fail after ``timeout_s``."""
    assert callable(predicate)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate(values):
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    values.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return values
