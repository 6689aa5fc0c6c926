"""The partner processor: ``apply(state, event, book) -> (state, outputs)``, pure.

Order of work for one event: (1) a duplicate event id is a no-op, or a rejection when its
content differs; (2) an event older than the late horizon is rejected as LATE_EVENT (its period is closed and
its id may have been forgotten, so it cannot be checked for duplication);
(3) the partner's business clock moves forward, closing periods and expiring funds and parked
events; (4) the event is applied, or parked when what it refers to has not arrived yet.
"""

from __future__ import annotations

import hashlib

from processors.partner import clock, master, sales, settlement
from processors.partner.config import DEFAULT_CONFIG, ProcessorConfig
from processors.partner.draft import Draft, Output
from processors.partner.state import PartnerState, Seen
from processors.programs.book import ProgramBook
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    AllowanceClaimApproved,
    AllowanceClaimed,
    AllowanceClaimRejected,
    ClockTicked,
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    InputEvent,
    PartnerCertified,
    PartnerOffboarded,
    PartnerOnboarded,
    PartnerTerritoryChanged,
    PartnerTierChanged,
    PayoutIssued,
    PayoutReversed,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.outputs import Rejected
from schemas.reasons import ReasonCode


def partner_key(event: InputEvent) -> str | None:
    """The partner whose state ``event`` belongs to; None for events this processor ignores
    (DIRECT sales and their returns, alert lifecycle)."""
    if isinstance(event, SaleRecorded):
        return event.partner_id if event.channel is SaleChannel.PARTNER else None
    if isinstance(event, AlertAcknowledged | AlertResolved):
        return None
    return event.partner_id or None


def event_digest(event: InputEvent) -> str:
    """Content digest for duplicate detection: SHA-256 of the event's repr (all fields, exact
    decimals and aware datetimes), truncated to 64 bits to keep the seen-id set small."""
    return hashlib.sha256(repr(event).encode()).hexdigest()[:16]


def apply(
    state: PartnerState | None,
    event: InputEvent,
    book: ProgramBook,
    config: ProcessorConfig = DEFAULT_CONFIG,
) -> tuple[PartnerState, list[Output]]:
    """Apply one event to one partner's state; returns the new state and the outputs in order.

    Raises ``ValueError`` for an event that does not belong to this partner (a routing bug),
    never for bad business input: that yields a ``Rejected`` output.
    """
    partner_id = partner_key(event)
    if partner_id is None:
        raise ValueError(f"{event.event_type} {event.event_id} has no partner key; do not route it here")
    if state is None:
        state = PartnerState.empty(partner_id)
    elif state.partner_id != partner_id:
        raise ValueError(f"event {event.event_id} is for partner {partner_id}, state is {state.partner_id}")
    digest = event_digest(event)
    seen = state.seen.get(event.event_id)
    if seen is not None:
        if seen.digest == digest:
            return state, []
        return state, [
            _rejected(event, ReasonCode.DUPLICATE_EVENT_ID, "event id already applied with other content")
        ]
    if state.clock is not None and event.occurred_at < state.clock - config.late_horizon:
        return state, [
            _rejected(
                event,
                ReasonCode.LATE_EVENT,
                f"occurred {event.occurred_at.isoformat()}, more than {config.late_horizon.days} days before "
                f"the partner's business time {state.clock.isoformat()}: its period is closed",
            )
        ]
    d = Draft(state, book, config)
    d.redo = _dispatch
    d.seen = d.seen.set(event.event_id, Seen(digest, event.occurred_at))
    d.seen_log = d.seen_log.add(event.event_id, event.occurred_at)
    clock.advance(d, event.occurred_at, event.event_id)
    _dispatch(d, event)
    return d.freeze(), d.outputs


def _rejected(event: InputEvent, code: ReasonCode, message: str) -> Rejected:
    return Rejected(
        event_id=event.event_id, event_type=event.event_type, reason_code=code.value, message=message
    )


def _dispatch(d: Draft, event: InputEvent) -> None:
    if isinstance(event, ClockTicked):
        return
    if d.profile is None and not isinstance(event, PartnerOnboarded):
        d.pend(event, "partner")
        return
    match event:
        case SaleRecorded():
            sales.on_sale(d, event)
        case SaleReturned():
            sales.on_return(d, event)
        case SupportCaseOpened():
            master.on_case_opened(d, event)
        case SupportCaseResolved():
            master.on_case_resolved(d, event)
        case SupportCaseRated():
            master.on_case_rated(d, event)
        case DealRegistered():
            master.on_registered(d, event)
        case DealRegistrationApproved():
            master.on_approved(d, event)
        case DealRegistrationRejected() | DealRegistrationWithdrawn():
            master.on_registration_ended(d, event)
        case AllowanceClaimed():
            settlement.on_claimed(d, event)
        case AllowanceClaimApproved():
            settlement.on_claim_approved(d, event)
        case AllowanceClaimRejected():
            settlement.on_claim_rejected(d, event)
        case PayoutIssued():
            settlement.on_payout(d, event)
        case PayoutReversed():
            settlement.on_payout_reversed(d, event)
        case PartnerOnboarded():
            master.on_onboarded(d, event)
        case PartnerTierChanged():
            master.on_tier_changed(d, event)
        case PartnerTerritoryChanged():
            master.on_territory_changed(d, event)
        case PartnerCertified():
            master.on_certified(d, event)
        case PartnerOffboarded():
            master.on_offboarded(d, event)
        case AlertAcknowledged() | AlertResolved():
            pass
