"""The Faust application: intake, partner and customer agents around the pure core.

``create_app`` builds everything from settings; importing this module creates nothing.

- intake: consumes the ordered ingress topic and the per-stream input topics, runs the intake
  gate (decode + validate), forwards accepted bytes unchanged to the partner-keyed and
  customer-keyed internal topics, and dead-letters the rest with the reason.
- partners / customers: fold their keyed topic into per-key state held in a changelog-backed
  table (``processors.streaming.keyed_states``), emit the core's outputs to the ledger, alert and
  forgone-accrual topics, and dead-letter the core's refusals.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import faust
from aiokafka.partitioner import murmur2
from faust.streams import Stream, _current_event
from faust.types import EventT
from faust.types.stores import StoreT
from mode import BaseSignalT

from processors import conflicts, partner
from processors.conflicts import CustomerState
from processors.partner import PartnerState
from processors.pipeline import CoreConfig, CoreOutput
from processors.streaming import rewind
from processors.streaming.batch import BatchResult, Emitted, KeyedRecord, fold_batch, replayer
from processors.streaming.changelog import DirectTable
from processors.streaming.keyed_states import KeyedStates
from processors.streaming.settings import StreamSettings
from processors.streaming.snapshots import snapshot_codec
from schemas import topics
from schemas.bundles import BundledEvent, bundle_events, encode_bundles
from schemas.codec import encode
from schemas.intake import SourcePosition, accept, dead_letter, from_rejected
from schemas.outputs import DeadLetter, Rejected
from schemas.reasons import ReasonCode


@dataclass(frozen=True, slots=True)
class Hooks:
    """Optional observers (metrics); the agents call them and never depend on what they do."""

    on_input: Callable[[str], None] = lambda topic: None
    on_dead_letter: Callable[[str], None] = lambda reason: None
    on_output: Callable[[str, int | None], None] = lambda kind, source_timestamp_ms: None


STATE_TABLES: tuple[tuple[str, topics.TopicSpec], ...] = (
    ("partner", topics.PARTNER_EVENTS),
    ("customer", topics.CUSTOMER_EVENTS),
)
"""Each keyed agent's table name and the topic its state is co-partitioned with."""


def changelog_specs(settings: StreamSettings) -> tuple[topics.TopicSpec, ...]:
    """The state tables' changelog topics, to create before the app starts.

    Faust would declare them itself, but only after its first rebalance has begun; creating
    them up front (compacted, kept forever, one partition per source partition) removes that
    race and documents them beside the catalog.
    """
    return tuple(
        topics.TopicSpec(
            name=f"{settings.app_id}-{name}-state-changelog",
            role=topics.TopicRole.INTERNAL,
            value_types=(),
            key_field=source.key_field,
            partitions=source.partitions,
            cleanup_policy=topics.CleanupPolicy.COMPACT,
            description=f"Changelog of the {name} processor's state (offset + state bytes per key).",
        )
        for name, source in STATE_TABLES
    )


SOURCE_HEADER = "cl-source"
"""Header of a forwarded event: ``topic:partition:offset`` where intake read it."""


def source_of(headers: object) -> tuple[str, int, int] | None:
    """The source position in a record's headers (a list of pairs or a mapping), if any."""
    items = headers.items() if isinstance(headers, Mapping) else headers or ()
    for name, value in cast(Iterable[tuple[str, bytes]], items):
        if name == SOURCE_HEADER:
            topic, partition, offset = value.decode().rsplit(":", 2)
            return topic, int(partition), int(offset)
    return None


def keyed_records(event: EventT[bytes]) -> list[KeyedRecord]:
    """The records a keyed topic's event holds: a bundle's events, or the event itself (as
    forwarded one per record before bundles, its source position in the ``cl-source`` header)."""
    message = event.message
    value = bytes(message.value or b"")
    bundled = bundle_events(value)
    if bundled is not None:
        return [
            KeyedRecord(
                key=item.key,
                value=item.value,
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                source=(item.source_topic, item.source_partition, item.source_offset),
                timestamp_ms=item.timestamp_ms,
                handle=event,
            )
            for item in bundled
        ]
    return [
        KeyedRecord(
            key=bytes(message.key or b""),
            value=value,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            timestamp_ms=int(message.timestamp * 1000),
            source=source_of(message.headers),
            handle=event,
        )
    ]


