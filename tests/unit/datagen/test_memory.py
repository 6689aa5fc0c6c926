"""The generator streams: its memory is bounded by the cast and the open items, not by how
many events it has produced."""

from __future__ import annotations

import gc
import itertools
import tracemalloc

import pytest

from services.datagen import DatagenConfig, generate_records

STEADY = DatagenConfig(seed=13, daily_rate=100, days=3650)
"""Ten years at a steady rate: open items reach their steady level after a few months."""


def _peak_bytes(records: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        for _ in itertools.islice(generate_records(STEADY), records):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_the_number_of_events() -> None:
    small, large = _peak_bytes(20_000), _peak_bytes(80_000)
    # 60k more events would add megabytes if anything were kept per event (a sale is ~1 KB).
    assert large < small * 1.2 + 256 * 1024, (small, large)
    assert large < 8 * 1024 * 1024
