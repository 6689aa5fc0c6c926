"""A persistent map: an update returns a new map, the old one still reads the same, at O(1) cost.

Partner state is a value (``apply`` returns a new state and the one it was given stays valid),
yet its large maps (event ids seen, open sales, claims...) must not be copied on every event,
or the processor's cost grows with its state. ``PersistentMap`` uses Baker's trick: all
versions of a map share one dict, owned by the newest version; every older version records
only how it differs from the next one (the keys changed and their previous values). Reading
an older version first moves the dict back to it ("rerooting": the differences are undone and
recorded the other way round), so every version reads exactly as it did when it was made.

The processor always reads and updates the newest version: one dict access per read, one
dict write and one small record per update. Iteration order of a version that was rerooted
may differ from its original order, so code must not let output order depend on it.

Not thread-safe: versions of one map must not be used from several threads at once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Final, Generic, Self, TypeVar, cast

from mypy_extensions import mypyc_attr

K = TypeVar("K")
V = TypeVar("V")


class _Absent:
    """Marks a key a version does not hold."""

    __slots__ = ()


_ABSENT: Final = _Absent()


@mypyc_attr(allow_interpreted_subclasses=True)
class PersistentMap(Mapping[K, V], Generic[K, V]):
    """An immutable mapping whose updates share storage with it (see the module docstring)."""

    __slots__ = ("_batch", "_data", "_key", "_next", "_old")

    _data: dict[K, V] | None
    """The shared dict while this is the newest-read version, else None."""
    _next: PersistentMap[K, V] | None
    """The version this one differs from (None while this version holds the dict)."""
    _key: K | None
    _old: V | _Absent | None
    """A single difference: this version binds ``_key`` to ``_old`` (or lacks it)."""
    _batch: list[tuple[K, V | _Absent]] | None
    """Several differences instead, applied last to first."""

    def __init__(
        self, items: Mapping[K, V] | Iterable[tuple[K, V]] = (), shared: dict[K, V] | None = None
    ) -> None:
        """``shared`` is for the map's own updates: the dict a new version takes over from the
        one it succeeds (``items`` is then ignored)."""
        self._data = dict(items) if shared is None else shared
        self._next = self._key = self._old = self._batch = None

    @classmethod
    def from_dict(cls, items: Mapping[K, V]) -> PersistentMap[K, V]:
        """Decoding hook for ``processors.ledger.canonical``."""
        return cls(items)

    def __reduce__(self) -> tuple[Callable[[Mapping[K, V]], PersistentMap[K, V]], tuple[dict[K, V]]]:
        """Pickle the contents only: not the chain of versions this one shares storage with (which
        could be long), and a copy, since another version pickled alongside shares the dict."""
        return (type(self).from_dict, (dict(self._dict()),))

    # --- reading -------------------------------------------------------------------

    def _reroot(self) -> dict[K, V]:
        """Make this version own the shared dict and return it."""
        path: list[PersistentMap[K, V]] = []
        node: PersistentMap[K, V] = self
        while node._data is None:
            path.append(node)
            assert node._next is not None
            node = node._next
        data = node._data
        newer = node
        for older in reversed(path):
            batch = older._batch
            changes = batch if batch is not None else [(cast(K, older._key), cast("V | _Absent", older._old))]
            redo: list[tuple[K, V | _Absent]] = []
            for key, value in reversed(changes):
                redo.append((key, data.get(key, _ABSENT)))
                if isinstance(value, _Absent):
                    del data[key]
                else:
                    data[key] = value
            newer._data, newer._next = None, older
            if len(redo) == 1:
                newer._key, newer._old, newer._batch = redo[0][0], redo[0][1], None
            else:
                newer._key, newer._old, newer._batch = None, None, redo
            older._data, older._next, older._key, older._old, older._batch = data, None, None, None, None
            newer = older
        return data

    def _dict(self) -> dict[K, V]:
        data = self._data
        return data if data is not None else self._reroot()

    def __getitem__(self, key: K) -> V:
        data = self._data
        return (data if data is not None else self._reroot())[key]

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        data = self._data
        return (data if data is not None else self._reroot()).get(key, default)

    def __contains__(self, key: object) -> bool:
        data = self._data
        return key in (data if data is not None else self._reroot())

    def __len__(self) -> int:
        return len(self._dict())

    def __iter__(self) -> Iterator[K]:
        # A snapshot: the shared dict may change under a live iterator once another version is read.
        return iter(list(self._dict()))

    def keys(self) -> KeysView[K]:
        return dict.fromkeys(self._dict()).keys()

    def items(self) -> ItemsView[K, V]:
        return dict(self._dict()).items()

    def values(self) -> ValuesView[V]:
        return dict(self._dict()).values()

    def live_values(self) -> ValuesView[V]:
        """This version's values without a copy, for a loop that updates no version of this map
        and reads no other version while it runs (either would change the shared dict)."""
        return self._dict().values()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        mine = dict(self._dict())
        theirs = dict(other.items())  # read after copying: ``other`` may be a version of this map
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._dict()!r})"

    # --- updating ------------------------------------------------------------------

    def _successor(self, data: dict[K, V]) -> Self:
        """Hand the dict over to a new version; the caller records how this one differs."""
        # A constructor call, not ``object.__new__`` and field stores: it costs the same when
        # interpreted, and a compiled (mypyc) class refuses ``object.__new__``.
        new = type(self)((), data)
        self._data, self._next = None, new
        return new

    def set(self, key: K, value: V) -> Self:
        """A map with ``key`` bound to ``value``; this one is unchanged."""
        data = self._data
        if data is None:
            data = self._reroot()
        old = data.get(key, _ABSENT)
        data[key] = value
        new = type(self)((), data)  # ``_successor`` inlined: the processor makes several updates per event
        self._data, self._next, self._key, self._old = None, new, key, old
        return new

    def set_many(self, items: Iterable[tuple[K, V]]) -> Self:
        """A map with each ``(key, value)`` bound, in order, as one new version."""
        data = self._dict()
        batch: list[tuple[K, V | _Absent]] = []
        for key, value in items:
            batch.append((key, data.get(key, _ABSENT)))
            data[key] = value
        if not batch:
            return self
        new = type(self)((), data)  # ``_successor`` inlined, as in ``set``
        self._data, self._next, self._batch = None, new, batch
        return new

    def without_keys(self, keys: Iterable[K]) -> Self:
        """A map without ``keys`` (absent keys are ignored)."""
        data = self._dict()
        batch: list[tuple[K, V | _Absent]] = []
        for key in keys:
            old = data.pop(key, _ABSENT)
            if not isinstance(old, _Absent):
                batch.append((key, old))
        if not batch:
            return self
        new = self._successor(data)
        self._batch = batch
        return new

    def without(self, key: K) -> Self:
        return self.without_keys((key,))

    def without_where(self, drop: Callable[[V], bool]) -> Self:
        """A map without the entries whose value ``drop`` selects."""
        return self.without_keys([k for k, v in self._dict().items() if drop(v)])


@mypyc_attr(allow_interpreted_subclasses=True)
class BulkMap(Mapping[str, V], Generic[V]):
    """A large persistent map that the cyclic garbage collector can leave alone.

    CPython's collector skips a dict once every value in it is untracked (a plain tuple of
    strings, numbers, decimals and datetimes is untracked by a collection that sees it, one
    level of nesting per collection), but inserting a value the collector has not untracked yet
    makes the whole dict tracked again, and every later collection walks all its entries.
    Inserting a fresh record per event into a map of thousands kept the partner states' dicts
    tracked, so each full collection cost more as states grew. Here writes go to a small
    ``recent`` map; when it is full it becomes ``aging`` and the previous ``aging`` batch moves
    into the large ``settled`` map, so a record reaches the large map at least ``RECENT`` writes
    after it was made, long after the collector untracked it. Each key lives in one part only.
    """

    __slots__ = ("_aging", "_recent", "_settled")

    RECENT = 64

    def __init__(
        self,
        items: Mapping[str, V] | Iterable[tuple[str, V]] = (),
        parts: tuple[PersistentMap[str, V], PersistentMap[str, V], PersistentMap[str, V]] | None = None,
    ) -> None:
        """``parts`` is for the map's own updates: the new version's (settled, aging, recent)
        maps (``items`` is then ignored)."""
        if parts is None:
            parts = (PersistentMap(items), PersistentMap(), PersistentMap())
        self._settled, self._aging, self._recent = parts

    def __reduce__(self) -> tuple[type[Self], tuple[dict[str, V]]]:
        """Pickle the contents only, as ``PersistentMap`` does (they unpickle into the large map):
        one form whether this class is compiled or interpreted, read by earlier releases too."""
        merged = dict(self._settled._dict())
        merged.update(self._aging._dict())
        merged.update(self._recent._dict())
        return (type(self), (merged,))

    def __setstate__(self, state: tuple[None, Mapping[str, PersistentMap[str, V]]]) -> None:
        """Read a pickle made before ``__reduce__`` existed: the default form, the parts by slot name."""
        _, slots = state
        self._settled, self._aging, self._recent = slots["_settled"], slots["_aging"], slots["_recent"]

    def _with(
        self, settled: PersistentMap[str, V], aging: PersistentMap[str, V], recent: PersistentMap[str, V]
    ) -> Self:
        return type(self)((), (settled, aging, recent))

    def __getitem__(self, key: str) -> V:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    # ``get`` and ``__contains__`` read the parts' dicts directly: they run for every event.
    def get(self, key: str, default: V | None = None) -> V | None:  # type: ignore[override]
        for part in (self._recent, self._aging, self._settled):
            data = part._data
            found = (data if data is not None else part._reroot()).get(key)
            if found is not None:
                return found
        return default

    def __contains__(self, key: object) -> bool:
        for part in (self._recent, self._aging, self._settled):
            data = part._data
            if key in (data if data is not None else part._reroot()):
                return True
        return False

    def __len__(self) -> int:
        return len(self._settled) + len(self._aging) + len(self._recent)

    def __iter__(self) -> Iterator[str]:
        yield from self._settled
        yield from self._aging
        yield from self._recent

    def _merged(self) -> dict[str, V]:
        merged = dict(self._settled.items())
        merged.update(self._aging.items())
        merged.update(self._recent.items())
        return merged

    def items(self) -> ItemsView[str, V]:
        return self._merged().items()

    def values(self) -> ValuesView[V]:
        return self._merged().values()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return self._merged() == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._merged()!r})"

    def set(self, key: str, value: V) -> Self:
        """A map with ``key`` bound to ``value``; this one is unchanged."""
        settled, aging, recent = self._settled, self._aging, self._recent
        if key in settled._dict():
            settled = settled.without_keys((key,))
        elif key in aging._dict():
            aging = aging.without_keys((key,))
        held = recent._dict()
        if len(held) >= self.RECENT and key not in held:
            settled, aging, recent = self._settle(settled, aging, recent)
        return type(self)((), (settled, aging, recent.set(key, value)))

    def insert(self, key: str, value: V) -> Self:
        """``set`` for a ``key`` this map is known not to hold (the caller just looked it up):
        it skips looking for an older binding to remove. Every event inserts its id this way."""
        settled, aging, recent = self._settled, self._aging, self._recent
        if len(recent._dict()) >= self.RECENT:
            settled, aging, recent = self._settle(settled, aging, recent)
        return type(self)((), (settled, aging, recent.set(key, value)))

    def _settle(
        self, settled: PersistentMap[str, V], aging: PersistentMap[str, V], recent: PersistentMap[str, V]
    ) -> tuple[PersistentMap[str, V], PersistentMap[str, V], PersistentMap[str, V]]:
        """Move the aging batch into the large map and start a new batch. A record the collector
        still tracks (a nested tuple can need a full collection) waits one more batch, unless
        the collector is not untracking anything (then everything moves: the map stays bounded)."""
        ready = [(k, v) for k, v in aging.items() if not gc.is_tracked(v)]
        if len(ready) < len(aging) // 2:
            ready = list(aging.items())
        waiting = aging.without_keys([k for k, _ in ready]) if len(ready) < len(aging) else PersistentMap()
        return settled.set_many(ready), recent.set_many(waiting.items()), PersistentMap()

    def without_keys(self, keys: Iterable[str]) -> Self:
        """A map without ``keys`` (absent keys are ignored)."""
        keys = list(keys)
        settled = self._settled.without_keys(keys)
        aging = self._aging.without_keys(keys)
        recent = self._recent.without_keys(keys)
        if settled is self._settled and aging is self._aging and recent is self._recent:
            return self
        return self._with(settled, aging, recent)
