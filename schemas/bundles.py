"""Bundles: many accepted input events in one record of an internal keyed topic.

The intake forwards every accepted event to the partner-keyed and customer-keyed topics. One
Kafka record per event made the workers spend most of their time in per-record consumer and
producer machinery (Faust's and aiokafka's), not in the processors. So the intake groups a
batch's events by target partition and sends one bundle per partition: every event in it keeps
its own key (all of them hash to that partition), where the intake read it (the source position
the processors deduplicate by), its intake timestamp (where latency starts) and whether it is a
copy of an event also forwarded to another projected topic.

Wire format (big-endian): ``MAGIC``, an event count (u32), then per event: key length (u16),
key, source topic length (u16), source topic (UTF-8), source partition (i32), source offset
(i64), timestamp in ms (i64), flags (u8; bit 0: copy), value length (u32), value. ``MAGIC``
cannot start an input event's own bytes (Avro single-object encoding starts ``C3 01``, JSON
``{``), so a record holding one event, as written before bundles, still reads as one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import NamedTuple

MAGIC = b"CLB\x01"
MAX_BUNDLE_BYTES = 512 * 1024
"""Where a bundle is cut: far below Kafka's default 1 MB message limit, so no broker setting
has to change for the internal topics."""

_COUNT = struct.Struct(">I")
_HEAD = struct.Struct(">H")
_POSITION = struct.Struct(">iqqBI")  # partition, offset, timestamp ms, flags, value length
_COPY = 1


class BundleError(ValueError):
    """The bytes start like a bundle but are not a whole one."""


class BundledEvent(NamedTuple):
    key: bytes
    source_topic: str
    source_partition: int
    source_offset: int
    timestamp_ms: int
    copy: bool
    value: bytes


def _encoded(event: BundledEvent) -> bytes:
    topic = event.source_topic.encode()
    return b"".join(
        (
            _HEAD.pack(len(event.key)),
            event.key,
            _HEAD.pack(len(topic)),
            topic,
            _POSITION.pack(
                event.source_partition,
                event.source_offset,
                event.timestamp_ms,
                _COPY if event.copy else 0,
                len(event.value),
            ),
            event.value,
        )
    )


def encode_bundles(events: Iterable[BundledEvent], max_bytes: int = MAX_BUNDLE_BYTES) -> Iterator[bytes]:
    """The events as bundles of at most ``max_bytes`` each (an event larger than that alone), in order."""
    parts: list[bytes] = []
    size = len(MAGIC) + _COUNT.size
    for event in events:
        part = _encoded(event)
        if parts and size + len(part) > max_bytes:
            yield b"".join((MAGIC, _COUNT.pack(len(parts)), *parts))
            parts, size = [], len(MAGIC) + _COUNT.size
        parts.append(part)
        size += len(part)
    if parts:
        yield b"".join((MAGIC, _COUNT.pack(len(parts)), *parts))


def is_bundle(data: bytes) -> bool:
    return data[:4] == MAGIC


def decode_bundle(data: bytes) -> list[BundledEvent]:
    """The events of a bundle, in order; ``BundleError`` if ``data`` is not a whole bundle."""
    if not is_bundle(data):
        raise BundleError("not a bundle: the magic bytes are missing")
    try:
        (count,) = _COUNT.unpack_from(data, 4)
        at = 4 + _COUNT.size
        events: list[BundledEvent] = []
        for _ in range(count):
            (key_length,) = _HEAD.unpack_from(data, at)
            at += 2
            key = data[at : at + key_length]
            at += key_length
            (topic_length,) = _HEAD.unpack_from(data, at)
            at += 2
            topic = data[at : at + topic_length].decode()
            at += topic_length
            partition, offset, timestamp_ms, flags, value_length = _POSITION.unpack_from(data, at)
            at += _POSITION.size
            value = data[at : at + value_length]
            at += value_length
            if len(key) != key_length or len(value) != value_length:
                raise BundleError("truncated bundle")
            events.append(
                BundledEvent(key, topic, partition, offset, timestamp_ms, bool(flags & _COPY), value)
            )
    except (struct.error, UnicodeDecodeError) as error:
        raise BundleError(f"malformed bundle: {error}") from error
    if at != len(data):
        raise BundleError(f"malformed bundle: {len(data) - at} bytes after its last event")
    return events


def bundle_events(data: bytes) -> list[BundledEvent] | None:
    """The events of ``data`` if it is a whole bundle; None if it is anything else (a record of
    one event, as written before bundles, or damaged bytes that its reader dead-letters)."""
    if not is_bundle(data):
        return None
    try:
        return decode_bundle(data)
    except BundleError:
        return None
