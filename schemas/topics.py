"""The Kafka topic catalog: every topic Channel Ledger creates, in one place.

Inputs are the event log and the source of truth (issue "Rebuild" replays them from the
beginning), so they are kept forever and never compacted. Every partner-keyed input topic has
the same partition count, so one partner's events land on the same partition number everywhere
and the partner processor can be co-partitioned without a repartition. Faust's own changelog
and repartition topics are not listed: Faust names and creates them from the app id.

Names are base names; a deployment prepends its prefix (``TopicSpec.full_name``) so test runs
and environments can share a broker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from schemas.events import EVENT_TYPES, Event
from schemas.outputs import AccrualForgone, ConflictAlert, DeadLetter, LedgerEntry

RETAIN_FOREVER: Final = -1
"""``retention.ms`` for topics whose records are the ledger's evidence."""

DEFAULT_PARTITIONS: Final = 12


class TopicRole(StrEnum):
    INPUT = "input"
    OUTPUT = "output"
    DEAD_LETTER = "dead_letter"
    INTERNAL = "internal"


class CleanupPolicy(StrEnum):
    DELETE = "delete"
    COMPACT = "compact"


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicSpec:
    """One topic: what flows on it, how it is keyed, how long Kafka keeps it."""

    name: str
    role: TopicRole
    value_types: tuple[str, ...]
    """Record types (``event_type`` names) this topic carries."""
    key_field: str
    fallback_key_field: str | None = None
    """Used when ``key_field`` is null or blank (a DIRECT sale has no partner)."""
    partitions: int = DEFAULT_PARTITIONS
    cleanup_policy: CleanupPolicy = CleanupPolicy.DELETE
    retention_ms: int = RETAIN_FOREVER
    description: str

    def full_name(self, prefix: str = "") -> str:
        return f"{prefix}{self.name}"

    def kafka_config(self) -> dict[str, str]:
        """Topic-level configs for topic creation (admin client or kafka-topics.sh)."""
        return {"cleanup.policy": self.cleanup_policy.value, "retention.ms": str(self.retention_ms)}

    def key_of(self, record: object) -> str:
        """The record's message key: ``key_field``, or ``fallback_key_field`` when that is empty."""
        key = getattr(record, self.key_field, None)
        if (key is None or not str(key).strip()) and self.fallback_key_field is not None:
            key = getattr(record, self.fallback_key_field, None)
        if key is None or not str(key).strip():
            raise ValueError(f"{type(record).__name__} has no key for {self.name} ({self.key_field})")
        return str(key)


def _input(
    name: str,
    types: tuple[str, ...],
    description: str,
    *,
    key_field: str = "partner_id",
    fallback_key_field: str | None = None,
) -> TopicSpec:
    return TopicSpec(
        name=name,
        role=TopicRole.INPUT,
        value_types=types,
        key_field=key_field,
        fallback_key_field=fallback_key_field,
        description=description,
    )


PARTNERS = _input(
    "cl.partners",
    (
        "PartnerOnboarded",
        "PartnerTierChanged",
        "PartnerTerritoryChanged",
        "PartnerCertified",
        "PartnerOffboarded",
    ),
    "Partner master data from the ERP/PRM.",
)
SALES = _input(
    "cl.sales",
    ("SaleRecorded", "SaleReturned"),
    "Sales and returns, partner and DIRECT; DIRECT ones (no partner) are keyed by customer.",
    fallback_key_field="customer_id",
)
REGISTRATIONS = _input(
    "cl.registrations",
    ("DealRegistered", "DealRegistrationApproved", "DealRegistrationRejected", "DealRegistrationWithdrawn"),
    "Deal registrations from the PRM/CRM.",
)
SUPPORT = _input(
    "cl.support",
    ("SupportCaseOpened", "SupportCaseResolved", "SupportCaseRated"),
    "Support cases from the support desk.",
)
PAYOUTS = _input(
    "cl.payouts",
    (
        "AllowanceClaimed",
        "AllowanceClaimApproved",
        "AllowanceClaimRejected",
        "PayoutIssued",
        "PayoutReversed",
    ),
    "Allowance claims and payouts from the ERP and distributor systems.",
)
CLOCK_TICKS = _input(
    "cl.clock-ticks",
    ("ClockTicked",),
    "Business-clock ticks per partner from a scheduler; kept, so a replay closes periods alike.",
)
ALERT_LIFECYCLE = _input(
    "cl.alert-lifecycle",
    ("AlertAcknowledged", "AlertResolved"),
    "Acknowledgements and resolutions from alert consumers; alerts without a customer by alert id. "
    "partner_id set (TERRITORY_VIOLATION, OVERPAYMENT) sends one to the partner processor, "
    "blank to the customer processor.",
    key_field="customer_id",
    fallback_key_field="alert_id",
)

