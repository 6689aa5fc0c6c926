"""The projector service: the pipeline's topics into the warehouse, offsets committed after the write.

It consumes the accepted input events (the internal partner- and customer-event topics; an
event can come on both: the warehouse keeps one row per event id, and a copy marked with the
``cl-copy-of`` header, ``schemas.topics.COPY_OF_HEADER``, is skipped without being decoded),
the output topics and the dead letters, decodes each record, and hands it with its
``(topic, partition, offset)`` to ``projections.Projector``. Offsets are committed only for
positions the writer acknowledged after a successful warehouse write
(``services.offsets.CommitTracker``), so a crash at any moment loses nothing: what was not
committed is read again, and re-projecting it stores nothing new (deterministic ids and
deduplicated inserts).

The warehouse is blocking (chDB in-process, or HTTP); every call to it runs on one worker
thread, so the event loop keeps the consumer's heartbeats going during a slow write. When the
writer signals backpressure (a batch it could not write is waiting), the records not taken are
kept, every partition is paused, and the service retries the write before fetching more: memory
stays bounded by two batches and one fetch. If the warehouse stays down longer than
``max_unavailable_s`` the service stops with ``WarehouseGaveUpError`` (exit non-zero for the
supervisor), still without committing anything unwritten.

A record that does not decode, or carries a type its topic should not, is stored as a dead
letter row (reason, original bytes, position, ``failed_at`` = the record's Kafka timestamp, so
re-projecting it gives the same row); it never stops the service.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal, Protocol, TypeVar, cast

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from projections.projector import Projector
from projections.rows import Record
from projections.warehouse import Warehouse
from projections.writer import (
    BackpressureError,
    BatchLimits,
    ProjectionError,
    RetryPolicy,
    WarehouseUnavailableError,
)
from schemas.bundles import bundle_events
from schemas.codec import DecodeError, decode
from schemas.intake import SourcePosition, dead_letter
from schemas.reasons import ReasonCode
from schemas.topics import (
    COPY_OF_HEADER,
    CUSTOMER_EVENTS,
    DEAD_LETTERS,
    OUTPUT_TOPICS,
    PARTNER_EVENTS,
    TopicSpec,
)
from services.kafka_settings import KafkaSettings
from services.metrics import Health, PipelineMetrics, refresh_consumer_lag
from services.offsets import CommitTracker
from services.topic_admin import ensure_topics

PROJECTED_TOPICS: Final = (PARTNER_EVENTS, CUSTOMER_EVENTS, *OUTPUT_TOPICS, DEAD_LETTERS)
DEFAULT_GROUP: Final = "cl-projector"

Position = tuple[str, int, int]
"""(topic, partition, offset) of a record handed to the projector."""
T = TypeVar("T")


class KafkaRecord(Protocol):
    """What the service reads of an aiokafka ``ConsumerRecord``."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def timestamp(self) -> int: ...

    @property
    def value(self) -> bytes | None: ...

    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


