"""Answering a conflict alert: the lifecycle event an alert consumer sends back.

Acknowledgement and resolution are input events (``AlertAcknowledged``, ``AlertResolved``) on
the ``cl.alert-lifecycle`` topic, and each must reach the processor that raised the alert: the
customer processor for the registration and contention rules (addressed by ``customer_id``),
the partner processor for TERRITORY_VIOLATION and OVERPAYMENT (addressed by ``partner_id``).
``acknowledgement`` and ``resolution`` build the event from the alert as it was received, so a
consumer does not need to know which processor that is. ``find_alert`` looks an alert up on the
alerts topic by its id, or by a unique prefix of it (``alerts tail`` prints the first 8 characters).

Event ids derive from the alert, the action, who answered and when: sending the same answer
twice (a retry) is one event, which the processors apply once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from processors.ids import derived_id
from schemas.codec import DecodeError, decode
from schemas.events import AlertAcknowledged, AlertResolved
from schemas.outputs import AlertRule, ConflictAlert
from schemas.topics import CONFLICT_ALERTS
from services.kafka_settings import KafkaSettings
from services.topic_admin import ensure_topics, partition_counts

PARTNER_RULES = frozenset({AlertRule.TERRITORY_VIOLATION, AlertRule.OVERPAYMENT})
"""Rules the partner processor raises: their lifecycle events are addressed by partner."""

SOURCE = "alert-consumer"
MIN_PREFIX = 8
_POLL_MS = 500


class AlertLookupError(LookupError):
    """No alert, or more than one, matches what was asked for."""


@dataclass(frozen=True, slots=True)
class Address:
    """Where a lifecycle event for an alert goes: one of the two ids is set."""

    customer_id: str
    partner_id: str


def address_of(alert: ConflictAlert) -> Address:
    """The processor that holds ``alert``: by partner for the partner processor's rules (their
    single party is the partner concerned), by customer for the others."""
    if alert.rule_id in PARTNER_RULES:
        if not alert.parties:
            raise ValueError(f"alert {alert.alert_id} ({alert.rule_id.value}) names no partner")
        return Address(customer_id=alert.customer_id or "", partner_id=alert.parties[0].partner_id)
    if not alert.customer_id:
        raise ValueError(f"alert {alert.alert_id} ({alert.rule_id.value}) names no customer")
    return Address(customer_id=alert.customer_id, partner_id="")


def _event_id(alert_id: str, action: str, by: str, at: datetime) -> str:
    return derived_id("alert-answer", alert_id, action, by, at.isoformat())


def acknowledgement(
    alert: ConflictAlert, *, by: str, at: datetime, source: str = SOURCE
) -> AlertAcknowledged:
    """The event that acknowledges ``alert``: OPEN -> ACKNOWLEDGED (no-op in any other status)."""
    address = address_of(alert)
    return AlertAcknowledged(
        event_id=_event_id(alert.alert_id, "acknowledge", by, at),
        occurred_at=at,
        source=source,
        alert_id=alert.alert_id,
        customer_id=address.customer_id,
        partner_id=address.partner_id,
        acknowledged_by=by,
    )


def resolution(
    alert: ConflictAlert, *, by: str, resolution: str, at: datetime, source: str = SOURCE
) -> AlertResolved:
    """The event that resolves ``alert`` with ``resolution`` (free text, e.g. what was done)."""
    address = address_of(alert)
    return AlertResolved(
        event_id=_event_id(alert.alert_id, "resolve", by, at),
        occurred_at=at,
        source=source,
        alert_id=alert.alert_id,
        customer_id=address.customer_id,
        partner_id=address.partner_id,
        resolved_by=by,
        resolution=resolution,
    )


async def find_alert(settings: KafkaSettings, alert_id: str) -> ConflictAlert:
    """The latest revision on the alerts topic of the alert ``alert_id`` names.

    ``alert_id`` is a full id or a prefix of at least ``MIN_PREFIX`` characters that only one
    alert has. Reads the topic from its beginning to its current end (it is compacted, so that
    is about one record per alert); raises ``AlertLookupError`` when nothing or several match.
    """
    wanted = alert_id.strip().lower()
    if len(wanted) < MIN_PREFIX:
        raise AlertLookupError(f"give at least {MIN_PREFIX} characters of the alert id, not {alert_id!r}")
    topic = settings.topic(CONFLICT_ALERTS)
    await ensure_topics(settings, [CONFLICT_ALERTS])
    partitions = (await partition_counts(settings, [topic]))[topic]
    assigned = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(
        **settings.client_options(), enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    latest: dict[str, ConflictAlert] = {}
    try:
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if ends[tp] > await consumer.position(tp)}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=_POLL_MS)
            for records in batch.values():
                for record in records:
                    if record.value is None or record.key is None:
                        continue
                    if not record.key.decode(errors="replace").startswith(wanted):
                        continue
                    try:
                        model = decode(record.value)
                    except DecodeError:
                        continue  # not ours to judge here; `alerts tail` reports such records
                    if isinstance(model, ConflictAlert):
                        known = latest.get(model.alert_id)
                        if known is None or model.revision > known.revision:
                            latest[model.alert_id] = model
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    if not latest:
        raise AlertLookupError(f"no alert {alert_id} on {topic}")
    if len(latest) > 1:
        some = ", ".join(sorted(latest)[:5])
        raise AlertLookupError(f"{len(latest)} alerts start with {alert_id} ({some}...); give more of it")
    return next(iter(latest.values()))
