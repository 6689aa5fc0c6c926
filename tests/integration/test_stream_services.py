"""The services around the workers, against the real broker: topics, produce, projector, alerts tail,
metrics endpoint."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import struct
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import aiohttp
import pyarrow as pa
import pytest
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from typer.testing import CliRunner

from projections.rows import Record
from projections.settings import EmbeddedSettings
from projections.warehouse import ParamValue, Warehouse, WarehouseError, open_warehouse
from projections.writer import BatchLimits, RetryPolicy
from schemas.codec import decode, encode
from schemas.events import InputEvent, SaleChannel, SaleRecorded
from schemas.jsonform import to_json
from schemas.models import is_input_event
from schemas.outputs import AlertStatus, ConflictAlert, DeadLetter
from schemas.topics import (
    CONFLICT_ALERTS,
    COPY_OF_HEADER,
    CUSTOMER_EVENTS,
    INGRESS,
    LEDGER_ENTRIES,
    PARTNER_EVENTS,
    STREAMING_TOPICS,
    input_route,
    output_route,
)
from services.alerts_tail import AlertMessage, tail_alerts
from services.cli import build_app
from services.kafka_settings import KafkaSettings
from services.metrics import Health, PipelineMetrics, start_metrics_server
from services.produce import ingress_key, produce_records
from services.projector_service import (
    PROJECTED_TOPICS,
    ProjectorOptions,
    WarehouseGaveUpError,
    run_projector,
)
from services.topic_admin import TopicAdminError, ensure_topics, partition_counts
from tests.integration.kafka_admin import create_topics
from tests.unit.projections.dataset import generate
from tests.unit.schemas.examples import example

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

REFERENCE = ["--reference-time", "2027-06-01T00:00:00Z"]


class KafkaRecord(Protocol):
    """The parts of aiokafka's (untyped) ``ConsumerRecord`` these tests read."""

    @property
    def key(self) -> bytes | None: ...

    @property
    def value(self) -> bytes: ...


@pytest.fixture(autouse=True)
def _unconfigure_logging() -> Iterator[None]:
    # The CLI configures structlog bound to CliRunner's stderr, which is closed afterwards.
    yield
    structlog.reset_defaults()


@pytest.fixture
def settings(kafka_bootstrap: str, topic_prefix: str) -> KafkaSettings:
    return KafkaSettings(bootstrap=kafka_bootstrap, topic_prefix=f"{topic_prefix}-")


def _cli(settings: KafkaSettings, *args: str) -> tuple[int, str, str]:
    kafka = ["--bootstrap", settings.bootstrap, "--topic-prefix", settings.topic_prefix]
    result = CliRunner().invoke(build_app(), [*args, *kafka])
    return result.exit_code, result.stdout, result.stderr


# --- broker helpers ----------------------------------------------------------------------


async def _read_topic(settings: KafkaSettings, topic: str) -> list[KafkaRecord]:
    """Every record of ``topic`` up to its end offsets now, partition by partition in offset order."""
    count = (await partition_counts(settings, [topic]))[topic]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: dict[int, list[KafkaRecord]] = {tp.partition: [] for tp in partitions}
        async with asyncio.timeout(60):
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                    records[tp.partition].extend(batch)
    finally:
        await consumer.stop()
    return [record for partition in sorted(records) for record in records[partition]]


async def _send(settings: KafkaSettings, messages: Sequence[tuple[str, bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def _committed(settings: KafkaSettings, group: str) -> dict[tuple[str, int], int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.group(group))
    finally:
        await admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def _end_offsets(settings: KafkaSettings, topics: Sequence[str]) -> dict[tuple[str, int], int]:
    counts = await partition_counts(settings, topics)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(counts[topic])]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}


# --- topics ------------------------------------------------------------------------------


def test_topics_are_created_once_with_the_catalog_shape(settings: KafkaSettings) -> None:
    async def scenario() -> tuple[object, object, dict[str, int], dict[str, str]]:
        first = await ensure_topics(settings)
        second = await ensure_topics(settings)
        names = [settings.topic(spec) for spec in STREAMING_TOPICS]
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(names)
            configs = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
            )
        finally:
            await admin.close()
        partitions = {entry["topic"]: len(entry["partitions"]) for entry in described}
        policies = {
            resource[3]: {entry[0]: entry[1] for entry in resource[4]}["cleanup.policy"]
            for response in configs
            for resource in response.resources
        }
        return first, second, partitions, policies

    first, second, partitions, policies = asyncio.run(scenario())
    names = tuple(settings.topic(spec) for spec in STREAMING_TOPICS)
    assert first.created == names and first.existing == () and first.mismatches == ()  # type: ignore[attr-defined]
    assert second.created == () and second.existing == names and second.mismatches == ()  # type: ignore[attr-defined]
    for spec in STREAMING_TOPICS:
        assert partitions[settings.topic(spec)] == spec.partitions
        assert policies[settings.topic(spec)] == spec.cleanup_policy.value
    assert partitions[settings.topic(INGRESS)] == 1
    assert policies[settings.topic(CONFLICT_ALERTS)] == "compact"


