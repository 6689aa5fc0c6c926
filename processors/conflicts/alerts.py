"""From detected situations to alert revisions, and the alert lifecycle.

A situation is identified by its rule and keys (e.g. breach: customer, product line,
protecting registration, offender), so its alert id is derived, never random. Each time
an event adds evidence or a party to a known situation the alert gets a new revision of
the same id; an event that adds nothing (a redelivery, say) gives no revision at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from processors.conflicts.config import ConflictConfig
from processors.conflicts.timeutil import date_of_day
from processors.ids import derived_id
from schemas.outputs import AlertParty, AlertRule, AlertStatus, ConflictAlert, PartyRole

ALERT_ID_KIND = "conflict-alert"


@lru_cache(maxsize=1 << 12)
def party(partner_id: str, role: PartyRole) -> AlertParty:
    """An alert party; shared instances make the "already a party?" checks identity checks."""
    return AlertParty(partner_id=partner_id, role=role)


@lru_cache(maxsize=1 << 16)
def alert_id_for(rule: AlertRule, customer_id: str, product_line: str, keys: tuple[str, ...]) -> str:
    """The deterministic id of one situation: rule, customer, product line and its keys.

    Cached because a busy situation is looked up on every offending sale (a pure function,
    so the cache can change nothing but speed)."""
    return derived_id(ALERT_ID_KIND, rule.value, customer_id, product_line, *keys)


@dataclass(frozen=True, slots=True)
class Finding:
    """A situation found by a rule, with the evidence the current event brings to it.

    ``keys`` identify the situation beyond rule + customer + line: for the registration
    rules the protecting registration first. ``protection_evidence`` is how many leading
    evidence ids state the protection rather than an offence (for the message's counts).
    ``trigger_at`` is the business time of the event that found it; ``from_day`` and
    ``until_day`` (contention only) the first and last sale days of the episode's windows.
    """

    rule: AlertRule
    product_line: str
    keys: tuple[str, ...]
    parties: tuple[AlertParty, ...]
    evidence: tuple[str, ...]
    occurred_at: datetime
    trigger_at: datetime
    protection_evidence: int = 0
    from_day: int | None = None
    until_day: int | None = None


class AlertRecord(NamedTuple):
    """The latest revision of an alert plus what the processor needs to extend it.

    (An immutable NamedTuple rather than a frozen dataclass: one is built on every alert
    change, and it builds in a third of the time.)"""

    alert: ConflictAlert
    keys: tuple[str, ...]
    protection_evidence: int
    from_day: int | None
    until_day: int | None
    lifecycle_events: tuple[str, ...]
    note: str

    @property
    def anchor_registration(self) -> str | None:
        """The protecting registration of a registration rule's alert (kept while it is)."""
        if self.alert.rule_id is AlertRule.CUSTOMER_CONTENTION:
            return None
        return self.keys[0]


def raise_or_update(
    record: AlertRecord | None, finding: Finding, customer_id: str, config: ConflictConfig
) -> tuple[AlertRecord, ConflictAlert | None]:
    """Fold a finding into its alert: a first revision, a next revision, or (nothing new) none."""
    if record is None:
        return _first_revision(finding, customer_id, config)
    previous = record.alert
    known = previous.evidence_event_ids  # a tuple: a finding brings few ids, scanning beats hashing
    room = max(config.max_evidence_per_alert - len(known), 0)
    fresh = tuple(e for e in dict.fromkeys(finding.evidence) if e not in known)[:room]
    new_parties = tuple(p for p in finding.parties if p not in previous.parties)
    from_day, until_day = _cover(record, finding)
    if not fresh and not new_parties:
        if (from_day, until_day) == (record.from_day, record.until_day):
            return record, None
        return record._replace(from_day=from_day, until_day=until_day), None
    reopened = previous.status is AlertStatus.RESOLVED
    note = " Reopened: new evidence after it was resolved." if reopened else record.note
    parties = previous.parties + new_parties
    evidence = previous.evidence_event_ids + fresh
    row = config.sop.row(previous.rule_id)
    alert = ConflictAlert(
        alert_id=previous.alert_id,
        revision=previous.revision + 1,
        rule_id=previous.rule_id,
        severity=row.severity,
        status=AlertStatus.OPEN if reopened else previous.status,
        customer_id=previous.customer_id,
        product_line=previous.product_line,
        parties=parties,
        evidence_event_ids=evidence,
        occurred_at=min(previous.occurred_at, finding.occurred_at),
        detected_at=max(previous.detected_at, finding.trigger_at, finding.occurred_at),
        message=describe(
            previous.rule_id,
            previous.customer_id,
            previous.product_line,
            parties,
            len(evidence) - record.protection_evidence,
            record.keys,
            from_day,
            until_day,
            config,
        )
        + note,
        recommended_action=row.recommended_action,
    )
    updated = AlertRecord(
        alert, record.keys, record.protection_evidence, from_day, until_day, record.lifecycle_events, note
    )
    return updated, alert


def _first_revision(
    finding: Finding, customer_id: str, config: ConflictConfig
) -> tuple[AlertRecord, ConflictAlert]:
    row = config.sop.row(finding.rule)
    evidence = tuple(dict.fromkeys(finding.evidence))[: config.max_evidence_per_alert]
    alert = ConflictAlert(
        alert_id=alert_id_for(finding.rule, customer_id, finding.product_line, finding.keys),
        revision=1,
        rule_id=finding.rule,
        severity=row.severity,
        status=AlertStatus.OPEN,
        customer_id=customer_id,
        product_line=finding.product_line,
        parties=finding.parties,
        evidence_event_ids=evidence,
        occurred_at=finding.occurred_at,
        detected_at=max(finding.trigger_at, finding.occurred_at),
        message=describe(
            finding.rule,
            customer_id,
            finding.product_line,
            finding.parties,
            len(evidence) - finding.protection_evidence,
            finding.keys,
            finding.from_day,
            finding.until_day,
            config,
        ),
        recommended_action=row.recommended_action,
    )
    record = AlertRecord(
        alert, finding.keys, finding.protection_evidence, finding.from_day, finding.until_day, (), ""
    )
    return record, alert


def _cover(record: AlertRecord, finding: Finding) -> tuple[int | None, int | None]:
    if record.from_day is None or finding.from_day is None or finding.until_day is None:
        return record.from_day, record.until_day
    assert record.until_day is not None
    return min(record.from_day, finding.from_day), max(record.until_day, finding.until_day)


def acknowledge(
    record: AlertRecord, event_id: str, at: datetime, by: str, config: ConflictConfig
) -> tuple[AlertRecord, ConflictAlert | None]:
    """OPEN -> ACKNOWLEDGED; on an acknowledged or resolved alert it changes nothing."""
    if event_id in record.lifecycle_events or record.alert.status is not AlertStatus.OPEN:
        return record, None
    note = f" Acknowledged by {by}."
    return _transition(record, event_id, at, AlertStatus.ACKNOWLEDGED, note, config)


def resolve(
    record: AlertRecord, event_id: str, at: datetime, by: str, resolution: str, config: ConflictConfig
) -> tuple[AlertRecord, ConflictAlert | None]:
    """OPEN or ACKNOWLEDGED -> RESOLVED; resolving a resolved alert changes nothing."""
    if event_id in record.lifecycle_events or record.alert.status is AlertStatus.RESOLVED:
        return record, None
    note = f" Resolved by {by}: {resolution}"
    return _transition(record, event_id, at, AlertStatus.RESOLVED, note, config)


def _transition(
    record: AlertRecord,
    event_id: str,
    at: datetime,
    status: AlertStatus,
    note: str,
    config: ConflictConfig,
) -> tuple[AlertRecord, ConflictAlert]:
    previous = record.alert
    row = config.sop.row(previous.rule_id)
    alert = replace(
        previous,
        revision=previous.revision + 1,
        status=status,
        severity=row.severity,
        detected_at=max(previous.detected_at, at),
        message=describe(
            previous.rule_id,
            previous.customer_id,
            previous.product_line,
            previous.parties,
            len(previous.evidence_event_ids) - record.protection_evidence,
            record.keys,
            record.from_day,
            record.until_day,
            config,
        )
        + note,
        recommended_action=row.recommended_action,
    )
    updated = record._replace(alert=alert, lifecycle_events=(*record.lifecycle_events, event_id), note=note)
    return updated, alert


def describe(
    rule: AlertRule,
    customer_id: str | None,
    product_line: str | None,
    parties: tuple[AlertParty, ...],
    offences: int,
    keys: tuple[str, ...],
    from_day: int | None,
    until_day: int | None,
    config: ConflictConfig,
) -> str:
    """The plain-language description of a situation (a lifecycle note may follow it).

    ``offences`` counts the evidence beyond what states the protection (sales, for the
    breach and bypass rules)."""
    protected = _party(parties, PartyRole.PROTECTED)
    offender = _party(parties, PartyRole.OFFENDER)
    line, customer = product_line, customer_id
    if rule is AlertRule.REGISTRATION_BREACH:
        return (
            f"Partner {offender} sold {line} to customer {customer} while registration "
            f"{keys[0]} of partner {protected} protected the deal "
            f"({offences} offending sale(s) recorded); the first approved registration wins."
        )
    if rule is AlertRule.VENDOR_BYPASS:
        return (
            f"The vendor sold {line} directly to customer {customer} while registration "
            f"{keys[0]} of partner {protected} protected the deal "
            f"({offences} direct sale(s) recorded)."
        )
    if rule is AlertRule.DUPLICATE_REGISTRATION:
        return (
            f"Partner {offender} registered customer {customer} for {line} (registration "
            f"{keys[1]}) while partner {protected} held approved registration "
            f"{keys[0]}; the first approved registration wins."
        )
    names = ", ".join(p.partner_id for p in parties)
    assert from_day is not None and until_day is not None
    return (
        f"{len(parties)} different partners ({names}) sold {line} to customer "
        f"{customer} within {config.contention_window_days} days "
        f"(sales between {date_of_day(from_day)} and {date_of_day(until_day)})."
    )


def _party(parties: tuple[AlertParty, ...], role: PartyRole) -> str:
    return next((p.partner_id for p in parties if p.role is role), "?")