LEDGER_ENTRIES = TopicSpec(
    name="cl.ledger-entries",
    role=TopicRole.OUTPUT,
    value_types=("LedgerEntry",),
    key_field="partner_id",
    description="The append-only ledger: every entry, kept forever (the audit trail).",
)
CONFLICT_ALERTS = TopicSpec(
    name="cl.conflict-alerts",
    role=TopicRole.OUTPUT,
    value_types=("ConflictAlert",),
    key_field="alert_id",
    partitions=6,
    cleanup_policy=CleanupPolicy.COMPACT,
    description="Conflict alerts for alert consumers; a new revision replaces the last per alert id.",
)
ACCRUALS_FORGONE = TopicSpec(
    name="cl.accruals-forgone",
    role=TopicRole.OUTPUT,
    value_types=("AccrualForgone",),
    key_field="partner_id",
    description="What sales would have accrued under rules they missed (scorecard's lost amount).",
)
DEAD_LETTERS = TopicSpec(
    name="cl.dead-letters",
    role=TopicRole.DEAD_LETTER,
    value_types=("DeadLetter",),
    key_field="source_topic",
    partitions=3,
    description="Every refused input with its reason, original bytes and position; kept forever.",
)

_ALL_INPUT_TYPES: Final = tuple(EVENT_TYPES)

INGRESS = TopicSpec(
    name="cl.ingress",
    role=TopicRole.INPUT,
    value_types=_ALL_INPUT_TYPES,
    key_field="partner_id",
    fallback_key_field="customer_id",
    partitions=1,
    description=(
        "The ordered intake: every input event type in one single-partition log, in the order it "
        "was delivered. `channel-ledger produce` writes here by default, so a streamed file is "
        "processed in exactly the order the embedded runner reads it; sources that cannot share "
        "one log use the per-stream topics, which keep order per topic only."
    ),
)

PARTNER_EVENTS = TopicSpec(
    name="cl.partner-events",
    role=TopicRole.INTERNAL,
    value_types=_ALL_INPUT_TYPES,
    key_field="partner_id",
    description=(
        "Validated input events for the partner processor, partitioned by partner: bundles of "
        "events (schemas.bundles), one per partition and intake batch, written by intake."
    ),
)
CUSTOMER_EVENTS = TopicSpec(
    name="cl.customer-events",
    role=TopicRole.INTERNAL,
    value_types=_ALL_INPUT_TYPES,
    key_field="customer_id",
    fallback_key_field="alert_id",
    description=(
        "Validated input events for the customer (conflict) processor, partitioned by customer: "
        "bundles of events (schemas.bundles), one per partition and intake batch."
    ),
)

INPUT_TOPICS: Final = (PARTNERS, SALES, REGISTRATIONS, SUPPORT, PAYOUTS, CLOCK_TICKS, ALERT_LIFECYCLE)
INTERNAL_TOPICS: Final = (PARTNER_EVENTS, CUSTOMER_EVENTS)
OUTPUT_TOPICS: Final = (LEDGER_ENTRIES, CONFLICT_ALERTS, ACCRUALS_FORGONE)
ALL_TOPICS: Final = (*INPUT_TOPICS, *OUTPUT_TOPICS, DEAD_LETTERS)
STREAMING_TOPICS: Final = (INGRESS, *ALL_TOPICS, *INTERNAL_TOPICS)
"""Every topic the streaming workers create (``ALL_TOPICS`` maps record types one to one)."""

COPY_OF_HEADER: Final = "cl-copy-of"
"""Record header marking a copy: its value is the base name of the topic that carries the same
record too (an input event the intake sends to both internal topics). A consumer that reads
both topics, like the projector, skips the copy without decoding it."""

_TOPIC_BY_TYPE: Mapping[str, TopicSpec] = MappingProxyType(
    {type_name: topic for topic in ALL_TOPICS for type_name in topic.value_types}
)


@dataclass(frozen=True, slots=True)
class Route:
    topic: TopicSpec
    key: str


def topic_for(type_name: str) -> TopicSpec:
    """The topic carrying records of ``type_name`` (an ``event_type`` or output record name)."""
    topic = _TOPIC_BY_TYPE.get(type_name)
    if topic is None:
        raise KeyError(f"no topic carries {type_name!r}")
    return topic


def input_route(event: Event) -> Route:
    """Where a producer sends ``event``: its input topic and message key."""
    type_name = type(event).__name__
    if EVENT_TYPES.get(type_name) is not type(event):
        raise KeyError(f"{type_name} is not an input event")
    topic = topic_for(type_name)
    return Route(topic, topic.key_of(event))


def output_route(record: LedgerEntry | ConflictAlert | AccrualForgone | DeadLetter) -> Route:
    """Where the pipeline sends an output record, and its key."""
    topic = topic_for(type(record).__name__)
    return Route(topic, topic.key_of(record))
