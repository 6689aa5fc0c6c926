"""One agent batch, without Faust: fold keyed records into states, skipping what was applied.

The agents call ``fold_batch`` and then, in this order, send the outputs, wait until Kafka has
them, and store the new states. Outputs first: a crash after the outputs but before the states
replays the batch and re-sends the same outputs (their ids are derived, so consumers dedup);
a crash after the states skips the replayed events, whose outputs are already out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar, cast

from processors.pipeline import CoreOutput
from processors.streaming.keyed_states import KeyedStates, Slot, SourcePartition
from schemas.codec import DecodeError, decode
from schemas.events import InputEvent
from schemas.models import is_input_event

S = TypeVar("S")
Step = Callable[["S | None", InputEvent], tuple["S", list[CoreOutput]]]


@dataclass(frozen=True, slots=True)
class KeyedRecord:
    """A record of a keyed internal topic: already validated input-event bytes."""

    key: bytes
    value: bytes
    topic: str
    partition: int
    offset: int
    source: tuple[str, int, int] | None = None
    """Where intake read the event (topic, partition, offset); positions are kept per source
    partition. Without it the record's own position stands in."""
    timestamp_ms: int | None = None
    """The record's Kafka timestamp (intake time of the input): the start of its latency."""
    handle: object = field(default=None, compare=False, repr=False)
    """The adapter's own message object (Faust: its event), passed back through ``focus``."""


@dataclass(frozen=True, slots=True)
class Emitted:
    output: CoreOutput
    source: KeyedRecord


@dataclass(slots=True)
class BatchResult(Generic[S]):
    touched: dict[bytes, Slot[S]]
    emitted: list[Emitted]
    last_record: dict[bytes, KeyedRecord]
    """Each touched key's last record: focus on it before storing the key's state."""
    applied: dict[bytes, list[bytes]] = field(default_factory=dict)
    """Each touched key's input events applied in this batch, in order: its journal record."""
    skipped: int = 0
    undecodable: list[KeyedRecord] | None = None


def decode_input(value: bytes) -> InputEvent | None:
    """The input event in a keyed record's bytes, or None if they hold none."""
    try:
        event = decode(value)
    except DecodeError:
        return None
    return cast(InputEvent, event) if is_input_event(event) else None


def replayer(step: Step[S]) -> Callable[[S | None, bytes], S | None]:
    """The state part of ``step`` over raw event bytes: how a journal is replayed."""

    def replay(state: S | None, value: bytes) -> S | None:
        event = decode_input(value)
        return state if event is None else step(state, event)[0]

    return replay


def fold_batch(
    records: Sequence[KeyedRecord],
    states: KeyedStates[S],
    step: Step[S],
    focus: Callable[[KeyedRecord], None] = lambda record: None,
) -> BatchResult[S]:
    """Apply each record not yet applied to its key's state, in order.

    ``focus(record)`` runs before a key's state is read: stores that shard by source partition
    (Faust's RocksDB store) find the key's partition from the record in focus.
    """
    result: BatchResult[S] = BatchResult(touched={}, emitted=[], last_record={})
    # Per touched key during the batch: its state and a private copy of its positions, updated
    # in place; the Slots are built once per key at the end rather than once per record.
    states_now: dict[bytes, S | None] = {}
    positions_now: dict[bytes, dict[SourcePartition, int]] = {}
    advanced: set[bytes] = set()
    last_record = result.last_record
    applied = result.applied
    emitted = result.emitted
    for record in records:
        key = record.key
        positions = positions_now.get(key)
        if positions is None:
            focus(record)
            slot = states.load(key)
            states_now[key] = slot.state
            positions = positions_now[key] = dict(slot.positions)
        last_record[key] = record
        topic, partition, offset = record.source or (record.topic, record.partition, record.offset)
        source = (topic, partition)
        if offset <= positions.get(source, -1):
            result.skipped += 1
            continue
        positions[source] = offset
        advanced.add(key)
        event = decode_input(record.value)
        if event is None:
            # Intake validated these bytes; only a foreign writer can put others here.
            result.undecodable = [*(result.undecodable or []), record]
            continue
        state, outputs = step(states_now[key], event)
        states_now[key] = state
        applied.setdefault(key, []).append(record.value)
        emitted.extend(Emitted(output, record) for output in outputs)
    result.touched = {
        key: Slot(MappingProxyType(positions), states_now[key])
        for key, positions in positions_now.items()
        if key in advanced  # a key whose records were all applied before is not stored again
    }
    return result
