"""Generated records as the bytes a source system would send: a JSON line or an Avro record.

Valid events go through the project's own JSON form and codec (single-object encoding).
Invalid records carry their defect into both formats so they are refused for the same reason:
the model-level defects encode as they are; an unknown event type is written under the name
``UNKNOWN_EVENT_TYPE_NAME`` (in Avro, a body whose ``event_type`` field says so); garbage is a
JSON line cut off mid-write, or in Avro random bytes without the single-object marker.
"""

from __future__ import annotations

import json

from schemas.codec import encode
from schemas.jsonform import TYPE_KEY, to_json
from services.datagen.records import GeneratedRecord, InvalidKind, InvalidRecord, ValidRecord

UNKNOWN_EVENT_TYPE_NAME = "SaleForecasted"
_AVRO_HEADER_SIZE = 10
"""``C3 01`` and the 8-byte schema fingerprint."""


def json_line(record: GeneratedRecord) -> bytes:
    """One line of JSONL, without the newline."""
    if isinstance(record, ValidRecord):
        return _dumps(to_json(record.event))
    obj = to_json(record.model)
    if record.kind is InvalidKind.UNKNOWN_EVENT_TYPE:
        obj[TYPE_KEY] = UNKNOWN_EVENT_TYPE_NAME
    text = _dumps(obj)
    if record.kind is InvalidKind.GARBAGE:
        return text[: len(text) * 2 // 3]
    return text


def avro_record(record: GeneratedRecord) -> bytes:
    """One Avro single-object encoded record (or, for garbage, bytes that are not one)."""
    if isinstance(record, ValidRecord):
        return encode(record.event)
    return _invalid_avro(record)


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("ascii")


def _invalid_avro(record: InvalidRecord) -> bytes:
    if record.kind is InvalidKind.GARBAGE:
        return record.noise
    data = encode(record.model)
    if record.kind is InvalidKind.UNKNOWN_EVENT_TYPE:
        return _rename_event_type(data, UNKNOWN_EVENT_TYPE_NAME)
    return data


def _rename_event_type(data: bytes, name: str) -> bytes:
    """Replace the ``event_type`` string, the envelope's second field, after ``event_id``."""
    pos = _AVRO_HEADER_SIZE
    length, pos = _read_long(data, pos)
    pos += length  # skip event_id
    old_length, body_at = _read_long(data, pos)
    new = name.encode("utf-8")
    return data[:pos] + _write_long(len(new)) + new + data[body_at + old_length :]


def _read_long(data: bytes, pos: int) -> tuple[int, int]:
    """An Avro long (zig-zag varint) at ``pos``, and the position after it."""
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def _write_long(value: int) -> bytes:
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag & ~0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)