def default_partition(key: bytes, partitions: int) -> int:
    """The partition aiokafka's default partitioner picks for ``key``."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


class KeyPartitioner:
    """aiokafka's default partitioner, remembered per key for the catalog topics it knows.

    aiokafka hashes every record's key in pure Python (murmur2), a few per cent of the worker;
    output keys repeat (partners, customers), so each is hashed once. Topics it does not know,
    and keys past ``max_keys``, are left to aiokafka or hashed again.
    """

    def __init__(self, partitions: Mapping[str, int], max_keys: int = 200_000) -> None:
        self._partitions = dict(partitions)
        self._known: dict[tuple[str, bytes], int] = {}
        self._max_keys = max_keys

    def partition(self, topic_name: str, key: bytes) -> int | None:
        known = self._known.get((topic_name, key))
        if known is not None:
            return known
        partitions = self._partitions.get(topic_name)
        if partitions is None:
            return None
        number = default_partition(key, partitions)
        if len(self._known) >= self._max_keys:
            self._known.clear()
        self._known[(topic_name, key)] = number
        return number


class _Forward:
    """An intake batch's accepted events, grouped by the internal topic partition they go to."""

    __slots__ = ("groups",)

    def __init__(self) -> None:
        self.groups: dict[tuple[str, int], list[BundledEvent]] = {}

    def add(self, topic_name: str, partitions: int, event: BundledEvent) -> None:
        number = default_partition(event.key, partitions)
        self.groups.setdefault((topic_name, number), []).append(event)


def _batches(stream: faust.StreamT[bytes], settings: StreamSettings) -> Any:
    """Batches of events; each batch is acknowledged only when the next one is asked for."""
    return cast(Stream[bytes], stream).take_events(settings.batch_max, within=settings.batch_within_s)


