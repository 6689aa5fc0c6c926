"""Per-key processor state in a changelog-backed table: a snapshot plus a journal of events.

Writing a key's whole state once per batch made the changelog the workers' bottleneck: a large
distributor keeps months of sales for returns (megabytes), and every batch touches it. So a key
is stored as

- ``s:<key>``: a snapshot — the journal sequence number it covers, the source positions
  applied, and the state's bytes;
- ``j:<seq>:<key>``: one journal record per batch since that snapshot — the source positions
  after the batch and the raw input events the batch applied to the key.

A batch writes one small journal record per touched key. A new snapshot is written once the
journal since the last one outweighs it (or holds too many events or records); the journal
records it covers are then deleted. Loading a key whose state is not cached reads its
snapshot and replays its journal through the same pure step, which is deterministic, so the
state is exactly the one that was stored. Every record of a key goes to its source partition's
changelog partition, in order: a crash leaves at most a journal without its successor or
a snapshot whose covered journal records were not deleted yet, and both read correctly.

Source positions: for each source partition that fed a key, the offset of the last record
folded into the state. A key's events from one source partition arrive in that partition's
order (the intake forwards them in order, with their source position in a header), so a record
at or below the key's position for its source partition was applied already: a redelivery
after a crash, a rebalance or a re-forward by a restarted intake is skipped, and every event
changes state exactly once under at-least-once delivery. Decoded states are cached between
batches; the cache is trusted only while the table still ends the key's journal where the
cache does, so a state recovered from the changelog after a rebalance is never shadowed.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

S = TypeVar("S")

SourcePartition = tuple[str, int]
"""A source topic and partition: where the records of one ordered sequence come from."""

_COUNT = struct.Struct(">H")
_ENTRY = struct.Struct(">Hiq")  # topic name length, partition, offset; the name follows
_SEQ = struct.Struct(">Q")
_LENGTH = struct.Struct(">I")
_EMPTY: Mapping[SourcePartition, int] = MappingProxyType({})

SNAPSHOT_PREFIX = b"s:"
JOURNAL_PREFIX = b"j:"


@dataclass(frozen=True, slots=True)
class Slot(Generic[S]):
    """A key's state and, per source partition, the last offset folded into it."""

    positions: Mapping[SourcePartition, int] = field(default_factory=lambda: _EMPTY)
    state: S | None = None


@dataclass(frozen=True, slots=True)
class SnapshotPolicy:
    """When a key's journal is folded into a new snapshot.

    A snapshot is due once the journal since the last one is ``size_factor`` times as large as
    that snapshot, or holds ``max_events`` events (bounding the replay a recovery does) or
    ``max_records`` batches (bounding the table entries a key keeps). The factor is 4 because
    the workers' snapshots are compressed about five-fold while writing one costs in proportion
    to the state it holds: at 1, a large distributor was pickled every few thousand events, a
    tenth of the worker's time. The bytes written stay within 1.25 times the journal's.
    """

    max_events: int = 20_000
    max_records: int = 256
    size_factor: int = 4

    def __post_init__(self) -> None:
        if self.max_events < 1 or self.max_records < 1 or self.size_factor < 1:
            raise ValueError("snapshot policy bounds must be positive")


@dataclass(frozen=True, slots=True)
class _Journal:
    """Where a key's stored records end, and how much journal lies beyond its snapshot."""

    snapshot_seq: int
    last_seq: int
    snapshot_bytes: int
    journal_bytes: int
    journal_events: int


def pack_positions(positions: Mapping[SourcePartition, int]) -> bytes:
    parts = [_COUNT.pack(len(positions))]
    for (topic, partition), offset in sorted(positions.items()):
        name = topic.encode()
        parts.append(_ENTRY.pack(len(name), partition, offset) + name)
    return b"".join(parts)


def unpack_positions(value: bytes, at: int = 0) -> tuple[dict[SourcePartition, int], int]:
    """The positions packed at ``at`` and where they end."""
    (count,) = _COUNT.unpack_from(value, at)
    at += _COUNT.size
    positions: dict[SourcePartition, int] = {}
    for _ in range(count):
        length, partition, offset = _ENTRY.unpack_from(value, at)
        at += _ENTRY.size
        positions[(value[at : at + length].decode(), partition)] = offset
        at += length
    return positions, at


def pack_snapshot(seq: int, positions: Mapping[SourcePartition, int], state_bytes: bytes) -> bytes:
    return _SEQ.pack(seq) + pack_positions(positions) + state_bytes


def unpack_snapshot(value: bytes) -> tuple[int, dict[SourcePartition, int], int]:
    """The journal sequence covered, the positions, and where the state bytes start."""
    (seq,) = _SEQ.unpack_from(value)
    positions, at = unpack_positions(value, _SEQ.size)
    return seq, positions, at


def pack_journal(positions: Mapping[SourcePartition, int], events: Sequence[bytes]) -> bytes:
    parts = [pack_positions(positions)]
    for event in events:
        parts.append(_LENGTH.pack(len(event)))
        parts.append(event)
    return b"".join(parts)


