"""A persistent string-keyed map: an update copies one shard, not the whole map.

Partner state keeps two large maps (event ids seen, sales open for returns). Copying a
whole dict of thousands of entries on every event would dominate the processor's cost; with
32 shards an update copies about 1/32 of it plus a 32-slot tuple, and the old map stays valid.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

V = TypeVar("V")
_SHARDS = 32


def _shard(key: str) -> int:
    return zlib.crc32(key.encode()) & (_SHARDS - 1)


class ShardedMap(Mapping[str, V]):
    __slots__ = ("_len", "_shards")

    def __init__(self, shards: tuple[dict[str, V], ...] | None = None, length: int | None = None) -> None:
        self._shards: tuple[dict[str, V], ...] = shards or tuple({} for _ in range(_SHARDS))
        self._len = sum(len(s) for s in self._shards) if length is None else length

    @classmethod
    def from_dict(cls, items: Mapping[str, V]) -> ShardedMap[V]:
        shards: tuple[dict[str, V], ...] = tuple({} for _ in range(_SHARDS))
        for key in sorted(items):
            shards[_shard(key)][key] = items[key]
        return cls(shards)

    def __getitem__(self, key: str) -> V:
        return self._shards[_shard(key)][key]

    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        return self._shards[_shard(key)].get(key, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._shards[_shard(key)]

    def __iter__(self) -> Iterator[str]:
        for shard in self._shards:
            yield from shard

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and all(k in other and other[k] == v for k, v in self.items())

    __hash__ = None  # type: ignore[assignment]

    def set(self, key: str, value: V) -> ShardedMap[V]:
        """A new map with ``key`` bound to ``value``; this one is unchanged."""
        i = _shard(key)
        shard = dict(self._shards[i])
        length = self._len if key in shard else self._len + 1
        shard[key] = value
        return ShardedMap((*self._shards[:i], shard, *self._shards[i + 1 :]), length)

    def without_where(self, drop: Callable[[V], bool]) -> ShardedMap[V]:
        """A new map without the entries whose value ``drop`` selects (shares untouched shards)."""
        shards = tuple(
            {k: v for k, v in shard.items() if not drop(v)} if any(drop(v) for v in shard.values()) else shard
            for shard in self._shards
        )
        return ShardedMap(shards)

    def without_keys(self, keys: Iterable[str]) -> ShardedMap[V]:
        """A new map without ``keys`` (absent keys are ignored); each touched shard is copied once."""
        by_shard: dict[int, list[str]] = {}
        for key in keys:
            by_shard.setdefault(_shard(key), []).append(key)
        if not by_shard:
            return self
        shards = list(self._shards)
        length = self._len
        for i, doomed in by_shard.items():
            shard = dict(shards[i])
            for key in doomed:
                if shard.pop(key, None) is not None:
                    length -= 1
            shards[i] = shard
        return ShardedMap(tuple(shards), length)

    def __repr__(self) -> str:
        return f"ShardedMap({dict(self.items())!r})"
