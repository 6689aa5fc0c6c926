"""Per-key processor state in a changelog-backed table, with the position each key has applied.

A table value is an 8-byte big-endian offset followed by the state's own bytes. The offset is
the position in the key's (single) source partition of the last event folded into the state:
a redelivered event at or below it is skipped, which is what makes at-least-once delivery
apply every event exactly once to state. Decoded states are cached between batches; the cache
is trusted only while the table still holds the offset the cache was stored at, so a state
recovered from the changelog after a rebalance is never shadowed by a stale copy.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Generic, TypeVar

S = TypeVar("S")

_OFFSET = struct.Struct(">q")
NOTHING_APPLIED = -1


@dataclass(frozen=True, slots=True)
class Slot(Generic[S]):
    """A key's state and the source offset it reflects (``NOTHING_APPLIED`` for a new key)."""

    applied_offset: int
    state: S | None


def pack(offset: int, state_bytes: bytes) -> bytes:
    return _OFFSET.pack(offset) + state_bytes


def unpack_offset(value: bytes) -> int:
    (offset,) = _OFFSET.unpack_from(value)
    return int(offset)


class KeyedStates(Generic[S]):
    """A cache of decoded states over a mapping of key -> packed (offset, state bytes)."""

    def __init__(
        self,
        table: MutableMapping[bytes, bytes],
        decode: Callable[[bytes], S],
        encode: Callable[[S], bytes],
        *,
        max_cached: int = 100_000,
    ) -> None:
        self._table = table
        self._decode = decode
        self._encode = encode
        self._cache: dict[bytes, Slot[S]] = {}
        self._max_cached = max_cached

    def load(self, key: bytes) -> Slot[S]:
        value = self._table.get(key)
        if value is None:
            return Slot(NOTHING_APPLIED, None)
        offset = unpack_offset(value)
        cached = self._cache.get(key)
        if cached is not None and cached.applied_offset == offset:
            return cached
        slot = Slot(offset, self._decode(value[_OFFSET.size :]))
        self._remember(key, slot)
        return slot

    def store(self, key: bytes, slot: Slot[S]) -> None:
        if slot.state is None:
            raise ValueError("a stored slot needs a state")
        self._table[key] = pack(slot.applied_offset, self._encode(slot.state))
        self._remember(key, slot)

    def forget(self) -> None:
        """Drop the cache (after a rebalance the table is the only truth)."""
        self._cache.clear()

    def _remember(self, key: bytes, slot: Slot[S]) -> None:
        if len(self._cache) >= self._max_cached and key not in self._cache:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = slot