def unpack_journal(value: bytes) -> tuple[dict[SourcePartition, int], list[bytes]]:
    positions, at = unpack_positions(value)
    events: list[bytes] = []
    while at < len(value):
        (length,) = _LENGTH.unpack_from(value, at)
        at += _LENGTH.size
        events.append(value[at : at + length])
        at += length
    return positions, events


def snapshot_key(key: bytes) -> bytes:
    return SNAPSHOT_PREFIX + key


def journal_key(key: bytes, seq: int) -> bytes:
    return JOURNAL_PREFIX + _SEQ.pack(seq) + b":" + key


class KeyedStates(Generic[S]):
    """Keyed states stored as snapshot + journal in a table, with a cache of decoded states.

    ``replay(state, event_bytes)`` must be the state part of the step the agent applies, so a
    state rebuilt from the journal equals the one that was stored.
    """

    def __init__(
        self,
        table: MutableMapping[bytes, bytes],
        decode: Callable[[bytes], S],
        encode: Callable[[S], bytes],
        replay: Callable[[S | None, bytes], S | None],
        *,
        policy: SnapshotPolicy | None = None,
        max_cached: int = 100_000,
    ) -> None:
        self._table = table
        self._decode = decode
        self._encode = encode
        self._replay = replay
        self._policy = policy or SnapshotPolicy()
        self._cache: dict[bytes, tuple[Slot[S], _Journal]] = {}
        self._max_cached = max_cached
        self.snapshots_written = 0
        self.journal_records_written = 0

    def load(self, key: bytes) -> Slot[S]:
        cached = self._cache.get(key)
        if cached is not None and self._still_current(key, cached[1]):
            return cached[0]
        slot, journal = self._read(key)
        if slot.state is not None:
            self._remember(key, slot, journal)
        return slot

    def store(self, key: bytes, slot: Slot[S], applied: Sequence[bytes]) -> None:
        """Record that ``applied`` (raw events, in order) took the key's stored state to ``slot``."""
        if slot.state is None:
            raise ValueError("a stored slot needs a state")
        cached = self._cache.get(key)
        journal = cached[1] if cached is not None else self._read(key)[1]
        seq = journal.last_seq + 1
        record = pack_journal(slot.positions, applied)
        policy = self._policy
        due = (
            journal.journal_bytes + len(record) >= policy.size_factor * journal.snapshot_bytes
            or journal.journal_events + len(applied) >= policy.max_events
            or seq - journal.snapshot_seq >= policy.max_records
        )
        if due:
            snapshot = pack_snapshot(seq, slot.positions, self._encode(slot.state))
            self._table[snapshot_key(key)] = snapshot
            self.snapshots_written += 1
            for covered in range(journal.snapshot_seq + 1, seq):
                self._delete(journal_key(key, covered))
            journal = _Journal(seq, seq, len(snapshot), 0, 0)
        else:
            self._table[journal_key(key, seq)] = record
            self.journal_records_written += 1
            journal = _Journal(
                journal.snapshot_seq,
                seq,
                journal.snapshot_bytes,
                journal.journal_bytes + len(record),
                journal.journal_events + len(applied),
            )
        self._remember(key, slot, journal)

    def forget(self) -> None:
        """Drop the cache (after a rebalance the table is the only truth)."""
        self._cache.clear()

    def _still_current(self, key: bytes, journal: _Journal) -> bool:
        """The table ends the key's records where the cache does (else it was recovered anew)."""
        table = self._table
        if journal_key(key, journal.last_seq + 1) in table:
            return False
        if journal.last_seq == journal.snapshot_seq:
            snapshot = table.get(snapshot_key(key))
            return snapshot is not None and _SEQ.unpack_from(snapshot)[0] == journal.snapshot_seq
        return journal_key(key, journal.last_seq) in table

    def _read(self, key: bytes) -> tuple[Slot[S], _Journal]:
        """Decode the snapshot and replay the journal after it."""
        table = self._table
        snapshot = table.get(snapshot_key(key))
        state: S | None = None
        positions: Mapping[SourcePartition, int] = {}
        seq = 0
        if snapshot is not None:
            seq, positions, start = unpack_snapshot(snapshot)
            state = self._decode(snapshot[start:])
            self._drop_stale_journal(key, seq)
        snapshot_seq, journal_bytes, journal_events = seq, 0, 0
        while (record := table.get(journal_key(key, seq + 1))) is not None:
            seq += 1
            positions, events = unpack_journal(record)
            for event in events:
                state = self._replay(state, event)
            journal_bytes += len(record)
            journal_events += len(events)
        journal = _Journal(snapshot_seq, seq, len(snapshot or b""), journal_bytes, journal_events)
        return Slot(MappingProxyType(dict(positions)), state), journal

    def _drop_stale_journal(self, key: bytes, snapshot_seq: int) -> None:
        """Delete journal records a snapshot covers that a crash left behind."""
        seq = snapshot_seq - 1  # a snapshot takes the place of its own sequence's journal record
        while seq > 0 and journal_key(key, seq) in self._table:
            self._delete(journal_key(key, seq))
            seq -= 1

    def _delete(self, table_key: bytes) -> None:
        if table_key in self._table:
            del self._table[table_key]

    def _remember(self, key: bytes, slot: Slot[S], journal: _Journal) -> None:
        if len(self._cache) >= self._max_cached and key not in self._cache:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (slot, journal)
