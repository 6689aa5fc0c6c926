"""Sending events to Kafka in order: files of events (JSONL or Avro) and models, for integrations and tests.

By default every event goes to the single-partition ingress topic, so the pipeline sees exactly
the order of the file (what the embedded runner sees). ``by_stream`` sends each event to its
per-stream input topic instead (``schemas.topics.input_route``), which keeps order per topic only.
The producer is idempotent with ``acks=all``, and aiokafka keeps one request in flight per
partition, so retries never reorder records.

Files are read record by record, never whole: JSONL (one event per line; other JSON shapes
through ``schemas.eventfile``) or length-prefixed single-object Avro, the generator's format
(``services.datagen.writers``). Each record is parsed and checked with the stateless contract
rules (``schemas.validation``); a record that fails is reported with its line (record number
for Avro) and not sent, unless the caller asks to send invalid records on, raw, to the ingress
topic, where the pipeline dead-letters them like any bad input.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final, Literal, cast

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from schemas.codec import DecodeError, EncodeError, decode, encode
from schemas.eventfile import read_raw
from schemas.events import InputEvent
from schemas.jsonform import JsonFormError, from_json
from schemas.models import Model, is_input_event
from schemas.problems import Problem
from schemas.reasons import ReasonCode
from schemas.topics import INGRESS, INPUT_TOPICS, input_route
from schemas.validation import validate
from services.kafka_settings import KafkaSettings
from services.topic_admin import ensure_topics

FileFormat = Literal["jsonl", "json", "avro"]

MAX_IN_FLIGHT: Final = 20_000
"""Sends awaited at most this far behind: bounds memory and surfaces a failure early."""
_AVRO_MAGIC: Final = b"\xc3\x01"
_LENGTH_PREFIX: Final = 4


class ProduceError(RuntimeError):
    """The broker did not take a record; ``sent`` records before it were acknowledged."""

    def __init__(self, message: str, *, sent: int) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Kafka record to send: full topic name, key, value."""

    topic: str
    key: bytes | None
    value: bytes


@dataclass(frozen=True, slots=True)
class ProduceReport:
    sent: int
    by_topic: Mapping[str, int]
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.sent / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class FileItem:
    """One record of an event file: where it is, its bytes, and the event or what is wrong with it."""

    location: int
    """Line number (JSON) or record number counted from 1 (Avro)."""
    size: int
    """Bytes of the file the record spans (for progress); 0 when unknown."""
    original: bytes
    """The record as it is in the file (a JSON line, an Avro payload)."""
    event: InputEvent | None
    encoded: bytes | None
    """The event in Avro single-object encoding (for Avro files, ``original`` itself)."""
    problems: tuple[Problem, ...]

    @property
    def valid(self) -> bool:
        return not self.problems and self.event is not None and self.encoded is not None


# --- routing -----------------------------------------------------------------------------


def ingress_key(event: InputEvent) -> str:
    """The ingress key: partner, else customer, else the event's per-stream key (an alert id)."""
    try:
        return INGRESS.key_of(event)
    except ValueError:
        return input_route(event).key


def route(event: InputEvent, settings: KafkaSettings, *, by_stream: bool) -> tuple[str, bytes]:
    """Full topic name and key bytes for ``event``."""
    if by_stream:
        found = input_route(event)
        return settings.topic(found.topic), found.key.encode()
    return settings.topic(INGRESS), ingress_key(event).encode()


def outgoing_for(record: InputEvent | bytes, settings: KafkaSettings, *, by_stream: bool) -> Outgoing:
    """An event is encoded and routed. Bytes that decode to an input event are routed as that
    event, unchanged; other bytes go to the ingress topic unkeyed, for the pipeline to refuse."""
    if isinstance(record, bytes):
        try:
            model: Model | None = decode(record)
        except DecodeError:
            model = None
        if model is None or not is_input_event(model):
            return Outgoing(settings.topic(INGRESS), None, record)
        event = cast(InputEvent, model)  # is_input_event checked it
        topic, key = route(event, settings, by_stream=by_stream)
        return Outgoing(topic, key, record)
    topic, key = route(record, settings, by_stream=by_stream)
    return Outgoing(topic, key, encode(record))


