"""Alerts the partner processor raises: TERRITORY_VIOLATION and OVERPAYMENT.

One situation is one alert: its id derives from the situation's keys, and further evidence
raises the revision instead of a new alert. Severity and recommended action come from the SOP.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from processors.ledger.entry_ids import fast_derived_id
from processors.partner.draft import Draft
from processors.partner.state import AlertTrack
from schemas.events import SaleRecorded
from schemas.outputs import AlertParty, AlertRule, AlertStatus, ConflictAlert, PartyRole


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
) -> None:
    sop = d.config.sop.row(rule)
    d.outputs.append(
        ConflictAlert(
            alert_id=alert_id,
            revision=revision,
            rule_id=rule,
            severity=sop.severity,
            status=AlertStatus.OPEN,
            customer_id=customer_id,
            product_line=product_line,
            parties=parties,
            evidence_event_ids=evidence,
            occurred_at=occurred_at,
            detected_at=detected_at,
            message=message,
            recommended_action=sop.recommended_action,
        )
    )


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
    d.territory_alerts = d.territory_alerts.set(alert_id, track)
    _alert(
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


def overpayment(
    d: Draft,
    situation: str,
    revision: int,
    evidence: tuple[str, ...],
    occurred_at: datetime,
    detected_at: datetime,
    message: str,
) -> None:
    """OVERPAYMENT for a payout beyond the payable balance or a claim beyond its fund.

    The single party is the partner concerned with role VENDOR: the vendor's own settlement
    is at fault, so it counts neither as the partner offending nor as it being protected.
    """
    alert_id = fast_derived_id("alert", AlertRule.OVERPAYMENT.value, d.partner_id, situation)
    _alert(
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
