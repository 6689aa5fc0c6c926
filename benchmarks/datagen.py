"""Synthetic data generator throughput: records/s generated, and written as Avro and JSONL.

Baseline, measured in the same run: a bare loop that builds the same number of SaleRecorded
models from constant fields plus a random event id (what producing the objects alone costs,
without simulating anything). Also prints the generator's peak traced memory at two stream
lengths, to show it does not grow with the number of events.

    python benchmarks/datagen.py [--events 1000000]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from schemas.events import SaleChannel, SaleRecorded
from services.datagen import DatagenConfig, generate_records, write_avro, write_jsonl
from services.datagen.state import random_uuid


def _bare_models(count: int) -> int:
    rng = random.Random(1)
    at = datetime(2026, 3, 1, tzinfo=UTC)
    price = Decimal("1450.00")
    made = 0
    for i in range(count):
        SaleRecorded(
            event_id=random_uuid(rng),
            occurred_at=at,
            source="erp",
            sale_id=f"SO-{i:07d}",
            channel=SaleChannel.PARTNER,
            partner_id="PTR-0001",
            customer_id="CUST-000001",
            customer_territory="US-WEST",
            sku="SW-24P",
            product_line="networking",
            quantity=3,
            unit_price=price,
            amount=price * 3,
            currency="USD",
        )
        made += 1
    return made


def _timed(label: str, count: int, run: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"{label:<44} {count:>10,} in {elapsed:7.2f} s = {rate:>10,.0f} records/s")
    return rate


def _peak_traced(config: DatagenConfig, count: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        for _ in itertools.islice(generate_records(config), count):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    count: int = args.events
    config = DatagenConfig(seed=7, events=count)

    print(f"datagen benchmark: {count:,} records, default cast (60 partners, 4,000 customers), seed 7")
    base = _timed("baseline: bare SaleRecorded construction", count, lambda: _bare_models(count))
    gen = _timed("generate_records (iterate only)", count, lambda: sum(1 for _ in generate_records(config)))
    with tempfile.TemporaryDirectory() as tmp:
        avro_path, jsonl_path = Path(tmp) / "events.avro", Path(tmp) / "events.jsonl"
        avro = _timed("generate + write_avro", count, lambda: write_avro(generate_records(config), avro_path))
        jsonl = _timed(
            "generate + write_jsonl", count, lambda: write_jsonl(generate_records(config), jsonl_path)
        )
        avro_mb, jsonl_mb = avro_path.stat().st_size / 1e6, jsonl_path.stat().st_size / 1e6
    print(f"generator / baseline: {gen / base:.2f}x; avro {avro / base:.2f}x; jsonl {jsonl / base:.2f}x")
    print(f"file sizes: avro {avro_mb:,.1f} MB, jsonl {jsonl_mb:,.1f} MB")
    steady = DatagenConfig(seed=7, daily_rate=250, days=3650)
    short, long = 50_000, 200_000
    peaks = [_peak_traced(steady, n) for n in (short, long)]
    print(
        f"peak traced memory of the generator: {peaks[0] / 1e6:.1f} MB after {short:,} records, "
        f"{peaks[1] / 1e6:.1f} MB after {long:,} (250 events/day: 200 and 800 days in)"
    )
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
