"""Prometheus metrics and the health endpoint of the streaming services (worker and projector).

Every metric lives in a ``PipelineMetrics`` registry object, created on first use per process
(``default_metrics``) or per test; nothing is registered at import time. The module-level
``observe_*`` functions are what the Faust worker calls per record; each is a dictionary look-up
and an increment.

End-to-end latency is measured from the Kafka timestamp of the *input* record (the producer's
clock when the event was sent) to the moment the output derived from it is produced. It is not
measured from ``occurred_at``: that is business time, which for a replay of last year lies a
year in the past. Producer and worker clocks must be synchronised (NTP) for the figure to mean
anything across hosts; a negative difference (clock skew) is recorded as zero.

``start_metrics_server`` serves ``/metrics`` (Prometheus text format) and ``/health`` (JSON:
``{"status": "ok"|"failing", "component": ..., "checks": {...}}``, HTTP 200 or 503) with
aiohttp on the service's event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Final, Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

NAMESPACE: Final = "channel_ledger"
LATENCY_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Fine below one second, where the pipeline's target (p99 <= 1 s) lies."""


class PipelineMetrics:
    """The services' metrics in one registry of their own."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, wall_clock_s: Callable[[], float] = time.time
    ):
        self.registry = registry if registry is not None else CollectorRegistry()
        self._wall_clock_s = wall_clock_s
        self._output_counts: dict[str, Counter] = {}
        self._output_latencies: dict[str, Histogram] = {}
        reg = self.registry
        self.events = Counter(
            "events",
            "Input records consumed by the workers, by topic.",
            ["topic"],
            namespace=NAMESPACE,
            registry=reg,
        )
        self.dead_letters = Counter(
            "dead_letters",
            "Inputs refused into the dead-letter topic, by reason code.",
            ["reason_code"],
            namespace=NAMESPACE,
            registry=reg,
        )
        self.outputs = Counter(
            "outputs",
            "Records produced by the workers, by record type.",
            ["type"],
            namespace=NAMESPACE,
            registry=reg,
        )
        self.latency = Histogram(
            "end_to_end_latency_seconds",
            "From the input record's Kafka timestamp (producer time) to producing an output from it.",
            ["type"],
            namespace=NAMESPACE,
            buckets=LATENCY_BUCKETS_S,
            registry=reg,
        )
        self.consumer_lag = Gauge(
            "consumer_lag",
            "Records behind the end of the partition (end offset - position).",
            ["group", "topic", "partition"],
            namespace=NAMESPACE,
            registry=reg,
        )
        self.projected = Counter(
            "projector_records",
            "Records the projector took into its batches, by topic.",
            ["topic"],
            namespace=NAMESPACE,
            registry=reg,
        )
        self.rows_written = Counter(
            "projector_rows_written",
            "Rows the projector stored in the warehouse.",
            namespace=NAMESPACE,
            registry=reg,
        )
        self.write_failures = Counter(
            "projector_write_failures",
            "Warehouse flushes that failed after their retries.",
            namespace=NAMESPACE,
            registry=reg,
        )
        self.undecodable = Counter(
            "projector_undecodable",
            "Records the projector could not decode (stored as dead letters).",
            ["topic"],
            namespace=NAMESPACE,
            registry=reg,
        )
        self.backpressure = Gauge(
            "projector_backpressure",
            "1 while the projector has paused fetching for the warehouse.",
            namespace=NAMESPACE,
            registry=reg,
        )
        self.commits = Counter(
            "projector_commits",
            "Offset commits after acknowledged warehouse writes.",
            namespace=NAMESPACE,
            registry=reg,
        )

    def observe_input(self, topic: str) -> None:
        self.events.labels(topic).inc()

    def observe_dead_letter(self, reason: str) -> None:
        self.dead_letters.labels(reason).inc()

    def observe_output(self, kind: str, source_timestamp_ms: int | None) -> None:
        """One output of type ``kind``, derived from an input produced at ``source_timestamp_ms``.

        Called for every output, so the labelled series are looked up once per kind: the lookup
        took two thirds of the call.
        """
        counted = self._output_counts.get(kind)
        if counted is None:
            counted = self._output_counts[kind] = self.outputs.labels(kind)
        counted.inc()
        if source_timestamp_ms is not None and source_timestamp_ms > 0:
            timed = self._output_latencies.get(kind)
            if timed is None:
                timed = self._output_latencies[kind] = self.latency.labels(kind)
            timed.observe(max(0.0, self._wall_clock_s() - source_timestamp_ms / 1000.0))

    def observe_lag(self, group: str, topic: str, partition: int, lag: int) -> None:
        self.consumer_lag.labels(group, topic, str(partition)).set(max(0, lag))

    def forget_partitions(self, group: str, partitions: Iterable[tuple[str, int]]) -> None:
        """Drop the lag series of partitions this process no longer owns."""
        for topic, partition in partitions:
            try:
                self.consumer_lag.remove(group, topic, str(partition))
            except KeyError:
                continue

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@cache
def default_metrics() -> PipelineMetrics:
    """This process's metrics, created on first use."""
    return PipelineMetrics()


