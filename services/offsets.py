"""Which offset a consumer may commit per partition, given what its writer has stored.

A consumer hands records to a batching writer and learns later, in order, which of them are
stored. The committable offset of a partition is the offset of its oldest record still
waiting for the writer, or, with none waiting, the offset after the last record consumed,
including records deliberately not handed over (tombstones, duplicate copies): those are
done as soon as everything before them is stored. Committing that offset never skips an
unstored record, and a partition of skipped records alone still moves forward.

Not thread-safe by itself: the projector calls ``taken``/``skipped``/``stored`` on its writer
thread and ``pending_commits`` from the event loop, under ``lock``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

Partition = tuple[str, int]


class CommitTracker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._waiting: dict[Partition, deque[int]] = {}
        self._consumed_upto: dict[Partition, int] = {}
        self._changed: dict[Partition, int] = {}

    def taken(self, partition: Partition, offset: int) -> None:
        """The record at ``offset`` was handed to the writer and waits to be stored."""
        with self.lock:
            self._waiting.setdefault(partition, deque()).append(offset)
            self._consumed_upto[partition] = offset + 1

    def skipped(self, partition: Partition, offset: int) -> None:
        """The record at ``offset`` needs no writing; it is done once the records before it are."""
        with self.lock:
            self._consumed_upto[partition] = offset + 1
            if not self._waiting.get(partition):
                self._changed[partition] = offset + 1

    def stored(self, positions: Iterable[tuple[str, int, int]]) -> None:
        """The writer stored these records (in order within each partition)."""
        with self.lock:
            touched: set[Partition] = set()
            for topic, number, offset in positions:
                partition = (topic, number)
                waiting = self._waiting.get(partition)
                if waiting is None:
                    continue  # a partition forgotten at revocation; its new owner re-reads
                while waiting and waiting[0] <= offset:
                    waiting.popleft()
                touched.add(partition)
            for partition in touched:
                waiting = self._waiting[partition]
                self._changed[partition] = waiting[0] if waiting else self._consumed_upto[partition]

    def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions this consumer no longer owns."""
        with self.lock:
            for partition in partitions:
                self._waiting.pop(partition, None)
                self._consumed_upto.pop(partition, None)
                self._changed.pop(partition, None)

    def pending_commits(self) -> dict[Partition, int]:
        """Committable offsets that moved since the last call."""
        with self.lock:
            changed, self._changed = self._changed, {}
        return changed

    def restore(self, offsets: dict[Partition, int]) -> None:
        """Put back offsets whose commit failed, unless a newer one has moved them on."""
        with self.lock:
            for partition, offset in offsets.items():
                self._changed.setdefault(partition, offset)
