"""Event files: JSONL, and Avro single-object records framed by a length prefix.

Avro file layout ("length-prefixed single-object Avro"): a sequence of frames, each a 4-byte
big-endian unsigned length followed by that many bytes holding one record in Avro
single-object encoding (``C3 01`` + CRC-64-AVRO fingerprint + body). A length prefix rather
than one record per line because binary records may contain newline bytes. There is no file
header; an empty file holds no records. Invalid records the generator injected are framed the
same way (their payload is what is invalid, not the frame).

Both writers stream: records are encoded one at a time into a buffered file.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from services.datagen.payloads import avro_record, json_line
from services.datagen.records import GeneratedRecord, InvalidRecord

_LENGTH = struct.Struct(">I")
MAX_FRAME_BYTES: Final = 16 * 1024 * 1024
"""A frame longer than this is taken for a corrupt or foreign file, not a record."""
_BUFFER_BYTES = 1 << 20


class FramingError(ValueError):
    """A length-prefixed Avro file that is cut short or not such a file; says where."""


@dataclass(frozen=True, slots=True)
class WriteSummary:
    records: int
    invalid: int
    bytes_written: int


def write_jsonl(records: Iterable[GeneratedRecord], path: Path) -> WriteSummary:
    """One JSON object per line (invalid records as their defective line)."""
    return _write(records, path, lambda r: json_line(r) + b"\n")


def write_avro(records: Iterable[GeneratedRecord], path: Path) -> WriteSummary:
    """Length-prefixed single-object Avro records (see the module docstring)."""

    def frame(record: GeneratedRecord) -> bytes:
        payload = avro_record(record)
        return _LENGTH.pack(len(payload)) + payload

    return _write(records, path, frame)


def _write(
    records: Iterable[GeneratedRecord], path: Path, render: Callable[[GeneratedRecord], bytes]
) -> WriteSummary:
    count = invalid = size = 0
    with path.open("wb", buffering=_BUFFER_BYTES) as out:
        for record in records:
            data = render(record)
            out.write(data)
            count += 1
            size += len(data)
            invalid += isinstance(record, InvalidRecord)
    return WriteSummary(records=count, invalid=invalid, bytes_written=size)


def read_avro_records(path: Path) -> Iterator[bytes]:
    """The payload of every frame of a length-prefixed Avro file, in order, streamed."""
    with path.open("rb", buffering=_BUFFER_BYTES) as source:
        offset = 0
        while True:
            prefix = source.read(_LENGTH.size)
            if not prefix:
                return
            if len(prefix) < _LENGTH.size:
                raise FramingError(f"{path}: offset {offset}: file ends inside a length prefix")
            (length,) = _LENGTH.unpack(prefix)
            if length > MAX_FRAME_BYTES:
                raise FramingError(
                    f"{path}: offset {offset}: frame length {length} exceeds {MAX_FRAME_BYTES} bytes "
                    "(not a length-prefixed Avro file?)"
                )
            payload = source.read(length)
            if len(payload) < length:
                raise FramingError(
                    f"{path}: offset {offset}: frame of {length} bytes cut short at {len(payload)}"
                )
            yield payload
            offset += _LENGTH.size + length


def read_jsonl_lines(path: Path) -> Iterator[bytes]:
    """Every non-empty line of a JSONL file as bytes (without the newline), streamed."""
    with path.open("rb", buffering=_BUFFER_BYTES) as source:
        for line in source:
            stripped = line.rstrip(b"\r\n")
            if stripped:
                yield stripped
