"""Per-key processor state in a changelog-backed table, with the source positions it has applied.

A table value is a small header — for each source partition that fed this key, the offset of
the last record folded into the state — followed by the state's own bytes. A key's events from
one source partition arrive in that partition's order (the intake forwards them in order, with
their source position in a header), so a record at or below the key's position for its source
partition was applied already: a redelivery after a crash, a rebalance or a re-forward by a
restarted intake is skipped, and every event changes state exactly once under at-least-once
delivery. Decoded states are cached between batches; the cache is trusted only while the table
still holds the positions the cache was stored with, so a state recovered from the changelog
after a rebalance is never shadowed by a stale copy.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

S = TypeVar("S")

SourcePartition = tuple[str, int]
"""A source topic and partition: where the records of one ordered sequence come from."""

_COUNT = struct.Struct(">H")
_ENTRY = struct.Struct(">Hiq")  # topic name length, partition, offset; the name follows
_EMPTY: Mapping[SourcePartition, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Slot(Generic[S]):
    """A key's state and, per source partition, the last offset folded into it."""

    positions: Mapping[SourcePartition, int] = field(default_factory=lambda: _EMPTY)
    state: S | None = None

    def applied(self, source: SourcePartition, offset: int) -> bool:
        return offset <= self.positions.get(source, -1)

    def advanced(self, source: SourcePartition, offset: int, state: S | None) -> Slot[S]:
        positions = dict(self.positions)
        positions[source] = offset
        return Slot(MappingProxyType(positions), state)


def pack(positions: Mapping[SourcePartition, int], state_bytes: bytes) -> bytes:
    parts = [_COUNT.pack(len(positions))]
    for (topic, partition), offset in sorted(positions.items()):
        name = topic.encode()
        parts.append(_ENTRY.pack(len(name), partition, offset) + name)
    parts.append(state_bytes)
    return b"".join(parts)


def unpack(value: bytes) -> tuple[dict[SourcePartition, int], int]:
    """The positions and where the state bytes start."""
    (count,) = _COUNT.unpack_from(value)
    at = _COUNT.size
    positions: dict[SourcePartition, int] = {}
    for _ in range(count):
        length, partition, offset = _ENTRY.unpack_from(value, at)
        at += _ENTRY.size
        positions[(value[at : at + length].decode(), partition)] = offset
        at += length
    return positions, at


class KeyedStates(Generic[S]):
    """A cache of decoded states over a mapping of key -> packed (positions, state bytes)."""

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
            return Slot()
        positions, start = unpack(value)
        cached = self._cache.get(key)
        if cached is not None and cached.positions == positions:
            return cached
        slot = Slot(MappingProxyType(positions), self._decode(value[start:]))
        self._remember(key, slot)
        return slot

    def store(self, key: bytes, slot: Slot[S]) -> None:
        if slot.state is None:
            raise ValueError("a stored slot needs a state")
        self._table[key] = pack(slot.positions, self._encode(slot.state))
        self._remember(key, slot)

    def forget(self) -> None:
        """Drop the cache (after a rebalance the table is the only truth)."""
        self._cache.clear()

    def _remember(self, key: bytes, slot: Slot[S]) -> None:
        if len(self._cache) >= self._max_cached and key not in self._cache:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = slot