def create_app(settings: StreamSettings, core: CoreConfig, hooks: Hooks | None = None) -> faust.App:
    """Build the worker's Faust app; nothing touches Kafka until the app is started."""
    observe = hooks or Hooks()
    app = faust.App(
        settings.app_name,
        broker=f"kafka://{settings.bootstrap}",
        store="rocksdb://" if settings.store == "rocksdb" else "memory://",
        datadir=str(settings.datadir),
        processing_guarantee=settings.processing_guarantee,
        web_enabled=settings.web_port is not None,
        web_port=settings.web_port or 6066,
        topic_replication_factor=1,
        topic_allow_declare=True,
        producer_acks=-1,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 5),
        broker_rebalance_timeout=max(30.0, settings.session_timeout_s * 3),
        producer_compression_type="lz4",
        # A few milliseconds of linger and large batches: the outputs of a batch leave in a few
        # large produce requests instead of one small request per partition and wake-up.
        producer_linger=settings.producer_linger_s,
        producer_max_batch_size=1_048_576,
        producer_max_request_size=settings.max_message_bytes,
        consumer_max_fetch_size=settings.max_message_bytes,
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=False,
    )
    rewind.install(app)
    prefix = settings.topic_prefix

    def topic(spec: topics.TopicSpec) -> faust.TopicT:
        return app.topic(
            spec.full_name(prefix), partitions=spec.partitions, key_serializer="raw", value_serializer="raw"
        )

    partner_partitions = topics.PARTNER_EVENTS.partitions
    customer_partitions = topics.CUSTOMER_EVENTS.partitions
    intake_specs = (topics.INGRESS, *topics.INPUT_TOPICS)
    allowed = {spec.full_name(prefix): spec.value_types for spec in intake_specs}
    intake_source = app.topic(
        *(spec.full_name(prefix) for spec in intake_specs), key_serializer="raw", value_serializer="raw"
    )
    partner_events = topic(topics.PARTNER_EVENTS)
    customer_events = topic(topics.CUSTOMER_EVENTS)
    partner_events_name = topics.PARTNER_EVENTS.full_name(prefix)
    customer_events_name = topics.CUSTOMER_EVENTS.full_name(prefix)
    dead_letters_name = topics.DEAD_LETTERS.full_name(prefix)
    output_topic_names = {
        name: spec.full_name(prefix) for spec in topics.OUTPUT_TOPICS for name in spec.value_types
    }
    partitioner = KeyPartitioner(
        {spec.full_name(prefix): spec.partitions for spec in (*topics.OUTPUT_TOPICS, topics.DEAD_LETTERS)}
    )

    async def send(
        topic_name: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: float | None = None,
        headers: list[tuple[str, bytes]] | None = None,
        partition: int | None = None,
    ) -> Awaitable[Any]:
        """Hand a record to the app's producer; the result resolves once Kafka has it.

        Straight to Faust's producer rather than through ``Topic.send``: the topic layer's
        per-message bookkeeping (futures, attachments, sensors) was a fifth of the worker's
        time, and these sends need none of it. They go through the same producer, so Faust
        still flushes them before it commits offsets; the catalog topics exist before the app
        starts (``ensure_topics``), and partitions come from the same default partitioner.
        """
        if partition is None and key is not None:
            partition = partitioner.partition(topic_name, key)
        sent = await app.producer.send(topic_name, key, value, partition, timestamp, headers)
        return cast(Awaitable[Any], sent)

    def now() -> datetime:
        return datetime.now(UTC)

    async def send_dead_letter(letter: DeadLetter) -> Awaitable[Any]:
        observe.on_dead_letter(letter.reason_code)
        route = topics.output_route(letter)
        return await send(dead_letters_name, route.key.encode(), encode(letter))

    @app.agent(intake_source)
    async def intake(stream: faust.StreamT[bytes]) -> None:
        async for batch in _batches(stream, settings):
            stamp = now()
            forward = _Forward()
            for event in batch:
                message = event.message
                observe.on_input(message.topic)
                data = bytes(message.value or b"")
                position = SourcePosition(message.topic, message.partition, message.offset)
                result = accept(
                    data,
                    position=position,
                    reference_time=stamp,
                    max_future_skew=settings.max_future_skew,
                    allowed_types=allowed.get(message.topic),
                )
                if isinstance(result, DeadLetter):
                    await send_dead_letter(result)
                    continue
                partner_id = partner.partner_key(result)
                customer_id = conflicts.customer_key(result)
                # The forwarded events carry where intake read them (the processors skip positions
                # they have applied) and the input's timestamp (latency is measured from intake).
                stamp_ms = int(message.timestamp * 1000)
                if partner_id is not None:
                    key = partner_id.encode()
                    forward.add(
                        partner_events_name,
                        partner_partitions,
                        BundledEvent(
                            key, message.topic, message.partition, message.offset, stamp_ms, False, data
                        ),
                    )
                if customer_id is not None:
                    key = customer_id.encode()
                    forward.add(
                        customer_events_name,
                        customer_partitions,
                        BundledEvent(
                            key,
                            message.topic,
                            message.partition,
                            message.offset,
                            stamp_ms,
                            partner_id is not None,  # the projector stores it from the partner topic
                            data,
                        ),
                    )
            for (topic_name, number), bundled in forward.groups.items():
                for bundle in encode_bundles(bundled):
                    await send(topic_name, None, bundle, partition=number)

    async def send_changelog(
        topic_name: str, key: bytes, value: bytes | None, partition: int
    ) -> Awaitable[Any]:
        return await send(topic_name, key, value, partition=partition)

    async def emit(emitted: Sequence[Emitted]) -> None:
        """Send every output of a batch and wait until Kafka has all of them.

        ``force`` bypasses Faust's attachments, which would hold a send until the current
        event is acknowledged: these must be on Kafka before the batch's states are stored.
        """
        pending = []
        stamp = now()
        for item in emitted:
            output: CoreOutput = item.output
            if isinstance(output, Rejected):
                source = item.source
                position = SourcePosition(source.topic, source.partition, source.offset)
                letter = from_rejected(output, source.value, position=position, failed_at=stamp)
                pending.append(await send_dead_letter(letter))
                continue
            route = topics.output_route(output)
            kind = type(output).__name__
            observe.on_output(kind, item.source.timestamp_ms)
            pending.append(await send(output_topic_names[kind], route.key.encode(), encode(output)))
        if pending:
            await asyncio.gather(*pending)

    async def undecodable(result: BatchResult[Any]) -> None:
        for record in result.undecodable or ():
            position = SourcePosition(record.topic, record.partition, record.offset)
            await send_dead_letter(
                dead_letter(
                    record.value,
                    reason_code=ReasonCode.UNDECODABLE,
                    message="record on an internal topic is not a valid input event",
                    position=position,
                    failed_at=now(),
                )
            )

    def keyed_agent(
        name: str,
        source: faust.TopicT,
        spec: topics.TopicSpec,
        states_of: Callable[[Any], KeyedStates[Any]],
        step: Callable[[Any, Any], tuple[Any, list[CoreOutput]]],
    ) -> None:
        table = app.Table(
            f"{name}-state", default=None, key_type=bytes, value_type=bytes, partitions=spec.partitions
        )
        store = cast("StoreT[bytes, bytes]", table.data)
        direct = DirectTable(store, table.changelog_topic.get_topic_name(), store.set_persisted_offset)
        states = states_of(direct)

        @app.agent(source, name=f"{name}-processor")
        async def process(stream: faust.StreamT[bytes]) -> None:
            def focus(record: KeyedRecord) -> None:
                # Faust's stores and changelog find a key's partition from the current event.
                # Only this task's context variable is set: the stream's own ``current_event``
                # is read by take_events' buffering task, and changing it would misfile events.
                _current_event.set(weakref.ref(cast(EventT[bytes], record.handle)))

            async for batch in _batches(stream, settings):
                records = [record for event in batch for record in keyed_records(event)]
                result = fold_batch(records, states, step, focus)
                await emit(result.emitted)
                await undecodable(result)
                await direct.settle()  # the previous batch's states are on Kafka
                for key, slot in result.touched.items():
                    if slot.state is not None:
                        last = result.last_record[key]
                        focus(last)  # a RocksDB store files a key under the current event's partition
                        direct.partition = last.partition
                        states.store(key, slot, result.applied.get(key, ()))
                await direct.send(send_changelog)

        def on_revoked(sender: Any, /, *args: Any, signal: BaseSignalT[Any], **kwargs: Any) -> None:
            states.forget()

        app.on_partitions_revoked.connect(on_revoked)

    def partner_step(state: PartnerState | None, event: Any) -> tuple[PartnerState, list[CoreOutput]]:
        new_state, outputs = partner.apply(state, event, core.book, core.partner)
        return new_state, list(outputs)

    def customer_step(state: CustomerState | None, event: Any) -> tuple[CustomerState, list[CoreOutput]]:
        new_state, outputs = conflicts.apply(state, event, core.conflicts)
        return new_state, list(outputs)

    keyed_agent(
        "partner",
        partner_events,
        topics.PARTNER_EVENTS,
        lambda table: KeyedStates(
            table, *snapshot_codec(PartnerState.from_bytes, PartnerState), replayer(partner_step)
        ),
        partner_step,
    )
    keyed_agent(
        "customer",
        customer_events,
        topics.CUSTOMER_EVENTS,
        lambda table: KeyedStates(
            table, *snapshot_codec(CustomerState.from_bytes, CustomerState), replayer(customer_step)
        ),
        customer_step,
    )
    app.intake_agent = intake  # type: ignore[attr-defined]
    return app
