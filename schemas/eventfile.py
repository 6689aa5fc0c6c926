"""Files of events in the JSON form, read record by record with the line each starts on.

Three shapes are accepted, told apart by their content: JSONL (one object per line, streamed,
so a file of millions of events is never held in memory), a JSON array of objects, and
pretty-printed objects one after another (an example from ``schemas/examples``, or ``jq``
output). A syntax error is reported at its line; in JSONL the lines after it are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import TextIO

from schemas.jsonform import JsonFormError, from_json
from schemas.models import Model
from schemas.problems import Problem
from schemas.reasons import ReasonCode


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One JSON value from the file, or why the text at ``line`` is not one."""

    line: int
    value: object = None
    syntax_error: str | None = None


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One record as a model, or every problem that kept it from being one."""

    line: int
    model: Model | None
    problems: tuple[Problem, ...]


_DECODER = json.JSONDecoder()


def _lines_as_records(lines: Iterator[tuple[int, str]]) -> Iterator[RawRecord]:
    for number, text in lines:
        if not text.strip():
            continue
        try:
            yield RawRecord(line=number, value=json.loads(text))
        except json.JSONDecodeError as error:
            yield RawRecord(line=number, syntax_error=f"invalid JSON: {error.msg}")


class _Scanner:
    """Walks JSON values through one text, knowing the line of every position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def skip_space(self) -> None:
        while self.at < len(self.text) and self.text[self.at] in " \t\r\n":
            self.at += 1

    def line(self, at: int | None = None) -> int:
        return self.text.count("\n", 0, self.at if at is None else at) + 1

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def value(self) -> RawRecord:
        """The value at the current position; on a syntax error the position stays put."""
        line = self.line()
        try:
            value, self.at = _DECODER.raw_decode(self.text, self.at)
        except json.JSONDecodeError as error:
            return RawRecord(line=self.line(error.pos), syntax_error=f"invalid JSON: {error.msg}")
        return RawRecord(line=line, value=value)


def _array_records(text: str) -> Iterator[RawRecord]:
    """Elements of one JSON array, each with the line it starts on."""
    scan = _Scanner(text)
    scan.at = text.index("[") + 1
    scan.skip_space()
    if scan.peek() == "]":
        return
    while True:
        record = scan.value()
        yield record
        if record.syntax_error is not None:
            return
        scan.skip_space()
        if scan.peek() == ",":
            scan.at += 1
            scan.skip_space()
        elif scan.peek() == "]":
            scan.at += 1
            scan.skip_space()
            if scan.peek():
                yield RawRecord(line=scan.line(), syntax_error="invalid JSON: text after the array")
            return
        else:
            expected = "the array is not closed" if not scan.peek() else "expected ',' or ']'"
            yield RawRecord(line=scan.line(), syntax_error=f"invalid JSON: {expected}")
            return


def _value_stream(text: str) -> Iterator[RawRecord]:
    """JSON values one after another (one pretty-printed object, or ``jq`` output)."""
    scan = _Scanner(text)
    scan.skip_space()
    while scan.peek():
        record = scan.value()
        yield record
        if record.syntax_error is not None:
            return  # no way to find where the next value starts
        scan.skip_space()


def read_raw(stream: TextIO) -> Iterator[RawRecord]:
    """Every JSON value in ``stream`` with its line, whatever of the three shapes it has."""
    lines = enumerate(stream, start=1)
    head: list[tuple[int, str]] = []
    for number, text in lines:
        head.append((number, text))
        if text.strip():
            break
    if not head or not head[-1][1].strip():
        return
    first_number, first_text = head[-1]
    first = first_text.strip()
    if first.startswith("["):
        yield from _array_records("".join(text for _, text in head) + "".join(text for _, text in lines))
        return
    try:
        json.loads(first)
        one_line_value = True
    except json.JSONDecodeError:
        # A broken first line of JSONL still looks like one object on one line.
        one_line_value = first.startswith("{") and first.endswith("}")
    if one_line_value:  # JSONL, streamed
        yield from _lines_as_records(chain([(first_number, first_text)], lines))
        return
    yield from _value_stream("".join(text for _, text in head) + "".join(text for _, text in lines))


def read_models(stream: TextIO) -> Iterator[FileRecord]:
    """Every record in ``stream`` turned into a model (``schemas.jsonform.from_json``)."""
    for raw in read_raw(stream):
        if raw.syntax_error is not None:
            problem = Problem(ReasonCode.UNDECODABLE, "", raw.syntax_error)
            yield FileRecord(raw.line, None, (problem,))
            continue
        if not isinstance(raw.value, dict):
            problem = Problem(
                ReasonCode.SCHEMA_VIOLATION, "", f"expected an event object, got {raw.value!r:.60}"
            )
            yield FileRecord(raw.line, None, (problem,))
            continue
        try:
            yield FileRecord(raw.line, from_json(raw.value), ())
        except JsonFormError as error:
            yield FileRecord(raw.line, None, error.problems)
