"""End-to-end throughput of the embedded pipeline (Avro file in, chDB out) next to a bare decode.

    python benchmarks/embedded_pipeline.py [--events 1000000] [--seed 7] [--workdir DIR]

Generates the dataset once (cached in the work dir), then in the same run measures:
  1. baseline: fastavro.schemaless_reader over every record of the same file (no models);
  2. the embedded pipeline: read, intake (decode + validate), partner and customer processors,
     projector into a fresh chDB warehouse, final flush.
Prints events/s of each, their ratio, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import fastavro
from bench_data import SINGLE_OBJECT_HEADER, core_build, dataset, parsed_schemas

from processors.pipeline import CoreConfig
from projections.settings import EmbeddedSettings
from services.datagen import read_avro_records
from services.runfile import run_file


def _bare_decode(path: Path) -> tuple[int, float]:
    schemas = parsed_schemas()
    count = 0
    started = time.perf_counter()
    for payload in read_avro_records(path):
        schema = schemas.get(payload[2:SINGLE_OBJECT_HEADER])
        if schema is not None:
            fastavro.schemaless_reader(io.BytesIO(payload[SINGLE_OBJECT_HEADER:]), schema, None)
        count += 1
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(".channel-ledger/bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = dataset(args.workdir, args.events, args.seed)
    print(f"core      partner and customer processors: {core_build()}")

    count, decode_s = _bare_decode(path)
    decode_rate = count / decode_s
    print(
        f"baseline  fastavro.schemaless_reader: {count:,} records in {decode_s:.1f} s = {decode_rate:,.0f}/s"
    )

    warehouse_dir = args.workdir / "chdb"
    shutil.rmtree(warehouse_dir, ignore_errors=True)
    config = CoreConfig.from_programs_dir()
    started = time.perf_counter()
    cpu_started, main_cpu_started = time.process_time(), time.thread_time()
    result = run_file(
        path,
        settings=EmbeddedSettings(data_dir=warehouse_dir),
        config=config,
        reference_time=datetime.now(UTC),
    )
    elapsed = time.perf_counter() - started
    cpu_s, main_cpu_s = time.process_time() - cpu_started, time.thread_time() - main_cpu_started
    rate = result.summary.records / elapsed
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"pipeline  embedded (Avro -> core -> chDB): {result.summary.records:,} records in {elapsed:.1f} s = "
        f"{rate:,.0f}/s; {result.summary.ledger_entries:,} entries, {result.summary.alert_revisions:,} alert "
        f"revisions, {result.rows_written:,} rows"
    )
    print(
        f"cpu       process {cpu_s:.1f} s (all threads, chDB's included) = "
        f"{result.summary.records / cpu_s:,.0f} events per CPU-s; main thread {main_cpu_s:.1f} s = "
        f"{result.summary.records / main_cpu_s:,.0f} events per CPU-s"
    )
    print(f"ratio     pipeline / bare decode = {rate / decode_rate:.3f} (target >= 0.6)")
    print(f"memory    peak RSS of this process = {peak_mb:,.0f} MiB")


if __name__ == "__main__":
    main()