# --- reading files -----------------------------------------------------------------------


def detect_format(path: Path) -> FileFormat:
    """Avro when the first frame holds the single-object marker (or the name ends in .avro)."""
    with path.open("rb") as source:
        head = source.read(_LENGTH_PREFIX + len(_AVRO_MAGIC))
    if path.suffix.lower() == ".avro" or head[_LENGTH_PREFIX:] == _AVRO_MAGIC:
        return "avro"
    return "jsonl" if path.suffix.lower() == ".jsonl" or _first_line_is_object(path) else "json"


def _first_line_is_object(path: Path) -> bool:
    with path.open("rb") as source:
        for line in source:
            text = line.strip()
            if text:
                return text.startswith(b"{") and text.endswith(b"}")
    return False


def _checked(
    location: int,
    size: int,
    original: bytes,
    model: Model | None,
    problems: list[Problem],
    *,
    encoded: bytes | None,
    reference_time: datetime,
    max_future_skew: timedelta,
) -> FileItem:
    """Stateless checks of a parsed record, and its Avro bytes when it has none yet."""
    event: InputEvent | None = None
    if model is not None and not is_input_event(model):
        problems.append(
            Problem(
                ReasonCode.UNKNOWN_EVENT_TYPE, "event_type", f"{type(model).__name__} is not an input event"
            )
        )
    elif model is not None:
        event = cast(InputEvent, model)  # is_input_event checked it
        problems += validate(event, reference_time=reference_time, max_future_skew=max_future_skew)
        if encoded is None:
            try:
                encoded = encode(model)
            except EncodeError as error:
                problems.append(Problem(ReasonCode.SCHEMA_VIOLATION, error.field, error.message))
    return FileItem(location, size, original, event, encoded, tuple(problems))


def _jsonl_items(path: Path, *, reference_time: datetime, max_future_skew: timedelta) -> Iterator[FileItem]:
    with path.open("rb") as source:
        for number, line in enumerate(source, start=1):
            original = line.rstrip(b"\r\n")
            if not original.strip():
                continue
            problems: list[Problem] = []
            model: Model | None = None
            try:
                value = json.loads(original)
            except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8
                problems.append(Problem(ReasonCode.UNDECODABLE, "", f"invalid JSON: {error}"))
            else:
                if isinstance(value, dict):
                    try:
                        model = from_json(value)
                    except JsonFormError as error:
                        problems += error.problems
                else:
                    problems.append(
                        Problem(
                            ReasonCode.SCHEMA_VIOLATION, "", f"expected an event object, got {value!r:.60}"
                        )
                    )
            yield _checked(
                number,
                len(line),
                original,
                model,
                problems,
                encoded=None,
                reference_time=reference_time,
                max_future_skew=max_future_skew,
            )


def _json_items(path: Path, *, reference_time: datetime, max_future_skew: timedelta) -> Iterator[FileItem]:
    """A JSON array or concatenated objects; an invalid record's bytes are its value re-serialised."""
    with path.open(encoding="utf-8") as stream:
        for raw in read_raw(stream):
            problems: list[Problem] = []
            model: Model | None = None
            original = b"" if raw.syntax_error else json.dumps(raw.value).encode()
            if raw.syntax_error is not None:
                problems.append(Problem(ReasonCode.UNDECODABLE, "", raw.syntax_error))
            elif not isinstance(raw.value, dict):
                problems.append(
                    Problem(
                        ReasonCode.SCHEMA_VIOLATION, "", f"expected an event object, got {raw.value!r:.60}"
                    )
                )
            else:
                try:
                    model = from_json(raw.value)
                except JsonFormError as error:
                    problems += error.problems
            yield _checked(
                raw.line,
                0,
                original,
                model,
                problems,
                encoded=None,
                reference_time=reference_time,
                max_future_skew=max_future_skew,
            )