def test_an_existing_topic_of_another_shape_is_reported_not_changed(settings: KafkaSettings) -> None:
    ingress = settings.topic(INGRESS)

    async def scenario() -> tuple[object, str]:
        await create_topics(settings.bootstrap, [NewTopic(ingress, 3, 1)])
        report = await ensure_topics(settings, [INGRESS])
        try:
            await ensure_topics(settings, [INGRESS], strict=True)
        except TopicAdminError as error:
            return report, str(error)
        return report, ""

    report, strict_error = asyncio.run(scenario())
    mismatches = report.mismatches  # type: ignore[attr-defined]
    # Created with broker defaults: three partitions break the file order, seven days of
    # retention would lose the evidence; both are reported, neither is altered.
    assert [(m.setting, m.expected, m.actual) for m in mismatches] == [
        ("partitions", "1", "3"),
        ("retention.ms", "-1", "604800000"),
    ]
    assert "partitions is 3, the catalog says 1" in strict_error


def test_topics_create_command_is_idempotent(settings: KafkaSettings) -> None:
    first_code, first, _ = _cli(settings, "topics", "create")
    second_code, second, _ = _cli(settings, "topics", "create")
    assert (first_code, second_code) == (0, 0)
    names = [settings.topic(spec) for spec in STREAMING_TOPICS]
    assert first.splitlines() == [f"created  {name}" for name in names]
    assert second.splitlines() == [f"exists   {name}" for name in names]


# --- produce -----------------------------------------------------------------------------


def _example_events() -> list[InputEvent]:
    names = ["PartnerOnboarded", "DealRegistered", "SaleRecorded", "SupportCaseOpened", "PayoutIssued"]
    names += ["SaleReturned", "AlertAcknowledged", "ClockTicked"]
    return [example(name) for name in names]


def test_produce_sends_a_file_to_the_ingress_in_file_order_with_keys(
    settings: KafkaSettings, tmp_path: Path
) -> None:
    events = _example_events()
    lines = [json.dumps(to_json(event)) for event in events]
    lines.insert(3, '{"event_type": "SaleRecorded", "event_id": 42}')  # line 4: not an event
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out, err = _cli(settings, "produce", str(path), *REFERENCE)

    assert code == 1  # one record not sent
    assert f"{path}:4: SCHEMA_VIOLATION event_id: " in err
    assert f"sent {len(events)} record(s)" in out and "1 invalid record(s) not sent" in out
    records = asyncio.run(_read_topic(settings, settings.topic(INGRESS)))
    assert [decode(r.value) for r in records] == events
    assert [r.key for r in records] == [ingress_key(e).encode() for e in events]


def test_produce_send_invalid_keeps_bad_records_in_place_as_raw_bytes(
    settings: KafkaSettings, tmp_path: Path
) -> None:
    events = _example_events()[:3]
    garbage = b"\x07not an avro record"
    frames = [encode(events[0]), garbage, encode(events[1]), encode(events[2])]
    path = tmp_path / "events.avro"
    path.write_bytes(b"".join(struct.pack(">I", len(frame)) + frame for frame in frames))

    code, out, err = _cli(settings, "produce", str(path), "--send-invalid", *REFERENCE)

    assert code == 0, err
    assert f"{path}:record 2: UNDECODABLE" in err
    assert "1 of them invalid" in out
    records = asyncio.run(_read_topic(settings, settings.topic(INGRESS)))
    assert [r.value for r in records] == frames  # in file order, the bad one raw in its place


