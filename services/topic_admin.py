"""Creating the catalog's topics on a broker, idempotently, and checking the ones that exist.

Topics are created explicitly with the catalog's partition counts and configs before any
client touches them: a broker with ``auto.create.topics.enable`` would otherwise create a topic
on first metadata request with *its* defaults, and an ingress topic with twelve partitions
silently loses the file order the pipeline promises. For the same reason existing topics are
only ever listed through an all-topics metadata request, which never auto-creates.

A topic that exists with other partitions or another cleanup policy is reported, not altered:
changing partitions moves keys between partitions, which is an operator's decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from schemas.topics import STREAMING_TOPICS, TopicSpec
from services.kafka_settings import KafkaSettings

_NO_ERROR: Final = 0
_METADATA_ATTEMPTS: Final = 50
_METADATA_BACKOFF_S: Final = 0.1
"""Up to 5 s for created topics to show in metadata with a leader for every partition."""


class TopicAdminError(RuntimeError):
    """The broker refused to create a topic, or topics exist with a shape the pipeline cannot use."""


@dataclass(frozen=True, slots=True)
class TopicMismatch:
    """An existing topic whose shape differs from its catalog entry."""

    topic: str
    setting: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.topic}: {self.setting} is {self.actual}, the catalog says {self.expected}"


@dataclass(frozen=True, slots=True)
class EnsureReport:
    created: tuple[str, ...]
    existing: tuple[str, ...]
    mismatches: tuple[TopicMismatch, ...]


@dataclass(frozen=True, slots=True)
class _TopicState:
    partitions: int
    leaders_known: bool


async def _topic_states(admin: AIOKafkaAdminClient) -> dict[str, _TopicState]:
    """Every topic on the broker; ``describe_topics(None)`` asks for all and creates none."""
    states: dict[str, _TopicState] = {}
    for entry in await admin.describe_topics(None):
        if entry["error_code"] != _NO_ERROR:
            continue
        partitions = entry["partitions"]
        states[entry["topic"]] = _TopicState(
            partitions=len(partitions),
            leaders_known=all(p["leader"] is not None and p["leader"] >= 0 for p in partitions),
        )
    return states


def _new_topic(name: str, spec: TopicSpec, replication_factor: int) -> NewTopic:
    return NewTopic(
        name,
        num_partitions=spec.partitions,
        replication_factor=replication_factor,
        topic_configs=spec.kafka_config(),
    )


async def _create(admin: AIOKafkaAdminClient, topics: Sequence[NewTopic]) -> list[str]:
    """Create ``topics``; returns those another client created first (not an error)."""
    if not topics:
        return []
    response = await admin.create_topics(list(topics))
    raced: list[str] = []
    for topic, error_code, *detail in response.topic_errors:
        if error_code == _NO_ERROR:
            continue
        error = for_code(error_code)
        if error is TopicAlreadyExistsError:
            raced.append(topic)
            continue
        message = detail[0] if detail and detail[0] else error.__name__
        raise TopicAdminError(f"cannot create topic {topic}: {message}")
    return raced


async def _await_metadata(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, _TopicState]:
    """Topic states once every topic in ``names`` has leaders (creation is asynchronous)."""
    wanted = set(names)
    states: dict[str, _TopicState] = {}
    for _ in range(_METADATA_ATTEMPTS):
        states = await _topic_states(admin)
        if all(name in states and states[name].leaders_known for name in wanted):
            return states
        await asyncio.sleep(_METADATA_BACKOFF_S)  # metadata propagation has no event to await
    missing = sorted(name for name in wanted if name not in states or not states[name].leaders_known)
    raise TopicAdminError(f"topics created but without leaders after {_METADATA_ATTEMPTS} checks: {missing}")


async def _config_mismatches(
    admin: AIOKafkaAdminClient, specs: Mapping[str, TopicSpec]
) -> list[TopicMismatch]:
    if not specs:
        return []
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in specs]
    mismatches: list[TopicMismatch] = []
    for response in await admin.describe_configs(resources):
        for error_code, _message, _type, name, entries, *_ in response.resources:
            spec = specs.get(name)
            if spec is None or error_code != _NO_ERROR:
                continue
            actual = {entry[0]: entry[1] for entry in entries}
            for setting, expected in spec.kafka_config().items():
                if actual.get(setting) != expected:
                    mismatches.append(TopicMismatch(name, setting, expected, str(actual.get(setting))))
    return mismatches


async def partition_counts(settings: KafkaSettings, names: Iterable[str]) -> dict[str, int]:
    """Partitions of each named topic that exists (full names); never creates one."""
    wanted = set(names)
    admin = AIOKafkaAdminClient(**settings.client_options())
    await admin.start()
    try:
        states = await _topic_states(admin)
    finally:
        await admin.close()
    return {name: state.partitions for name, state in states.items() if name in wanted}


async def ensure_topics(
    settings: KafkaSettings,
    specs: Iterable[TopicSpec] = STREAMING_TOPICS,
    *,
    strict: bool = False,
) -> EnsureReport:
    """Create the missing topics of ``specs`` (prefixed) and check the existing ones.

    Safe to run from several processes at once: a topic another one just created counts as
    existing. ``strict`` raises ``TopicAdminError`` on a mismatch instead of reporting it.
    """
    wanted = {settings.topic(spec): spec for spec in specs}
    admin = AIOKafkaAdminClient(**settings.client_options())
    await admin.start()
    try:
        before = await _topic_states(admin)
        missing = [name for name in wanted if name not in before]
        raced = await _create(
            admin, [_new_topic(name, wanted[name], settings.replication_factor) for name in missing]
        )
        created = tuple(name for name in missing if name not in raced)
        existing = tuple(name for name in wanted if name not in created)
        states = await _await_metadata(admin, wanted)
        mismatches = [
            TopicMismatch(name, "partitions", str(wanted[name].partitions), str(states[name].partitions))
            for name in existing
            if states[name].partitions != wanted[name].partitions
        ]
        mismatches += await _config_mismatches(admin, {name: wanted[name] for name in existing})
    finally:
        await admin.close()
    log = structlog.get_logger(__name__)
    if created:
        log.info("topics created", topics=list(created))
    for mismatch in mismatches:
        log.warning("topic differs from the catalog", mismatch=str(mismatch))
    if strict and mismatches:
        raise TopicAdminError("; ".join(str(m) for m in mismatches))
    return EnsureReport(created=created, existing=existing, mismatches=tuple(mismatches))