def _avro_items(path: Path, *, reference_time: datetime, max_future_skew: timedelta) -> Iterator[FileItem]:
    from services.datagen.writers import read_avro_records

    for number, payload in enumerate(read_avro_records(path), start=1):
        problems: list[Problem] = []
        model: Model | None = None
        try:
            model = decode(payload)
        except DecodeError as error:
            problems.append(Problem(error.reason_code, "", error.message))
        yield _checked(
            number,
            _LENGTH_PREFIX + len(payload),
            payload,
            model,
            problems,
            encoded=payload,
            reference_time=reference_time,
            max_future_skew=max_future_skew,
        )


def read_event_file(
    path: Path,
    *,
    reference_time: datetime,
    max_future_skew: timedelta,
    file_format: FileFormat | None = None,
) -> Iterator[FileItem]:
    """Every record of ``path`` in file order, parsed and checked; streamed.

    Raises ``OSError`` for an unreadable file and ``services.datagen.writers.FramingError`` for
    an Avro file cut short (the records before the cut are yielded first).
    """
    chosen = file_format or detect_format(path)
    readers = {"jsonl": _jsonl_items, "json": _json_items, "avro": _avro_items}
    return readers[chosen](path, reference_time=reference_time, max_future_skew=max_future_skew)


# --- sending -----------------------------------------------------------------------------


async def send_messages(
    settings: KafkaSettings,
    messages: Iterable[Outgoing],
    *,
    rate_per_s: float | None = None,
    on_sent: Callable[[int], None] | None = None,
    progress_every: int = 1000,
    clock: Callable[[], float] = time.monotonic,
) -> ProduceReport:
    """Send ``messages`` in order and wait until the broker has acknowledged every one.

    ``rate_per_s`` paces the sends (a steady load for latency measurements); ``on_sent``
    receives the running count every ``progress_every`` records and at the end.
    """
    if rate_per_s is not None and rate_per_s <= 0:
        raise ValueError("rate_per_s must be positive")
    producer = AIOKafkaProducer(
        **settings.client_options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
    )
    counts: Counter[str] = Counter()
    pending: deque[asyncio.Future[object]] = deque()
    sent = 0
    started = clock()
    await producer.start()
    try:
        for index, message in enumerate(messages):
            if rate_per_s is not None:
                ahead_s = started + index / rate_per_s - clock()
                if ahead_s > 0.001:
                    await asyncio.sleep(ahead_s)  # pacing is the point here
            pending.append(await producer.send(message.topic, message.value, key=message.key))
            counts[message.topic] += 1
            while len(pending) > MAX_IN_FLIGHT:
                await pending.popleft()
                sent += 1
            if on_sent is not None and (index + 1) % progress_every == 0:
                on_sent(index + 1)
        await producer.flush()
        while pending:
            await pending.popleft()
            sent += 1
    except KafkaError as error:
        raise ProduceError(
            f"the broker did not take a record after {sent} were acknowledged: {error!r}", sent=sent
        ) from error
    finally:
        await producer.stop()
    total = sum(counts.values())
    if on_sent is not None:
        on_sent(total)
    return ProduceReport(sent=total, by_topic=dict(counts), seconds=clock() - started)


async def produce_records(
    settings: KafkaSettings,
    records: Iterable[InputEvent | bytes],
    *,
    by_stream: bool = False,
    rate_per_s: float | None = None,
    create_topics: bool = True,
    on_sent: Callable[[int], None] | None = None,
) -> ProduceReport:
    """Send events (models, or Avro bytes) in order; see ``outgoing_for`` for how each is routed.

    Nothing is validated here: tests and benchmarks send exactly what they pass, invalid
    bytes included. ``create_topics`` first creates the ingress and input topics if missing.
    """
    if create_topics:
        await ensure_topics(settings, (INGRESS, *INPUT_TOPICS))
    messages = (outgoing_for(record, settings, by_stream=by_stream) for record in records)
    return await send_messages(settings, messages, rate_per_s=rate_per_s, on_sent=on_sent)