def test_produce_by_stream_routes_every_event_to_its_input_topic(settings: KafkaSettings) -> None:
    events = _example_events()
    report = asyncio.run(produce_records(settings, events, by_stream=True))
    assert report.sent == len(events)
    expected: dict[str, list[tuple[str, InputEvent]]] = {}
    for event in events:
        found = input_route(event)
        expected.setdefault(settings.topic(found.topic), []).append((found.key, event))
    assert dict(report.by_topic) == {topic: len(items) for topic, items in expected.items()}
    for topic, items in expected.items():
        records = asyncio.run(_read_topic(settings, topic))
        got = sorted((r.key, decode(r.value).event_id) for r in records)  # type: ignore[union-attr]
        assert got == sorted((key.encode(), event.event_id) for key, event in items)
    assert asyncio.run(_read_topic(settings, settings.topic(INGRESS))) == []


# --- projector ---------------------------------------------------------------------------


def _messages_for(
    settings: KafkaSettings, records: Sequence[Record]
) -> list[tuple[str, bytes | None, bytes]]:
    """Input events on both internal topics (when they have both keys), outputs on theirs."""
    messages: list[tuple[str, bytes | None, bytes]] = []
    for record in records:
        data = encode(record)
        if is_input_event(record):
            partner = getattr(record, "partner_id", None)
            customer = getattr(record, "customer_id", None)
            if partner:
                messages.append((settings.topic(PARTNER_EVENTS), partner.encode(), data))
            if customer or not partner:
                key = customer or input_route(record).key  # type: ignore[arg-type]
                messages.append((settings.topic(CUSTOMER_EVENTS), key.encode(), data))
        else:
            route = output_route(record)  # type: ignore[arg-type]
            messages.append((settings.topic(route.topic), route.key.encode(), data))
    return messages


def _count(warehouse: Warehouse, sql: str, params: Mapping[str, ParamValue] | None = None) -> int:
    return int(str(warehouse.query(sql, params).scalar()))


def _chdb(tmp_path: Path) -> EmbeddedSettings:
    return EmbeddedSettings(data_dir=tmp_path / "chdb")


