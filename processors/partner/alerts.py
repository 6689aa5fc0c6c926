"""Alerts the partner processor raises: TERRITORY_VIOLATION and OVERPAYMENT, and their lifecycle.

One situation is one alert: its id derives from the situation's keys, and further evidence
raises the revision instead of a new alert. Severity and recommended action come from the SOP.
Every revision is also kept in the state (``PartnerState.alerts``), so an acknowledgement or
resolution addressed to this partner (``partner_id`` set) revises it: OPEN -> ACKNOWLEDGED ->
RESOLVED, as the customer processor does for its alerts (``processors.conflicts.alerts``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache

from processors.ledger.entry_ids import fast_derived_id
from processors.partner.config import ProcessorConfig
from processors.partner.draft import Draft, Output
from processors.partner.state import AlertTrack, PartnerAlert, PartnerState
from schemas.events import AlertAcknowledged, AlertResolved, SaleRecorded
from schemas.outputs import AlertParty, AlertRule, AlertStatus, ConflictAlert, PartyRole, Rejected
from schemas.reasons import ReasonCode

REOPENED = ". Reopened: new evidence after it was resolved."


@lru_cache(maxsize=4096)
def covers(territories: tuple[str, ...], territory: str) -> bool:
    """A territory covers itself and its sub-territories: ``US`` covers ``US-CA``."""
    return any(territory == t or territory.startswith(t + "-") for t in territories)


def _alert(
    d: Draft,
    rule: AlertRule,
    alert_id: str,
    revision: int,
    parties: tuple[AlertParty, ...],
    evidence: tuple[str, ...],
    occurred_at: datetime,
    detected_at: datetime,
    message: str,
    customer_id: str | None = None,
    product_line: str | None = None,
) -> int:
    """Output a revision of ``alert_id`` and keep it; returns the revision number used.

    ``revision`` is what the situation's own count gives (territory track, claim). A kept
    alert's next revision wins when higher: after lifecycle revisions, or when the count was
    forgotten before the alert (a claim id reused after its claim was pruned). An acknowledged
    alert stays acknowledged, a resolved one reopens, and the lifecycle note stays at the end
    of the message. Without lifecycle events the kept alert is the count's previous revision
    (territory tracks are pruned no earlier than the alerts, on the same times), so the output
    is what the count alone gives.
    """
    sop = d.config.sop.row(rule)
    status = AlertStatus.OPEN
    note = ""
    lifecycle: tuple[str, ...] = ()
    last_at = detected_at
    record = d.alerts.get(alert_id)
    if record is not None:
        previous = record.alert
        revision = max(revision, previous.revision + 1)
        if previous.status is AlertStatus.RESOLVED:
            note = REOPENED
        else:
            status, note = previous.status, record.note
        lifecycle = record.lifecycle_events
        last_at = max(record.last_at, detected_at)
    alert = ConflictAlert(
        alert_id=alert_id,
        revision=revision,
        rule_id=rule,
        severity=sop.severity,
        status=status,
        customer_id=customer_id,
        product_line=product_line,
        parties=parties,
        evidence_event_ids=evidence,
        occurred_at=occurred_at,
        detected_at=detected_at,
        message=message + note,
        recommended_action=sop.recommended_action,
    )
    d.alerts = d.alerts.set(alert_id, PartnerAlert(alert, lifecycle, note, last_at))
    d.outputs.append(alert)
    return revision


def check_territory(d: Draft, sale: SaleRecorded, territories: tuple[str, ...]) -> None:
    """Raise (or revise) the partner's territory alert for this customer when out of territory."""
    if covers(territories, sale.customer_territory):
        return
    alert_id = fast_derived_id(
        "alert", AlertRule.TERRITORY_VIOLATION.value, d.partner_id, sale.customer_id, sale.customer_territory
    )
    track = d.territory_alerts.get(alert_id)
    if track is None:
        track = AlertTrack(
            revision=1, first_at=sale.occurred_at, last_at=sale.occurred_at, evidence=(sale.event_id,)
        )
    else:
        track = AlertTrack(
            revision=track.revision + 1,
            first_at=min(track.first_at, sale.occurred_at),
            last_at=max(track.last_at, sale.occurred_at),
            evidence=(*track.evidence, sale.event_id)[-d.config.alert_max_evidence :],
        )
    revision = _alert(
        d,
        AlertRule.TERRITORY_VIOLATION,
        alert_id,
        track.revision,
        (AlertParty(partner_id=d.partner_id, role=PartyRole.OFFENDER),),
        track.evidence,
        track.first_at,
        sale.occurred_at,
        f"partner {d.partner_id} sold to customer {sale.customer_id} in {sale.customer_territory}, "
        f"outside its territories ({', '.join(territories) or 'none'})",
        customer_id=sale.customer_id,
        product_line=sale.product_line,
    )
    if revision != track.revision:  # the alert went on through lifecycle revisions
        track = track._replace(revision=revision)
    d.territory_alerts = d.territory_alerts.set(alert_id, track)


