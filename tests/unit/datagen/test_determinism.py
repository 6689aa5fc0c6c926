"""Same seed and settings, same bytes; another seed, another dataset."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from pathlib import Path

from services.datagen import (
    DatagenConfig,
    ValidRecord,
    generate,
    generate_records,
    write_avro,
    write_jsonl,
)

CONFIG = DatagenConfig(seed=3, events=4000, partners=12, customers=300, invalid_rate=0.01, late_rate=0.05)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_identical_avro_and_jsonl_bytes(tmp_path: Path) -> None:
    for name, write in (("avro", write_avro), ("jsonl", write_jsonl)):
        first, second = tmp_path / f"a.{name}", tmp_path / f"b.{name}"
        write(generate_records(CONFIG), first)
        write(generate_records(CONFIG), second)
        assert first.stat().st_size > 100_000
        assert _digest(first) == _digest(second), name


def test_another_seed_gives_another_dataset(tmp_path: Path) -> None:
    first, second = tmp_path / "a.avro", tmp_path / "b.avro"
    write_avro(generate_records(CONFIG), first)
    write_avro(generate_records(replace(CONFIG, seed=4)), second)
    assert _digest(first) != _digest(second)
    ids = {e.event_id for e in generate(CONFIG)}
    other = {e.event_id for e in generate(replace(CONFIG, seed=4))}
    assert not ids & other


def test_valid_events_do_not_depend_on_the_invalid_rate() -> None:
    # With a daily rate, invalid payloads come on top, from their own random stream.
    base = DatagenConfig(seed=5, daily_rate=60, days=45, partners=10, customers=200, invalid_rate=0.0)
    clean = list(generate(base))
    dirty_records = list(generate_records(replace(base, invalid_rate=0.05)))
    dirty = [r.event for r in dirty_records if isinstance(r, ValidRecord)]
    assert len(dirty_records) > len(dirty)
    assert dirty == clean


def test_the_global_random_stream_is_left_alone() -> None:
    random.seed(99)
    before = random.getstate()
    sum(1 for _ in generate_records(CONFIG))
    assert random.getstate() == before
