"""Event files: length-prefixed single-object Avro and JSONL, written and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.codec import decode
from schemas.jsonform import from_json
from services.datagen import (
    DatagenConfig,
    FramingError,
    InvalidRecord,
    ValidRecord,
    avro_record,
    generate_records,
    read_avro_records,
    read_jsonl_lines,
    write_avro,
    write_jsonl,
)

CONFIG = DatagenConfig(seed=9, events=2500, partners=10, customers=200, invalid_rate=0.02)


def test_avro_file_reads_back_frame_for_frame(tmp_path: Path) -> None:
    path = tmp_path / "events.avro"
    records = list(generate_records(CONFIG))
    summary = write_avro(records, path)
    assert (summary.records, summary.invalid) == (2500, 50)
    assert summary.bytes_written == path.stat().st_size
    payloads = list(read_avro_records(path))
    assert payloads == [avro_record(r) for r in records]
    for record, payload in zip(records, payloads, strict=True):
        if isinstance(record, ValidRecord):
            assert decode(payload) == record.event
    assert any(b"\n" in p for p in payloads), (
        "binary records contain newlines: why frames are length-prefixed"
    )


def test_jsonl_file_has_one_record_per_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    records = list(generate_records(CONFIG))
    summary = write_jsonl(records, path)
    lines = list(read_jsonl_lines(path))
    assert summary.records == len(lines) == len(path.read_bytes().splitlines()) == 2500
    for record, line in zip(records, lines, strict=True):
        if isinstance(record, ValidRecord):
            assert from_json(json.loads(line)) == record.event
        else:
            assert isinstance(record, InvalidRecord)


def test_a_truncated_avro_file_is_reported_with_its_offset(tmp_path: Path) -> None:
    path = tmp_path / "events.avro"
    write_avro(generate_records(CONFIG), path)
    data = path.read_bytes()
    cut = tmp_path / "cut.avro"
    cut.write_bytes(data[: len(data) - 3])
    with pytest.raises(FramingError, match=r"cut\.avro: offset \d+: frame of \d+ bytes cut short"):
        list(read_avro_records(cut))
    cut.write_bytes(data + b"\x00\x00")
    with pytest.raises(FramingError, match="ends inside a length prefix"):
        list(read_avro_records(cut))


def test_a_jsonl_file_is_not_taken_for_avro(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_jsonl(generate_records(CONFIG), path)
    with pytest.raises(FramingError, match="not a length-prefixed Avro file"):
        list(read_avro_records(path))


def test_an_empty_file_holds_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty.avro"
    path.write_bytes(b"")
    assert list(read_avro_records(path)) == []
