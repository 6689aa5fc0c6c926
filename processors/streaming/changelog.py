"""A Faust table written the way the agents write their outputs: straight to the producer.

Setting a key of a Faust table queues one changelog message in Faust's producer buffer, whose
single task hands them to the producer one by one; when more than a hundred wait, Faust's
conductor stops feeding every stream until the buffer drains. The state tables write a journal
record per touched key per batch, so the customer table (hundreds of keys a batch) kept that
buffer full and the worker waiting on it.

``DirectTable`` is the mapping the keyed states write to instead: it changes the table's store
at once (so reads in the same batch see the write) and collects the changelog records, which
``send`` hands to the producer in one go, to the same changelog topic and partition, with the
same raw key and value (``None`` deletes) that Faust would have written, so Faust's recovery
reads them as its own. The sends are not awaited in the batch: ``settle`` awaits the previous
batch's before the next is stored, failing the worker if Kafka refused one, and Faust's commit
flushes the producer before it commits offsets, so no offset is committed ahead of its state.
``settle`` also records the highest changelog offset per partition in the store, which is what
Faust's own send callback does (a RocksDB store resumes recovery from it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from faust.types import TP

Send = Callable[[str, bytes, bytes | None, int], Awaitable[Awaitable[Any]]]
"""Hand one record (topic, key, value, partition) to the producer; the result resolves on ack."""


class DirectTable(MutableMapping[bytes, bytes]):
    """A table's store, with every write also queued for the table's changelog topic."""

    def __init__(
        self,
        store: MutableMapping[bytes, bytes],
        changelog_topic: str,
        set_persisted_offset: Callable[[TP, int], None] = lambda tp, offset: None,
    ) -> None:
        self._store = store
        self._topic = changelog_topic
        self._set_persisted_offset = set_persisted_offset
        self.partition = 0
        """The changelog partition of the writes that follow: the source record's partition."""
        self._queued: list[tuple[bytes, bytes | None, int]] = []
        self._in_flight: list[Awaitable[Any]] = []

    def __getitem__(self, key: bytes) -> bytes:
        return self._store[key]

    def __contains__(self, key: object) -> bool:
        return key in self._store

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._store)

    def __len__(self) -> int:
        return len(self._store)

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._store[key] = value
        self._queued.append((key, value, self.partition))

    def __delitem__(self, key: bytes) -> None:
        del self._store[key]
        self._queued.append((key, None, self.partition))

    @property
    def queued(self) -> int:
        return len(self._queued)

    async def send(self, send: Send) -> None:
        """Hand the queued changelog records to the producer, in the order they were written."""
        queued, self._queued = self._queued, []
        topic = self._topic
        for key, value, partition in queued:
            self._in_flight.append(await send(topic, key, value, partition))

    async def settle(self) -> None:
        """Wait for the records sent so far; raise if Kafka refused one."""
        in_flight, self._in_flight = self._in_flight, []
        if not in_flight:
            return
        highest: dict[int, int] = {}
        for metadata in await asyncio.gather(*in_flight):
            partition, offset = metadata.partition, metadata.offset
            if offset > highest.get(partition, -1):
                highest[partition] = offset
        for partition, offset in highest.items():
            self._set_persisted_offset(TP(self._topic, partition), offset)
