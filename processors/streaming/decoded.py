"""Input events the intake has just decoded, kept by their bytes for the agents of its worker.

The intake decodes and validates every input record and forwards its bytes to the partner and
customer topics; the agents consuming those read the same bytes back and, without this, decode
them again (a partner sale twice more). In a worker whose agents own the partitions the intake
forwards to (all of them, with one worker), those decodes find the event here. Keys are the
bytes themselves, so a hit is exactly what decoding them gives (decoding is deterministic and
events are immutable); a miss, in another worker or after eviction, decodes as before.

An event is dropped once the agents it was forwarded to have taken it, so what is kept is the
intake's lead over the agents, at most ``capacity`` events (the oldest quarter goes when full).
"""

from __future__ import annotations

from itertools import islice

from processors.streaming.batch import decode_input
from schemas.events import InputEvent


class DecodedMemo:
    __slots__ = ("_capacity", "_events", "hits", "misses")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._events: dict[bytes, tuple[InputEvent, int]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._events)

    def put(self, data: bytes, event: InputEvent, uses: int) -> None:
        """Remember that ``data`` decodes to ``event``, for ``uses`` agents to take."""
        if uses < 1:
            return
        events = self._events
        events[data] = (event, uses)
        if len(events) > self._capacity:
            for old in list(islice(events, max(1, self._capacity // 4))):
                del events[old]

    def decode(self, data: bytes) -> InputEvent | None:
        """``decode_input(data)``, from memory when the intake decoded these bytes lately."""
        events = self._events
        kept = events.get(data)
        if kept is None:
            self.misses += 1
            return decode_input(data)
        self.hits += 1
        event, uses = kept
        if uses > 1:
            events[data] = (event, uses - 1)
        else:
            del events[data]
        return event
