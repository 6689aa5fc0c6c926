"""Sustained end-to-end throughput of the streaming pipeline, and event-to-alert latency.

    python benchmarks/streaming_pipeline.py [--events 1000000] [--workers 1] [--latency-rate 2000]

Needs a broker: CL_KAFKA_BOOTSTRAP, or the local one is started (deploy/kafka/broker.sh).
In one run, on the same generated dataset (Avro, as the demo makes it):
  1. baseline: the dataset is produced to the ingress topic; raw aiokafka consumption of that
     topic plus fastavro decode of every record;
  2. throughput: worker process(es) and the projector service consume everything
     (produce -> workers -> projector -> chDB); the clock stops when the projector has written
     every ledger entry the embedded runner says the dataset yields... measured as the
     projector's idle exit (``--until-idle``);
  3. latency: a second prefix is fed at a steady rate; for every alert and ledger entry the
     delay from the producer's send of its triggering event to the output's Kafka timestamp.
Prints events/s for 1 and 2, their ratio, and p50/p99 latency. For 2 it also prints where the
CPU went (workers, projector, broker), per event: that cost bounds what the machine can carry.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import fastavro
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from bench_data import SINGLE_OBJECT_HEADER, core_build, dataset, parsed_schemas

from schemas import topics
from schemas.codec import decode
from schemas.outputs import ConflictAlert, LedgerEntry
from services.datagen import read_avro_records
from services.kafka_settings import KafkaSettings
from services.topic_admin import ensure_topics

REPO = Path(__file__).resolve().parents[1]


async def _produce(
    bootstrap: str, prefix: str, payloads: list[bytes], rate: float | None
) -> dict[bytes, float]:
    """Send to ingress in order; with ``rate``, paced. Returns send time per payload's event id bytes."""
    await ensure_topics(KafkaSettings(bootstrap=bootstrap, topic_prefix=prefix))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    sent_at: dict[bytes, float] = {}
    started = time.perf_counter()
    try:
        for n, payload in enumerate(payloads):
            if rate is not None:
                due = started + n / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing the load generator, not waiting for a result
            await producer.send(topics.INGRESS.full_name(prefix), value=payload, key=b"ingress")
            sent_at[payload] = time.time()
        await producer.flush()
    finally:
        await producer.stop()
    return sent_at


