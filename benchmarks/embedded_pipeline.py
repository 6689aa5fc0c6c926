"""End-to-end throughput of the embedded pipeline (Avro file in, chDB out) next to a bare decode.

    python benchmarks/embedded_pipeline.py [--events 1000000] [--seed 7] [--workdir DIR]

Generates the dataset once (cached in the work dir), then in the same run measures:
  1. baseline: fastavro.schemaless_reader over every record of the same file (no models);
  2. the embedded pipeline: read, intake (decode + validate), partner and customer processors,
     projector into a fresh chDB warehouse, final flush.
Prints events/s of each, their ratio, and the process's peak resident memory. Then a staged
pass over the first ``--stages`` records runs each stage over all of them before the next and
times it alone: where an event's time goes, next to what 0.6x the decode rate would allow.
"""

from __future__ import annotations

import argparse
import io
import itertools
import resource
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import fastavro
from bench_data import SINGLE_OBJECT_HEADER, core_build, dataset, parsed_schemas

from processors.conflicts import CustomerState
from processors.partner import PartnerState
from processors.pipeline import CoreConfig, CoreOutput, customer_step, partner_step
from projections.projector import Projector
from projections.settings import EmbeddedSettings
from projections.warehouse import open_warehouse
from schemas.events import InputEvent
from schemas.intake import accept, from_rejected
from schemas.outputs import DeadLetter, Rejected
from schemas.validation import DEFAULT_MAX_FUTURE_SKEW
from services.datagen import read_avro_records
from services.eventsource import read_source
from services.gc_tuning import processing_gc
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


def _staged(path: Path, count: int, config: CoreConfig, workdir: Path) -> list[tuple[str, float]]:
    """Seconds per stage over the first ``count`` records, each stage run over all of them alone.

    The stages see what they see in the pipeline (the projector gets the accepted events, the
    outputs and the dead letters) but not interleaved, so the sum differs a little from the
    pipeline's time: the split is what to read, not the total."""
    now = datetime.now(UTC)
    timed: list[tuple[str, float]] = []
    with processing_gc():
        started = time.perf_counter()
        records = list(itertools.islice(read_source(path, failed_at=now), count))
        timed.append(("read the file", time.perf_counter() - started))

        started = time.perf_counter()
        accepted: list[InputEvent | DeadLetter] = [
            record.refused
            if record.refused is not None
            else accept(
                record.data,
                position=record.position,
                reference_time=now,
                max_future_skew=DEFAULT_MAX_FUTURE_SKEW,
            )
            for record in records
        ]
        timed.append(("intake: decode + validate", time.perf_counter() - started))
        events = [(i, a) for i, a in enumerate(accepted) if not isinstance(a, DeadLetter)]

        outputs: list[tuple[int, CoreOutput]] = []
        partner_states: dict[str, PartnerState] = {}
        started = time.perf_counter()
        for i, event in events:
            outputs.extend((i, output) for output in partner_step(partner_states, event, config))
        timed.append(("partner processor", time.perf_counter() - started))

        customer_states: dict[str, CustomerState] = {}
        started = time.perf_counter()
        for i, event in events:
            outputs.extend((i, output) for output in customer_step(customer_states, event, config))
        timed.append(("customer processor", time.perf_counter() - started))
        del partner_states, customer_states

        warehouse_dir = workdir / "chdb-stages"
        shutil.rmtree(warehouse_dir, ignore_errors=True)
        with open_warehouse(EmbeddedSettings(data_dir=warehouse_dir)) as warehouse:
            warehouse.migrate()
            started = time.perf_counter()
            with Projector[None](warehouse) as projector:
                for item in accepted:
                    projector.add(item)
                for i, output in outputs:
                    if isinstance(output, Rejected):
                        record = records[i]
                        projector.add(
                            from_rejected(output, record.data, position=record.position, failed_at=now)
                        )
                    else:
                        projector.add(output)
                projector.flush()
            timed.append(("projector + chDB writes", time.perf_counter() - started))
    shutil.rmtree(warehouse_dir, ignore_errors=True)
    return timed


def _print_stages(timed: list[tuple[str, float]], count: int, decode_rate: float) -> None:
    total = sum(seconds for _, seconds in timed)
    print(f"stages    the first {count:,} records, one stage at a time:")
    for name, seconds in timed:
        print(
            f"            {name:<26} {seconds / count * 1e6:6.1f} us/event  "
            f"{100 * seconds / total:4.0f} %  ({count / seconds:,.0f}/s alone)"
        )
    print(f"            {'total':<26} {total / count * 1e6:6.1f} us/event")
    print(
        f"budget    0.6x the bare decode ({decode_rate:,.0f}/s) leaves "
        f"{1e6 / (0.6 * decode_rate):.1f} us/event for all stages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(".channel-ledger/bench"))
    parser.add_argument("--stages", type=int, default=100_000, help="records in the staged pass (0: skip it)")
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
    stage_count = min(args.stages, result.summary.records)
    if stage_count > 0:
        _print_stages(_staged(path, stage_count, config, args.workdir), stage_count, decode_rate)


if __name__ == "__main__":
    main()
