"""The partner processor: ``apply(state, event, book) -> (state, outputs)``, pure.

Order of work for one event: (0) an alert lifecycle event (acknowledgement, resolution) revises
one of the partner's alerts and does nothing else (``alerts.on_lifecycle``); any other event:
(1) a duplicate event id is a no-op, or a rejection when its content differs; (2) an event older
than the late horizon is rejected as LATE_EVENT (its period is closed and its id may have been
forgotten, so it cannot be checked for duplication); (3) the partner's business clock moves
forward, closing periods and expiring funds and parked events; (4) the event is applied, or
parked when what it refers to has not arrived yet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar, cast

from processors.partner import alerts, clock, master, sales, settlement
from processors.partner.config import DEFAULT_CONFIG, ProcessorConfig
from processors.partner.draft import Draft, Output
from processors.partner.state import PartnerState
from processors.programs.book import ProgramBook
from schemas.events import (
    EVENT_TYPES,
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

E = TypeVar("E", bound=InputEvent)


def partner_key(event: InputEvent) -> str | None:
    """The partner whose state ``event`` belongs to; None for events this processor ignores
    (DIRECT sales and their returns, and the lifecycle of the customer processor's alerts).

    An acknowledgement or resolution naming a partner (``partner_id`` not blank) is for an alert
    this processor raised, and goes to it only (``conflicts.customer_key`` is None for it)."""
    if isinstance(event, SaleRecorded):
        return event.partner_id if event.channel is SaleChannel.PARTNER else None
    if isinstance(event, AlertAcknowledged | AlertResolved):
        return event.partner_id if event.partner_id.strip() else None
    return event.partner_id or None


def event_digest(event: InputEvent) -> str:
    """Content digest for duplicate detection: SHA-256 of the event's repr (all fields, exact
    decimals and aware datetimes), truncated to 64 bits to keep the seen-id set small."""
    plain = _REPRS.get(type(event))  # ``_repr``, inline: once per event
    text = plain(event) if plain is not None else repr(event)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain_repr(cls: type) -> Callable[[InputEvent], str]:
    """The dataclass ``__repr__`` without its recursion guard: events hold no cycles, and the
    guard costs a quarter of the digest. Same string as ``repr``."""
    method = cls.__repr__
    return cast(Callable[[InputEvent], str], getattr(method, "__wrapped__", method))


_REPRS: dict[type, Callable[[InputEvent], str]] = {cls: _plain_repr(cls) for cls in EVENT_TYPES.values()}


def _repr(event: InputEvent) -> str:
    plain = _REPRS.get(type(event))
    return plain(event) if plain is not None else repr(event)


_LIFECYCLE: frozenset[type] = frozenset({AlertAcknowledged, AlertResolved})


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
    if type(event) in _LIFECYCLE:
        # Before the seen map, the late horizon and the clock: it moves no business time.
        return alerts.on_lifecycle(state, cast(AlertAcknowledged | AlertResolved, event), config)
    digest = event_digest(event)
    seen = state.seen.get(event.event_id)  # (digest, business time)
    if seen is not None:
        if seen[0] == digest:
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
    d.seen = d.seen.insert(event.event_id, (digest, event.occurred_at))  # absent: looked up above
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
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(d, event)


def _handler(on: Callable[[Draft, E], None]) -> Callable[[Draft, InputEvent], None]:
    return cast(Callable[[Draft, InputEvent], None], on)


_HANDLERS: dict[type, Callable[[Draft, InputEvent], None]] = {
    SaleRecorded: _handler(sales.on_sale),
    SaleReturned: _handler(sales.on_return),
    SupportCaseOpened: _handler(master.on_case_opened),
    SupportCaseResolved: _handler(master.on_case_resolved),
    SupportCaseRated: _handler(master.on_case_rated),
    DealRegistered: _handler(master.on_registered),
    DealRegistrationApproved: _handler(master.on_approved),
    DealRegistrationRejected: _handler(master.on_registration_ended),
    DealRegistrationWithdrawn: _handler(master.on_registration_ended),
    AllowanceClaimed: _handler(settlement.on_claimed),
    AllowanceClaimApproved: _handler(settlement.on_claim_approved),
    AllowanceClaimRejected: _handler(settlement.on_claim_rejected),
    PayoutIssued: _handler(settlement.on_payout),
    PayoutReversed: _handler(settlement.on_payout_reversed),
    PartnerOnboarded: _handler(master.on_onboarded),
    PartnerTierChanged: _handler(master.on_tier_changed),
    PartnerTerritoryChanged: _handler(master.on_territory_changed),
    PartnerCertified: _handler(master.on_certified),
    PartnerOffboarded: _handler(master.on_offboarded),
}
"""Handler per event type (alert lifecycle events have none: ``apply`` answers them first)."""