async def _baseline(bootstrap: str, prefix: str, count: int) -> float:
    schemas = parsed_schemas()
    consumer = AIOKafkaConsumer(
        topics.INGRESS.full_name(prefix),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=f"bench-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen = 0
    started = time.perf_counter()
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batch.values():
                for record in records:
                    payload = record.value or b""
                    schema = schemas.get(payload[2:SINGLE_OBJECT_HEADER])
                    if schema is not None:
                        fastavro.schemaless_reader(io.BytesIO(payload[SINGLE_OBJECT_HEADER:]), schema, None)
                    seen += 1
    finally:
        await consumer.stop()
    return seen / (time.perf_counter() - started)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services", *args],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


@dataclass(slots=True)
class CpuSplit:
    """CPU-seconds spent by each part of the pipeline during the throughput run, and the largest
    peak resident memory of one of its processes (MiB; unknown for the broker)."""

    parts: dict[str, float] = field(default_factory=dict)
    peak_mib: dict[str, float] = field(default_factory=dict)

    def add(self, part: str, usage: tuple[float, float] | None) -> None:
        if usage is not None:
            seconds, peak = usage
            self.parts[part] = self.parts.get(part, 0.0) + seconds
            self.peak_mib[part] = max(self.peak_mib.get(part, 0.0), peak)

    def add_seconds(self, part: str, seconds: float) -> None:
        self.parts[part] = self.parts.get(part, 0.0) + seconds


def _reap(proc: subprocess.Popen[bytes]) -> tuple[float, float] | None:
    """Wait for ``proc``; the CPU-seconds it used (user + system) and its peak RSS in MiB."""
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:  # already reaped
        proc.wait()
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return float(usage.ru_utime + usage.ru_stime), usage.ru_maxrss / 1024


def _proc_cpu(pid: int) -> float | None:
    """CPU-seconds used so far by a process that is not our child (the broker), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _throughput(
    bootstrap: str,
    prefix: str,
    workdir: Path,
    workers: int,
    count: int,
    batch_max: int,
    broker_pid: int | None,
) -> tuple[float, float, CpuSplit]:
    """Events/s and wall seconds of the run, and where its CPU went."""
    env = {**os.environ, "CL_KAFKA_BOOTSTRAP": bootstrap, "CL_TOPIC_PREFIX": prefix, "CL_LOG_FORMAT": "json"}
    chdb = workdir / "chdb-stream"
    shutil.rmtree(chdb, ignore_errors=True)
    for i in range(workers):  # local state of an earlier run's prefix must not be reused
        shutil.rmtree(workdir / f"w{i}", ignore_errors=True)
    cpu = CpuSplit()
    broker_before = _proc_cpu(broker_pid) if broker_pid is not None else None
    started = time.perf_counter()
    procs = [
        _spawn(
            [
                "worker",
                "--store",
                "rocksdb",
                "--datadir",
                str(workdir / f"w{i}"),
                "--batch-max",
                str(batch_max),
            ],
            env,
            workdir / f"w{i}.log",
        )
        for i in range(workers)
    ]
    try:
        # The projector runs beside the workers; it exits after 20 s without records. If the
        # workers were still behind then (a long rebalance), it is started again.
        while True:
            projector = _spawn(
                ["project", "--data-dir", str(chdb), "--until-idle", "20"], env, workdir / "project.log"
            )
            cpu.add("projector", _reap(projector))
            if asyncio.run(_workers_lag(bootstrap, prefix)) == 0:
                break
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            cpu.add("worker(s)", _reap(proc))
    broker_after = _proc_cpu(broker_pid) if broker_pid is not None else None
    if broker_before is not None and broker_after is not None:
        cpu.add_seconds("broker", broker_after - broker_before)
    elapsed = time.perf_counter() - started - 20  # the idle wait is not work
    return count / elapsed, elapsed, cpu


def _print_cpu(cpu: CpuSplit, count: int, elapsed: float, baseline: float) -> None:
    """Where the CPU went, per event, and the rate that cost allows on this machine's cores.

    Start-up and the projector's 20 s idle wait are included, so the per-event figures are
    slightly high; the ceiling is what the measured cost per event would allow with every core
    busy, and the target's budget what 0.5x the baseline would need."""
    cores = os.cpu_count() or 1
    total = sum(cpu.parts.values())
    print(f"cpu       where the CPU went during the run ({cores} cores, {elapsed:,.1f} s of work):")
    for part, seconds in sorted(cpu.parts.items(), key=lambda item: -item[1]):
        peak = cpu.peak_mib.get(part)
        memory = f"  peak RSS {peak:,.0f} MiB" if peak is not None else ""
        print(f"            {part:<10} {seconds:7.1f} CPU-s  {seconds / count * 1e6:6.0f} us/event{memory}")
    print(f"            {'total':<10} {total:7.1f} CPU-s  {total / count * 1e6:6.0f} us/event")
    if total > 0:
        print(
            f"ceiling   at {total / count * 1e6:,.0f} us/event, {cores} busy cores carry at most "
            f"{cores * count / total:,.0f} events/s; 0.5x the baseline needs <= "
            f"{cores / (0.5 * baseline) * 1e6:,.0f} us/event"
        )


async def _workers_lag(bootstrap: str, prefix: str) -> int:
    """Records the workers' consumer group has not committed yet, over the topics they read."""
    from aiokafka.admin import AIOKafkaAdminClient

    names = [spec.full_name(prefix) for spec in (topics.INGRESS, *topics.INTERNAL_TOPICS)]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(*names, bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{prefix}channel-ledger")
        tps = await _assigned(consumer, names)
        ends = await consumer.end_offsets(tps)
        return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def _assigned(consumer: AIOKafkaConsumer, names: list[str]) -> list[TopicPartition]:
    from aiokafka.structs import TopicPartition

    return [
        TopicPartition(name, p) for name in names for p in sorted(consumer.partitions_for_topic(name) or ())
    ]


async def _latencies(
    bootstrap: str, prefix: str, sent_at: dict[bytes, float], by_id: dict[str, bytes]
) -> list[tuple[float, float]]:
    """(send time, delay) of every alert and ledger entry whose triggering event was sent."""
    consumer = AIOKafkaConsumer(
        topics.CONFLICT_ALERTS.full_name(prefix),
        topics.LEDGER_ENTRIES.full_name(prefix),
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    delays: list[tuple[float, float]] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=3000)
            if not batch:
                break
            for records in batch.values():
                for record in records:
                    output = decode(record.value or b"")
                    if isinstance(output, ConflictAlert):
                        trigger = output.evidence_event_ids[-1]
                    elif isinstance(output, LedgerEntry):
                        trigger = output.source_event_ids[-1]
                    else:
                        continue
                    payload = by_id.get(trigger)
                    if payload in sent_at:
                        sent = sent_at[payload]
                        delays.append((sent, record.timestamp / 1000 - sent))
    finally:
        await consumer.stop()
    return delays


def _print_latency_by_tenth(timed: list[tuple[float, float]]) -> None:
    """Median delay per tenth of the paced run: flat if the workers keep up, rising if not."""
    start = min(sent for sent, _ in timed)
    span = max(sent for sent, _ in timed) - start or 1.0
    tenths: list[list[float]] = [[] for _ in range(10)]
    for sent, delay in timed:
        tenths[min(9, int((sent - start) / span * 10))].append(delay)
    medians = " ".join(f"{statistics.median(t) * 1000:,.0f}" if t else "-" for t in tenths)
    print(f"latency   median per tenth of the run (ms): {medians}")


def _broker_pid(home: Path) -> int | None:
    """The pid of the broker ``deploy/kafka/broker.sh`` started (its pid file), if readable."""
    try:
        return int((home / "broker.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--batch-max",
        type=int,
        default=2000,
        help="events per agent batch (the worker's --batch-max; 2000 is its default)",
    )
    parser.add_argument("--latency-rate", type=float, default=2000.0)
    parser.add_argument(
        "--latency-workers", type=int, default=1, help="worker processes during the latency run"
    )
    parser.add_argument(
        "--latency-batch-max",
        type=int,
        default=200,
        help="events per agent batch during the latency run (each batch waits for its outputs' acks)",
    )
    parser.add_argument("--skip-throughput", action="store_true", help="measure the latency only")
    parser.add_argument("--latency-events", type=int, default=60_000)
    parser.add_argument("--workdir", type=Path, default=Path(".channel-ledger/bench-stream"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    broker = None
    bootstrap = os.environ.get("CL_KAFKA_BOOTSTRAP")
    if not bootstrap:
        env = {**os.environ, "CL_KAFKA_HOME": str(args.workdir / "kafka")}
        broker = env
        out = subprocess.run(
            [str(REPO / "deploy/kafka/broker.sh"), "start"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        bootstrap = out.stdout.strip().splitlines()[-1]
    broker_pid = _broker_pid(args.workdir / "kafka") if broker is not None else None
    try:
        print(f"core      workers' partner and customer processors: {core_build()}")
        path = dataset(args.workdir, args.events, 7)
        payloads = list(read_avro_records(path))
        prefix = f"b{uuid.uuid4().hex[:6]}."
        if not args.skip_throughput:
            asyncio.run(_produce(bootstrap, prefix, payloads, None))
            base = asyncio.run(_baseline(bootstrap, prefix, len(payloads)))
            print(f"baseline  aiokafka consume + fastavro decode: {base:,.0f} events/s")
            rate, elapsed, cpu = _throughput(
                bootstrap, prefix, args.workdir, args.workers, len(payloads), args.batch_max, broker_pid
            )
            print(
                f"pipeline  produce -> {args.workers} worker(s), batches of {args.batch_max:,} -> "
                f"projector -> chDB: {rate:,.0f} events/s"
            )
            print(f"ratio     {rate / base:.3f} (target >= 0.5)")
            _print_cpu(cpu, len(payloads), elapsed, base)

        lat_prefix = f"l{uuid.uuid4().hex[:6]}."
        sample = payloads[: args.latency_events]
        by_id: dict[str, bytes] = {}
        for payload in sample:
            try:
                event_id = getattr(decode(payload), "event_id", None)
            except Exception:  # invalid records carry no id; they only dead-letter
                continue
            if isinstance(event_id, str):
                by_id[event_id] = payload
        env = {
            **os.environ,
            "CL_KAFKA_BOOTSTRAP": bootstrap,
            "CL_TOPIC_PREFIX": lat_prefix,
            "CL_LOG_FORMAT": "json",
        }
        asyncio.run(ensure_topics(KafkaSettings(bootstrap=bootstrap, topic_prefix=lat_prefix)))
        for i in range(args.latency_workers):  # local state of an earlier run's prefix must not be reused
            shutil.rmtree(args.workdir / f"wl{i}", ignore_errors=True)
        latency_workers = [
            _spawn(
                [
                    "worker",
                    "--store",
                    "rocksdb",
                    "--datadir",
                    str(args.workdir / f"wl{i}"),
                    "--batch-max",
                    str(args.latency_batch_max),
                ],
                env,
                args.workdir / f"wl{i}.log",
            )
            for i in range(args.latency_workers)
        ]
        try:
            time.sleep(20)  # let the workers join their group before the paced load starts
            sent_at = asyncio.run(_produce(bootstrap, lat_prefix, sample, args.latency_rate))
            timed = asyncio.run(_latencies(bootstrap, lat_prefix, sent_at, by_id))
            delays = sorted(delay for _, delay in timed)
        finally:
            for worker in latency_workers:
                worker.terminate()
            for worker in latency_workers:
                worker.wait()
        if not timed:
            raise SystemExit(f"no outputs arrived: see the worker logs in {args.workdir}/wl*.log")
        _print_latency_by_tenth(timed)
        if delays:
            p50 = statistics.median(delays)
            p99 = delays[int(len(delays) * 0.99) - 1]
            print(
                f"latency   {args.latency_workers} worker(s) at {args.latency_rate:,.0f} events/s over "
                f"{len(sample):,} events: "
                f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms "
                f"({len(delays):,} outputs; target p99 <= 1 s)"
            )
    finally:
        if broker is not None:
            subprocess.run([str(REPO / "deploy/kafka/broker.sh"), "stop"], env=broker, check=False)


if __name__ == "__main__":
    main()
