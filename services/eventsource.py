"""Files of input events as a stream of ``(bytes, position)`` records, whatever their format.

The runners take Avro single-object bytes only, so a file is read into that one shape: a
length-prefixed Avro file (what ``channel-ledger generate`` writes) as it is, a JSONL file line
by line through the JSON form and the codec. A JSON line that is not an event cannot become
Avro bytes; it is carried as a ready dead letter with the line's own bytes, so nothing is lost.
Positions name the file and the record's line (JSONL) or frame number (Avro).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from schemas.codec import EncodeError, encode
from schemas.intake import SourcePosition, from_problems
from schemas.jsonform import JsonFormError, from_json
from schemas.outputs import DeadLetter
from schemas.problems import Problem
from schemas.reasons import ReasonCode
from services.datagen.writers import read_avro_records, read_jsonl_lines

AVRO_SUFFIXES = (".avro", ".avrol", ".bin")


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record of a file: Avro bytes to run through intake, or a dead letter already."""

    data: bytes
    position: SourcePosition
    refused: DeadLetter | None = None


def is_avro_file(path: Path) -> bool:
    """Avro by suffix; otherwise sniff: JSON text starts with '{' or '[' after whitespace."""
    if path.suffix in AVRO_SUFFIXES:
        return True
    with path.open("rb") as handle:
        head = handle.read(64).lstrip()
    return not head.startswith((b"{", b"["))


def read_source(path: Path, *, failed_at: datetime) -> Iterator[SourceRecord]:
    """Every record of ``path`` in file order, streamed (the file is never held in memory)."""
    name = str(path)
    if is_avro_file(path):
        for number, payload in enumerate(read_avro_records(path), start=1):
            yield SourceRecord(payload, SourcePosition(name, 0, number))
        return
    for number, line in enumerate(read_jsonl_lines(path), start=1):
        position = SourcePosition(name, 0, number)
        problem: Problem
        try:
            model = from_json(json.loads(line))
            yield SourceRecord(encode(model), position)
            continue
        except json.JSONDecodeError as error:
            problem = Problem(ReasonCode.UNDECODABLE, "", f"line {number}: invalid JSON: {error.msg}")
            refused = from_problems(line, [problem], event=None, position=position, failed_at=failed_at)
        except JsonFormError as error:
            refused = from_problems(
                line, list(error.problems), event=None, position=position, failed_at=failed_at
            )
        except EncodeError as error:
            problem = Problem(ReasonCode.SCHEMA_VIOLATION, error.field, error.message)
            refused = from_problems(line, [problem], event=None, position=position, failed_at=failed_at)
        yield SourceRecord(line, position, refused)