@dataclass(frozen=True, slots=True)
class BundledRecord:
    """One event of a bundle (``schemas.bundles``) on an internal topic, read as a record.

    It has the bundle's position. Only the bundle's last stored event is ``tracked``: its
    position is acknowledged once it is stored, and the writer stores in order, so the bundle's
    earlier events are stored by then. A bundle of copies only gets one tracked ``None`` value
    (nothing to store, the position still moves on).
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    value: bytes | None
    tracked: bool
    headers: Sequence[tuple[str, bytes]] = ()


def unbundled(records: Sequence[KafkaRecord]) -> tuple[list[KafkaRecord], int]:
    """``records`` with every bundle replaced by its events (copies left out); also the copies'
    count. A record that is not a whole bundle stays as it is (it decodes, or dead-letters)."""
    out: list[KafkaRecord] = []
    copies = 0
    for record in records:
        bundled = None if record.value is None else bundle_events(record.value)
        if bundled is None:
            out.append(record)
            continue
        kept = [item for item in bundled if not item.copy]
        copies += len(bundled) - len(kept)
        at = (record.topic, record.partition, record.offset, record.timestamp)
        out.extend(
            BundledRecord(*at, value=item.value, tracked=index == len(kept) - 1)
            for index, item in enumerate(kept)
        )
        if not kept:
            out.append(BundledRecord(*at, value=None, tracked=True))
    return out, copies


class WarehouseGaveUpError(WarehouseUnavailableError):
    """The warehouse refused writes for longer than ``max_unavailable_s``; nothing unwritten was committed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectorOptions:
    group: str = DEFAULT_GROUP
    """Consumer group name, prefixed with the topic prefix."""
    limits: BatchLimits = field(default_factory=BatchLimits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    until_idle_s: float | None = None
    """Exit once caught up with every partition and no record came for this long."""
    max_unavailable_s: float = 600.0
    fetch_max_records: int = 5_000
    poll_ms: int = 200
    lag_refresh_s: float = 5.0
    isolation_level: Literal["read_committed", "read_uncommitted"] = "read_committed"
    """read_committed: records of aborted transactions (exactly-once workers) are never projected."""

    def __post_init__(self) -> None:
        if self.until_idle_s is not None and self.until_idle_s < 0:
            raise ValueError("until_idle_s must not be negative")
        if self.max_unavailable_s <= 0 or self.fetch_max_records < 1 or self.poll_ms < 1:
            raise ValueError(f"projector options must be positive: {self}")


@dataclass(frozen=True, slots=True)
class ProjectorReport:
    records: int
    rows_written: int
    undecodable: int
    copies_skipped: int
    commits: int
    committed: Mapping[tuple[str, int], int]
    """The last committed offset per (topic, partition)."""
    seconds: float


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    def __init__(self, service: ProjectorService, consumer: AIOKafkaConsumer) -> None:
        self._service = service
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._service.partitions_revoked(self._consumer, revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._service.partitions_assigned(self._consumer, assigned)


class ProjectorService:
    """One projector process: a consumer, a writer thread, and the offsets between them."""

    def __init__(
        self,
        kafka: KafkaSettings,
        open_warehouse: Callable[[], Warehouse],
        options: ProjectorOptions | None = None,
        *,
        metrics: PipelineMetrics | None = None,
        health: Health | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kafka = kafka
        self.options = options or ProjectorOptions()
        self.metrics = metrics if metrics is not None else PipelineMetrics()
        self.health = health if health is not None else Health(component="projector")
        self._open_warehouse = open_warehouse
        self._clock = clock
        self._group = kafka.group(self.options.group)
        self._specs: dict[str, TopicSpec] = {kafka.topic(spec): spec for spec in PROJECTED_TOPICS}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="projector-writer")
        self._warehouse: Warehouse | None = None
        self._projector: Projector[Position] | None = None
        self._offsets = CommitTracker()
        self._copy_markers = {spec.name.encode() for spec in PROJECTED_TOPICS}
        self._backlog: list[KafkaRecord] = []
        self._unavailable_since: float | None = None
        self._records = 0
        self._undecodable = 0
        self._copies = 0
        self._records_at_last_catch_up = 0
        self._commits = 0
        self._committed: dict[tuple[str, int], int] = {}
        self._rows_reported = 0
        self._closed_rows = 0
        self._log = structlog.get_logger(__name__).bind(group=self._group)

    # --- the writer thread ---------------------------------------------------------------

    async def _call(self, function: Callable[..., T], *args: object) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)
        finally:
            written = self._rows_written()
            if written > self._rows_reported:
                self.metrics.rows_written.inc(written - self._rows_reported)
                self._rows_reported = written

    def _open(self) -> None:
        warehouse = self._open_warehouse()
        try:
            warehouse.migrate()
        except Exception:
            warehouse.close()
            raise
        self._warehouse = warehouse
        self._projector = Projector(
            warehouse, limits=self.options.limits, retry=self.options.retry, on_ack=self._on_ack
        )

    def _close(self) -> None:
        """Stop the writer's own thread, then the warehouse. Anything still unwritten here is
        uncommitted as well, so a failure to write it loses nothing."""
        try:
            if self._projector is not None:
                self._projector.close()
        except (WarehouseUnavailableError, ProjectionError) as error:
            self._log.warning("closing with unwritten rows; they stay uncommitted", error=str(error))
        finally:
            if self._projector is not None:
                self._closed_rows = self._projector.stats.rows_written
            self._projector = None
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None

    def _on_ack(self, positions: Sequence[Position]) -> None:
        """Called by the writer (on this thread) after a batch is stored."""
        self._offsets.stored(positions)

    def _is_copy(self, record: KafkaRecord) -> bool:
        """A record marked as repeating one on another projected topic (``COPY_OF_HEADER``)."""
        for key, value in record.headers or ():
            if key == COPY_OF_HEADER and value in self._copy_markers:
                return True
        return False

    def _record_of(self, record: KafkaRecord) -> Record | None:
        """The model to project for ``record``; a dead letter when it cannot be one; None for a tombstone."""
        if record.value is None:
            return None
        spec = self._specs.get(record.topic)
        try:
            model = decode(record.value)
        except DecodeError as error:
            return self._refused(record, error.reason_code, error.message)
        type_name = type(model).__name__
        if spec is None or type_name not in spec.value_types:
            return self._refused(
                record, ReasonCode.WRONG_TOPIC, f"a {type_name} does not belong on {record.topic}"
            )
        return cast(Record, model)  # every value type of the projected topics is a Record

    def _refused(self, record: KafkaRecord, reason: ReasonCode, message: str) -> Record:
        self._undecodable += 1
        self.metrics.undecodable.labels(record.topic).inc()
        self._log.warning(
            "record not projectable; stored as a dead letter",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason_code=reason.value,
            message=message,
        )
        return dead_letter(
            record.value or b"",
            reason_code=reason,
            message=f"projector: {message}",
            position=SourcePosition(record.topic, record.partition, record.offset),
            failed_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        )

    def _take(self, records: Sequence[KafkaRecord]) -> int:
        """Hand ``records`` to the projector in order; returns how many it took before backpressure."""
        projector = self._projector
        assert projector is not None
        offsets = self._offsets
        for index, record in enumerate(records):
            partition = (record.topic, record.partition)
            tracked = not isinstance(record, BundledRecord) or record.tracked
            copy = self._is_copy(record)
            self._copies += copy
            model = None if copy else self._record_of(record)
            if model is None:
                if tracked:
                    offsets.skipped(partition, record.offset)
                continue
            try:
                projector.add(model, (record.topic, record.partition, record.offset) if tracked else None)
            except BackpressureError:
                return index
            if tracked:
                offsets.taken(partition, record.offset)
        return len(records)

    def _forget(self, partitions: Sequence[tuple[str, int]]) -> None:
        self._offsets.forget(partitions)

    def _flush(self) -> None:
        assert self._projector is not None
        self._projector.flush()

    def _pending_rows(self) -> int:
        return 0 if self._projector is None else self._projector.pending_rows

    def _rows_written(self) -> int:
        return self._closed_rows if self._projector is None else self._projector.stats.rows_written

    # --- the event loop ------------------------------------------------------------------

    def partitions_assigned(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        if self._backlog:
            consumer.pause(*assigned)
        self.health.set("kafka", True, f"{len(consumer.assignment())} partitions assigned")
        self._log.info("partitions assigned", partitions=len(assigned))

    async def partitions_revoked(self, consumer: AIOKafkaConsumer, revoked: set[TopicPartition]) -> None:
        """Store and commit what was taken from ``revoked`` before another member reads it."""
        if not revoked:
            return
        try:
            await self._written(self._flush)
        except WarehouseUnavailableError as error:
            self._log.warning("flush before revocation failed; the next owner re-reads", error=str(error))
        await self._commit_acked(consumer)
        await self._call(self._forget, [(tp.topic, tp.partition) for tp in revoked])
        self._backlog = [r for r in self._backlog if TopicPartition(r.topic, r.partition) not in revoked]
        self.metrics.forget_partitions(self._group, [(tp.topic, tp.partition) for tp in revoked])

    async def _written(self, function: Callable[[], None]) -> bool:
        """Run a writer call; track warehouse health; True when it wrote (or had nothing to write)."""
        try:
            await self._call(function)
        except WarehouseUnavailableError as error:
            self.metrics.write_failures.inc()
            self.health.set("warehouse", False, str(error))
            if self._unavailable_since is None:
                self._unavailable_since = self._clock()
            if self._clock() - self._unavailable_since >= self.options.max_unavailable_s:
                raise WarehouseGaveUpError(
                    f"the warehouse refused writes for {self.options.max_unavailable_s:.0f} s: {error}"
                ) from error
            raise
        self._unavailable_since = None
        self.health.set("warehouse", True, f"{self._rows_written()} rows written")
        return True

    async def _commit_acked(self, consumer: AIOKafkaConsumer) -> None:
        """Commit every partition's offset that moved since the last commit (see ``CommitTracker``)."""
        moved = self._offsets.pending_commits()
        if not moved:
            return
        assigned = consumer.assignment()
        offsets = {
            TopicPartition(topic, partition): offset
            for (topic, partition), offset in moved.items()
            if TopicPartition(topic, partition) in assigned
            and self._committed.get((topic, partition)) != offset
        }
        await self._commit(consumer, offsets)

    async def _commit(self, consumer: AIOKafkaConsumer, offsets: Mapping[TopicPartition, int]) -> None:
        if not offsets:
            return
        try:
            await consumer.commit(dict(offsets))
        except (CommitFailedError, IllegalStateError) as error:
            # A rebalance took the partitions; their next owner re-reads from the last commit.
            self._log.warning("commit failed; records will be re-read and deduplicated", error=str(error))
            return
        except KafkaError as error:  # the coordinator moved or is loading: try again next time
            self._log.warning("commit failed; retrying with the next commit", error=str(error))
            self._offsets.restore({(tp.topic, tp.partition): offset for tp, offset in offsets.items()})
            return
        self._commits += 1
        self.metrics.commits.inc()
        for tp, offset in offsets.items():
            self._committed[(tp.topic, tp.partition)] = offset

    async def _commit_positions(self, consumer: AIOKafkaConsumer) -> None:
        """With nothing taken unwritten, every assigned partition is done up to its position
        (this also moves past tombstones and transaction markers, which the writer never acks)."""
        if self._backlog or self._pending_rows():
            return
        await self._commit_acked(consumer)
        offsets: dict[TopicPartition, int] = {}
        for tp in consumer.assignment():
            position = await consumer.position(tp)
            if self._committed.get((tp.topic, tp.partition)) != position:
                offsets[tp] = position
        await self._commit(consumer, offsets)

    async def _caught_up(self, consumer: AIOKafkaConsumer) -> bool:
        assigned = list(consumer.assignment())
        if not assigned:
            return False
        ends = await consumer.end_offsets(assigned)
        for tp in assigned:
            if await consumer.position(tp) < ends[tp]:
                return False
        return True

    async def _retry_backlog(self, consumer: AIOKafkaConsumer) -> None:
        """Write the waiting batch, then offer the kept records again; resume when all are taken."""
        try:
            await self._written(self._flush)
        except WarehouseGaveUpError:
            raise
        except WarehouseUnavailableError:
            return
        taken = await self._call(self._take, self._backlog)
        self._backlog = self._backlog[taken:]
        if not self._backlog:
            consumer.resume(*consumer.assignment())
            self.metrics.backpressure.set(0)
            self.health.set("backpressure", True, "fetching")

    async def _handle(self, consumer: AIOKafkaConsumer, records: list[KafkaRecord]) -> None:
        records, copies = unbundled(records)
        self._copies += copies
        counts: dict[str, int] = {}
        for record in records:
            counts[record.topic] = counts.get(record.topic, 0) + 1
        for topic, count in counts.items():
            self.metrics.projected.labels(topic).inc(count)
        self._records += len(records)
        taken = await self._call(self._take, records)
        if taken < len(records):
            self._backlog = records[taken:]
            consumer.pause(*consumer.assignment())
            self.metrics.backpressure.set(1)
            self.health.set(
                "backpressure", False, f"paused: {len(self._backlog)} records wait for the warehouse"
            )
            self._log.warning("warehouse backpressure; fetching paused", waiting=len(self._backlog))

    async def _idle(self, consumer: AIOKafkaConsumer) -> None:
        """Nothing came within a poll: what is taken is all there is for now, so write it."""
        try:
            await self._written(self._flush)
        except WarehouseGaveUpError:
            raise
        except WarehouseUnavailableError:
            return
        await self._commit_positions(consumer)
        if self._records > self._records_at_last_catch_up and not self._backlog and not self._pending_rows():
            self._log.info(
                "caught up: everything consumed is stored and committed",
                records=self._records - self._records_at_last_catch_up,
            )
            self._records_at_last_catch_up = self._records

    async def _consume(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        options = self.options
        last_record_at = self._clock()
        next_lag_refresh = self._clock()
        while not stop.is_set():
            if self._backlog:
                await self._retry_backlog(consumer)
            batch = await consumer.getmany(timeout_ms=options.poll_ms, max_records=options.fetch_max_records)
            records = [record for records in batch.values() for record in records]
            if records:
                last_record_at = self._clock()
                await self._handle(consumer, records)
            elif not self._backlog:
                await self._idle(consumer)
                idle_for = self._clock() - last_record_at
                idle_enough = options.until_idle_s is not None and idle_for >= options.until_idle_s
                if idle_enough and not self._pending_rows() and await self._caught_up(consumer):
                    self._log.info("caught up and idle; stopping", idle_s=round(idle_for, 3))
                    return
            await self._commit_acked(consumer)
            if self._clock() >= next_lag_refresh:
                next_lag_refresh = self._clock() + options.lag_refresh_s
                try:
                    await refresh_consumer_lag(consumer, self._group, self.metrics)
                except (KafkaError, IllegalStateError) as error:
                    self._log.debug("lag refresh skipped", error=str(error))

    async def run(self, stop: asyncio.Event | None = None) -> ProjectorReport:
        """Project until ``stop`` is set (or, with ``until_idle_s``, until caught up and idle)."""
        started = self._clock()
        stop_event = stop if stop is not None else asyncio.Event()
        await ensure_topics(self.kafka, PROJECTED_TOPICS)
        self.health.set("warehouse", False, "opening")
        await self._call(self._open)
        self.health.set("warehouse", True, "migrated")
        consumer = AIOKafkaConsumer(
            **self.kafka.client_options(),
            group_id=self._group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level=self.options.isolation_level,
        )
        self.health.set("kafka", False, "joining the group")
        try:
            await consumer.start()
            consumer.subscribe(list(self._specs), listener=_Rebalance(self, consumer))
            try:
                await self._consume(consumer, stop_event)
                await self._finish(consumer)
            finally:
                await consumer.stop()
        finally:
            await self._call(self._close)
            self._pool.shutdown(wait=True)
        return ProjectorReport(
            records=self._records,
            rows_written=self._rows_written(),
            undecodable=self._undecodable,
            copies_skipped=self._copies,
            commits=self._commits,
            committed=dict(self._committed),
            seconds=self._clock() - started,
        )

    async def _finish(self, consumer: AIOKafkaConsumer) -> None:
        """Graceful stop: write what was taken, commit what was written."""
        if self._backlog:
            await self._retry_backlog(consumer)
        try:
            await self._written(self._flush)
        except WarehouseUnavailableError as error:
            self._log.error("final flush failed; unwritten records stay uncommitted", error=str(error))
            await self._commit_acked(consumer)
            raise
        await self._commit_positions(consumer)
        await self._commit_acked(consumer)
        self._log.info("projector stopped", records=self._records, rows_written=self._rows_written())


async def run_projector(
    kafka: KafkaSettings,
    open_warehouse: Callable[[], Warehouse],
    options: ProjectorOptions | None = None,
    *,
    stop: asyncio.Event | None = None,
    metrics: PipelineMetrics | None = None,
    health: Health | None = None,
) -> ProjectorReport:
    """Run one projector until stopped (or caught up and idle); see ``ProjectorService``."""
    service = ProjectorService(kafka, open_warehouse, options, metrics=metrics, health=health)
    return await service.run(stop)