def observe_input(topic: str) -> None:
    default_metrics().observe_input(topic)


def observe_dead_letter(reason: str) -> None:
    default_metrics().observe_dead_letter(reason)


def observe_output(kind: str, source_timestamp_ms: int | None) -> None:
    default_metrics().observe_output(kind, source_timestamp_ms)


def observe_lag(group: str, topic: str, partition: int, lag: int) -> None:
    default_metrics().observe_lag(group, topic, partition, lag)


class _TopicPartition(Protocol):
    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...


class LagSource(Protocol):
    """What ``refresh_consumer_lag`` needs of a consumer (aiokafka's ``AIOKafkaConsumer``)."""

    def assignment(self) -> Iterable[_TopicPartition]: ...

    async def end_offsets(self, partitions: list[_TopicPartition]) -> dict[_TopicPartition, int]: ...

    async def position(self, partition: _TopicPartition) -> int: ...


async def refresh_consumer_lag(consumer: LagSource, group: str, metrics: PipelineMetrics) -> int:
    """Set the lag gauge of every assigned partition; returns the total lag."""
    partitions = list(consumer.assignment())
    if not partitions:
        return 0
    ends = await consumer.end_offsets(partitions)
    total = 0
    for tp in partitions:
        lag = max(0, ends[tp] - await consumer.position(tp))
        metrics.observe_lag(group, tp.topic, tp.partition, lag)
        total += lag
    return total


# --- health ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Check:
    ok: bool
    detail: str
    since_s: float


@dataclass(slots=True)
class Health:
    """Named checks a service keeps current; the endpoint reports them all."""

    component: str
    clock_s: Callable[[], float] = time.monotonic
    _checks: dict[str, _Check] = field(default_factory=dict)
    _started_s: float = 0.0

    def __post_init__(self) -> None:
        self._started_s = self.clock_s()

    def set(self, name: str, ok: bool, detail: str = "") -> None:
        """Record a check's state; ``since`` moves only when ``ok`` changes."""
        current = self._checks.get(name)
        since = current.since_s if current is not None and current.ok == ok else self.clock_s()
        self._checks[name] = _Check(ok, detail, since)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self._checks.values())

    def report(self) -> dict[str, object]:
        now = self.clock_s()
        return {
            "status": "ok" if self.ok else "failing",
            "component": self.component,
            "uptime_s": round(now - self._started_s, 3),
            "checks": {
                name: {"ok": check.ok, "detail": check.detail, "for_s": round(now - check.since_s, 3)}
                for name, check in sorted(self._checks.items())
            },
        }


@dataclass(slots=True)
class MetricsServer:
    """The running endpoint; ``port`` is the bound port (useful when asked for port 0)."""

    runner: web.AppRunner
    host: str
    port: int

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_metrics_server(
    port: int,
    *,
    host: str = "0.0.0.0",  # Prometheus scrapes from outside the host
    metrics: PipelineMetrics | None = None,
    health: Health | None = None,
) -> MetricsServer:
    """Serve ``/metrics`` and ``/health`` on ``host:port`` (0 picks a free port)."""
    source = metrics if metrics is not None else default_metrics()
    status = health if health is not None else Health(component="channel-ledger")

    async def metrics_handler(_: web.Request) -> web.Response:
        response = web.Response(body=source.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def health_handler(_: web.Request) -> web.Response:
        return web.json_response(status.report(), status=200 if status.ok else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/health", health_handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port
    return MetricsServer(runner=runner, host=host, port=int(bound))