def overpayment(
    d: Draft,
    situation: str,
    revision: int,
    evidence: tuple[str, ...],
    occurred_at: datetime,
    detected_at: datetime,
    message: str,
) -> int:
    """OVERPAYMENT for a payout beyond the payable balance or a claim beyond its fund; returns
    the revision used (see ``_alert``).

    The single party is the partner concerned with role VENDOR: the vendor's own settlement
    is at fault, so it counts neither as the partner offending nor as it being protected.
    """
    alert_id = fast_derived_id("alert", AlertRule.OVERPAYMENT.value, d.partner_id, situation)
    return _alert(
        d,
        AlertRule.OVERPAYMENT,
        alert_id,
        revision,
        (AlertParty(partner_id=d.partner_id, role=PartyRole.VENDOR),),
        evidence,
        occurred_at,
        detected_at,
        message,
    )


# --- lifecycle --------------------------------------------------------------------------


def on_lifecycle(
    state: PartnerState, event: AlertAcknowledged | AlertResolved, config: ProcessorConfig
) -> tuple[PartnerState, list[Output]]:
    """Acknowledge or resolve one of the partner's alerts.

    Runs before duplicate detection and the clock (``apply``): a lifecycle event does not move
    the partner's business time, so an acknowledgement stamped today cannot make a replay of
    last year late. It is idempotent through the alert's ``lifecycle_events``: acknowledging an
    acknowledged or resolved alert, resolving a resolved one, or the same event twice, changes
    nothing. An alert the state does not hold is refused with UNKNOWN_ALERT.
    """
    record = state.alerts.get(event.alert_id)
    if record is None:
        return state, [
            Rejected(
                event_id=event.event_id,
                event_type=event.event_type,
                reason_code=ReasonCode.UNKNOWN_ALERT.value,
                message=f"no alert {event.alert_id} of partner {state.partner_id} is kept: the partner "
                f"processor never raised it, or forgot it after {config.alert_quiet_period.days} days "
                "without change (an alert of the customer processor takes a blank partner_id)",
            )
        ]
    status = record.alert.status
    if event.event_id in record.lifecycle_events:
        return state, []
    if isinstance(event, AlertAcknowledged):
        if status is not AlertStatus.OPEN:
            return state, []
        new_status, note = AlertStatus.ACKNOWLEDGED, f". Acknowledged by {event.acknowledged_by}."
    else:
        if status is AlertStatus.RESOLVED:
            return state, []
        new_status, note = AlertStatus.RESOLVED, f". Resolved by {event.resolved_by}: {event.resolution}"
    previous = record.alert
    description = previous.message.removesuffix(record.note) if record.note else previous.message
    sop = config.sop.row(previous.rule_id)
    alert = replace(
        previous,
        revision=previous.revision + 1,
        status=new_status,
        severity=sop.severity,
        detected_at=max(previous.detected_at, event.occurred_at),
        message=description + note,
        recommended_action=sop.recommended_action,
    )
    updated = PartnerAlert(
        alert,
        (*record.lifecycle_events, event.event_id),
        note,
        max(record.last_at, event.occurred_at),
    )
    return state._replace(alerts=state.alerts.set(event.alert_id, updated)), [alert]