def test_projector_stores_every_topic_and_commits_exactly_what_it_wrote(
    settings: KafkaSettings, tmp_path: Path
) -> None:
    records = generate(seed=3, partners=2, sales_per_partner=6)
    messages = _messages_for(settings, records)
    garbage_topic = settings.topic(LEDGER_ENTRIES)
    messages.append((garbage_topic, b"P-x", b"\x00garbage on an output topic"))
    topics = [settings.topic(spec) for spec in PROJECTED_TOPICS]

    async def scenario() -> tuple[int, dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        await ensure_topics(settings, PROJECTED_TOPICS)
        await _send(settings, messages)
        report = await run_projector(
            settings, lambda: open_warehouse(_chdb(tmp_path)), ProjectorOptions(until_idle_s=0.5)
        )
        return (
            report.records,
            await _committed(settings, "cl-projector"),
            await _end_offsets(settings, topics),
        )

    taken, committed, ends = asyncio.run(scenario())

    assert taken == len(messages)
    assert committed == ends  # every partition, empty ones included, committed to its end
    events = [r for r in records if is_input_event(r)]
    with open_warehouse(_chdb(tmp_path)) as warehouse:
        assert _count(warehouse, "SELECT count() FROM events") == len(events)  # one row per event id
        assert _count(warehouse, "SELECT count() FROM ledger_entries") == sum(
            type(r).__name__ == "LedgerEntry" for r in records
        )
        assert _count(warehouse, "SELECT count() FROM alert_revisions") == sum(
            isinstance(r, ConflictAlert) for r in records
        )
        letters = sum(isinstance(r, DeadLetter) for r in records)
        assert _count(warehouse, "SELECT count() FROM dead_letters") == letters + 1
        refused = warehouse.query(
            "SELECT reason_code, original FROM dead_letters WHERE source_topic = {t:String}",
            {"t": garbage_topic},
        )
        ((reason, original),) = refused.rows
        # The String column comes back as text when the bytes happen to be UTF-8.
        assert reason == "UNDECODABLE"
        assert (original if isinstance(original, bytes) else str(original).encode()) == messages[-1][2]


def test_projector_skips_copies_marked_by_the_intake_without_decoding_them(
    settings: KafkaSettings, tmp_path: Path
) -> None:
    sales = _sales(6)
    direct = dataclasses.replace(
        example("SaleRecorded"),
        event_id="0bbe4fc3-cf9a-504f-825d-1ccd21a0ffff",
        channel=SaleChannel.DIRECT,
        partner_id=None,
    )
    marker = [(COPY_OF_HEADER, PARTNER_EVENTS.name.encode())]
    customer_events, partner_events = settings.topic(CUSTOMER_EVENTS), settings.topic(PARTNER_EVENTS)
    topics = [settings.topic(spec) for spec in PROJECTED_TOPICS]

    async def scenario() -> tuple[int, dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        await ensure_topics(settings, PROJECTED_TOPICS)
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all")
        await producer.start()
        try:
            for sale in sales:
                await producer.send(partner_events, encode(sale), key=str(sale.partner_id).encode())
                # The copy is not even Avro: were it decoded, it would become a dead letter.
                await producer.send(customer_events, b"copy", key=sale.customer_id.encode(), headers=marker)
            await producer.send(customer_events, encode(direct), key=direct.customer_id.encode())
            await producer.flush()
        finally:
            await producer.stop()
        report = await run_projector(
            settings, lambda: open_warehouse(_chdb(tmp_path)), ProjectorOptions(until_idle_s=0.3)
        )
        committed = await _committed(settings, "cl-projector")
        return report.copies_skipped, committed, await _end_offsets(settings, topics)

    copies, committed, ends = asyncio.run(scenario())
    assert copies == len(sales)
    assert committed == ends
    with open_warehouse(_chdb(tmp_path)) as warehouse:
        assert _count(warehouse, "SELECT count() FROM events") == len(sales) + 1
        assert _count(warehouse, "SELECT count() FROM dead_letters") == 0


class _RefusingInserts(Warehouse):
    """A real warehouse whose data inserts fail: always, or the first ``failures`` times."""

    def __init__(self, inner: Warehouse, failures: int | None) -> None:
        super().__init__(inner.database)
        self.inner = inner
        self.remaining = failures
        self.refused = 0

    def command(self, sql: str) -> None:
        self.inner.command(sql)

    def query_arrow(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> pa.Table:
        return self.inner.query_arrow(sql, params, read_only=read_only)

    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        if table != "schema_migrations" and (self.remaining is None or self.remaining > 0):
            self.refused += 1
            if self.remaining is not None:
                self.remaining -= 1
            raise WarehouseError(f"injected failure inserting into {table}")
        self.inner.insert(table, data, dedup_token=dedup_token)

    def close(self) -> None:
        self.inner.close()


def _sales(count: int) -> list[SaleRecorded]:
    sale = example("SaleRecorded")
    return [
        dataclasses.replace(sale, event_id=f"0bbe4fc3-cf9a-504f-825d-{index:012d}", sale_id=f"SO-{index}")
        for index in range(count)
    ]


def test_projector_commits_nothing_while_the_warehouse_refuses_writes(
    settings: KafkaSettings, tmp_path: Path
) -> None:
    opened: list[_RefusingInserts] = []

    def refusing() -> Warehouse:
        opened.append(_RefusingInserts(open_warehouse(_chdb(tmp_path)), failures=None))
        return opened[-1]

    options = ProjectorOptions(
        until_idle_s=0.2,
        limits=BatchLimits(max_rows=4),
        retry=RetryPolicy(max_attempts=2, initial_backoff_s=0.01),
        max_unavailable_s=0.5,
    )

    async def scenario() -> tuple[str, dict[tuple[str, int], int]]:
        await ensure_topics(settings, PROJECTED_TOPICS)
        await _send(settings, _messages_for(settings, _sales(12)))
        try:
            await run_projector(settings, refusing, options)
        except WarehouseGaveUpError as error:
            return str(error), await _committed(settings, "cl-projector")
        return "", await _committed(settings, "cl-projector")

    error, committed = asyncio.run(scenario())
    assert "refused writes" in error
    assert opened[0].refused >= 2
    assert committed == {}  # nothing was stored, so nothing was committed


def test_projector_pauses_under_backpressure_and_catches_up_when_writes_succeed(
    settings: KafkaSettings, tmp_path: Path
) -> None:
    flaky: list[_RefusingInserts] = []

    def flaky_warehouse() -> Warehouse:
        flaky.append(_RefusingInserts(open_warehouse(_chdb(tmp_path)), failures=3))
        return flaky[-1]

    sales = _sales(40)
    messages = _messages_for(settings, sales)
    options = ProjectorOptions(
        until_idle_s=0.3,
        limits=BatchLimits(max_rows=8),  # small batches: the fetch cannot all be taken at once
        retry=RetryPolicy(max_attempts=1, initial_backoff_s=0),
        fetch_max_records=500,
    )
    topics = [settings.topic(spec) for spec in PROJECTED_TOPICS]
    metrics = PipelineMetrics()
    health = Health(component="projector")

    async def scenario() -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        await ensure_topics(settings, PROJECTED_TOPICS)
        await _send(settings, messages)
        await run_projector(settings, flaky_warehouse, options, metrics=metrics, health=health)
        return await _committed(settings, "cl-projector"), await _end_offsets(settings, topics)

    committed, ends = asyncio.run(scenario())
    assert flaky[0].refused == 3
    assert committed == ends
    assert (metrics.registry.get_sample_value("channel_ledger_projector_write_failures_total") or 0) >= 1
    # It paused (the check exists only once backpressure happened) and resumed.
    assert health.report()["checks"]["backpressure"]["ok"] is True  # type: ignore[index]
    assert metrics.registry.get_sample_value("channel_ledger_projector_backpressure") == 0
    with open_warehouse(_chdb(tmp_path)) as warehouse:
        assert _count(warehouse, "SELECT count() FROM events") == len(sales)


def test_project_command_runs_until_idle(settings: KafkaSettings, tmp_path: Path) -> None:
    sales = _sales(5)
    asyncio.run(ensure_topics(settings, PROJECTED_TOPICS))
    asyncio.run(_send(settings, _messages_for(settings, sales)))
    code, out, err = _cli(
        settings,
        "project",
        "--until-idle",
        "0.3",
        "--data-dir",
        str(tmp_path / "chdb"),
        "--group",
        "cli-proj",
    )
    assert code == 0, err
    assert f"projected {len(sales) * 2} record(s)" in out  # each sale on both internal topics
    committed = asyncio.run(_committed(settings, "cli-proj"))
    assert sum(committed.values()) == len(sales) * 2


def test_project_rebuild_rematerializes_from_the_topics(settings: KafkaSettings, tmp_path: Path) -> None:
    sales = _sales(4)
    asyncio.run(ensure_topics(settings, PROJECTED_TOPICS))
    asyncio.run(_send(settings, _messages_for(settings, sales)))
    data_dir = str(tmp_path / "chdb")
    code, _, err = _cli(settings, "project", "--until-idle", "0.3", "--data-dir", data_dir)
    assert code == 0, err
    with open_warehouse(_chdb(tmp_path)) as warehouse:
        # Something an earlier run left behind that the topics do not hold.
        warehouse.command("INSERT INTO events_store (event_id, event_type) VALUES ('stray', 'SaleRecorded')")
        assert _count(warehouse, "SELECT count() FROM events") == len(sales) + 1
    code, out, err = _cli(settings, "project", "--rebuild", "--until-idle", "0.3", "--data-dir", data_dir)
    assert code == 0, err
    assert f"projected {len(sales) * 2} record(s)" in out  # read again from the start
    with open_warehouse(_chdb(tmp_path)) as warehouse:
        assert _count(warehouse, "SELECT count() FROM events") == len(sales)


def test_project_process_stops_gracefully_on_sigterm(settings: KafkaSettings, tmp_path: Path) -> None:
    sales = _sales(8)
    topics = [settings.topic(spec) for spec in PROJECTED_TOPICS]
    command = [sys.executable, "-m", "services", "--log-format", "json", "project"]
    command += ["--data-dir", str(tmp_path / "chdb"), "--bootstrap", settings.bootstrap]
    command += ["--topic-prefix", settings.topic_prefix]

    async def scenario() -> tuple[int, str, dict[tuple[str, int], int], dict[tuple[str, int], int]]:
        await ensure_topics(settings, PROJECTED_TOPICS)
        await _send(settings, _messages_for(settings, sales))
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        assert process.stderr is not None and process.stdout is not None
        try:
            async with asyncio.timeout(90):
                while b"caught up" not in (line := await process.stderr.readline()):
                    assert line, "the projector exited before catching up"
                process.send_signal(signal.SIGTERM)
                out, _ = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
        code = await process.wait()
        return (
            code,
            out.decode(),
            await _committed(settings, "cl-projector"),
            await _end_offsets(settings, topics),
        )

    code, out, committed, ends = asyncio.run(scenario())
    assert code == 0
    assert f"projected {len(sales) * 2} record(s)" in out
    assert committed == ends


# --- alerts tail -------------------------------------------------------------------------


def _alerts() -> list[ConflictAlert]:
    records = generate(seed=5, partners=3, sales_per_partner=8)
    alerts = [r for r in records if isinstance(r, ConflictAlert)]
    assert len(alerts) >= 2, "the projections data set stages conflict alerts"
    first = alerts[0]
    revised = dataclasses.replace(first, revision=first.revision + 1, status=AlertStatus.ACKNOWLEDGED)
    return [*alerts[:3], revised]


def _alert_messages(
    settings: KafkaSettings, alerts: Sequence[ConflictAlert]
) -> list[tuple[str, bytes, bytes]]:
    return [(settings.topic(CONFLICT_ALERTS), a.alert_id.encode(), encode(a)) for a in alerts]


def test_alerts_tail_prints_json_lines_from_the_beginning(settings: KafkaSettings) -> None:
    alerts = _alerts()
    asyncio.run(ensure_topics(settings, [CONFLICT_ALERTS]))
    asyncio.run(_send(settings, _alert_messages(settings, alerts)))

    code, out, err = _cli(settings, "alerts", "tail", "--json", "--from-beginning", "--max", str(len(alerts)))

    assert code == 0, err
    printed = [json.loads(line) for line in out.splitlines()]
    key = lambda obj: (obj["alert_id"], obj["revision"])  # noqa: E731
    assert sorted(printed, key=key) == sorted((to_json(a) for a in alerts), key=key)


def test_alerts_tail_prints_table_rows(settings: KafkaSettings) -> None:
    alerts = _alerts()[:2]
    asyncio.run(ensure_topics(settings, [CONFLICT_ALERTS]))
    asyncio.run(_send(settings, _alert_messages(settings, alerts)))
    code, out, err = _cli(settings, "alerts", "tail", "--from-beginning", "--max", "2")
    assert code == 0, err
    assert "severity" in out.splitlines()[0]  # one header, then a row per alert
    for alert in alerts:
        assert alert.alert_id[:8] in out and alert.rule_id.value in out


def test_alerts_tail_from_the_end_sees_only_new_alerts_and_a_group_resumes(settings: KafkaSettings) -> None:
    old, new, newer = _alerts()[:3]

    async def scenario() -> tuple[list[AlertMessage], list[AlertMessage], list[AlertMessage]]:
        await ensure_topics(settings, [CONFLICT_ALERTS])
        await _send(settings, _alert_messages(settings, [old]))
        seen: list[AlertMessage] = []
        ready = asyncio.Event()
        tail = asyncio.create_task(tail_alerts(settings, seen.append, max_alerts=1, ready=ready))
        await ready.wait()
        await _send(settings, _alert_messages(settings, [new]))
        await asyncio.wait_for(tail, 60)
        grouped: list[AlertMessage] = []
        await tail_alerts(settings, grouped.append, group="pager", from_beginning=True, max_alerts=2)
        await _send(settings, _alert_messages(settings, [newer]))
        resumed: list[AlertMessage] = []
        await tail_alerts(settings, resumed.append, group="pager", max_alerts=1)
        return seen, grouped, resumed

    seen, grouped, resumed = asyncio.run(scenario())
    assert [m.alert for m in seen] == [new]
    assert sorted(m.alert.alert_id for m in grouped) == sorted([old.alert_id, new.alert_id])
    assert [m.alert for m in resumed] == [newer]  # the group committed what it handled


# --- metrics endpoint --------------------------------------------------------------------


def test_metrics_endpoint_serves_health_and_prometheus_text() -> None:
    metrics = PipelineMetrics()
    health = Health(component="projector")

    async def scenario() -> list[tuple[int, str]]:
        server = await start_metrics_server(0, host="127.0.0.1", metrics=metrics, health=health)
        base = f"http://127.0.0.1:{server.port}"
        answers: list[tuple[int, str]] = []
        try:
            async with aiohttp.ClientSession() as session:
                health.set("kafka", True, "12 partitions assigned")
                metrics.observe_input("cl.ingress")
                metrics.observe_dead_letter("UNDECODABLE")
                for path in ("/health", "/metrics"):
                    async with session.get(base + path) as response:
                        answers.append((response.status, await response.text()))
                health.set("warehouse", False, "connection refused")
                async with session.get(base + "/health") as response:
                    answers.append((response.status, await response.text()))
        finally:
            await server.stop()
        return answers

    (ok_status, ok_body), (metrics_status, text), (failing_status, failing_body) = asyncio.run(scenario())
    assert ok_status == 200 and json.loads(ok_body)["status"] == "ok"
    assert json.loads(ok_body)["checks"]["kafka"]["detail"] == "12 partitions assigned"
    assert metrics_status == 200
    assert 'channel_ledger_events_total{topic="cl.ingress"} 1.0' in text
    assert 'channel_ledger_dead_letters_total{reason_code="UNDECODABLE"} 1.0' in text
    assert failing_status == 503 and json.loads(failing_body)["status"] == "failing"
