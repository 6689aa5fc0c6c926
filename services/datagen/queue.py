"""Events scheduled for later, released in delivery order.

A min-heap keyed by (delivery time, sequence): ties keep scheduling order, so the stream is
deterministic. Only events not yet delivered are held, which is what bounds the generator's
memory: follow-ups are scheduled at most a few months ahead.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from services.datagen.records import ValidRecord


class EventQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[int, int, ValidRecord]] = []
        self._seq = 0

    def push(self, deliver_ms: int, record: ValidRecord) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (deliver_ms, self._seq, record))

    def pop_until(self, limit_ms: int) -> Iterator[ValidRecord]:
        """Every record due before ``limit_ms``, earliest first."""
        heap = self._heap
        while heap and heap[0][0] < limit_ms:
            yield heapq.heappop(heap)[2]

    def __len__(self) -> int:
        return len(self._heap)
