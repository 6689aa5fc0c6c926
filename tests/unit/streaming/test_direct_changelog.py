"""The direct changelog writer, without Kafka: what the store and the producer receive."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import pytest
from faust.types import TP

from processors.streaming.changelog import DirectTable


@dataclass(frozen=True)
class _Metadata:
    partition: int
    offset: int


class _Producer:
    """Records sends; resolves each with the next offset of its partition (or fails)."""

    def __init__(self, fail_on: bytes | None = None) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, int]] = []
        self.offsets: dict[int, int] = {}
        self.fail_on = fail_on

    async def send(self, topic: str, key: bytes, value: bytes | None, partition: int) -> Awaitable[Any]:
        self.sent.append((topic, key, value, partition))
        future: asyncio.Future[_Metadata] = asyncio.get_running_loop().create_future()
        if key == self.fail_on:
            future.set_exception(RuntimeError("not leader for partition"))
        else:
            offset = self.offsets.get(partition, -1) + 1
            self.offsets[partition] = offset
            future.set_result(_Metadata(partition, offset))
        return future


def test_writes_reach_the_store_at_once_and_the_changelog_in_order() -> None:
    store: dict[bytes, bytes] = {b"old": b"x"}
    persisted: dict[TP, int] = {}
    table = DirectTable(store, "app-partner-state-changelog", persisted.__setitem__)
    producer = _Producer()

    async def batch() -> None:
        table.partition = 3
        table[b"a"] = b"1"
        table.partition = 5
        table[b"b"] = b"2"
        del table[b"old"]
        assert store == {b"a": b"1", b"b": b"2"}  # readable before anything is sent
        assert b"a" in table and table[b"b"] == b"2" and len(table) == 2
        await table.send(producer.send)
        table.partition = 3
        table[b"a"] = b"3"
        await table.send(producer.send)
        await table.settle()

    asyncio.run(batch())
    assert producer.sent == [
        ("app-partner-state-changelog", b"a", b"1", 3),
        ("app-partner-state-changelog", b"b", b"2", 5),
        ("app-partner-state-changelog", b"old", None, 5),  # a delete is a tombstone
        ("app-partner-state-changelog", b"a", b"3", 3),
    ]
    assert persisted == {
        TP("app-partner-state-changelog", 3): 1,
        TP("app-partner-state-changelog", 5): 1,
    }
    assert table.queued == 0


def test_a_refused_changelog_record_fails_the_batch_that_settles_it() -> None:
    table = DirectTable({}, "t", lambda tp, offset: None)
    producer = _Producer(fail_on=b"bad")

    async def batch() -> None:
        table[b"good"] = b"1"
        table[b"bad"] = b"2"
        await table.send(producer.send)
        await table.settle()

    with pytest.raises(RuntimeError, match="not leader"):
        asyncio.run(batch())
