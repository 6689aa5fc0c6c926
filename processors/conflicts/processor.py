"""The customer processor: ``apply(state, event, config) -> (state, outputs)``.

One customer's registrations, sales, returns and alert-lifecycle events go through here
in arrival order (the stream is keyed by ``customer_key``). The function is pure: no
clock but ``occurred_at``, no I/O, and the input state is never modified.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from processors.conflicts.alert_changes import AlertChanges
from processors.conflicts.alerts import Finding, acknowledge, resolve
from processors.conflicts.config import ConflictConfig
from processors.conflicts.pruning import (
    alert_reachable,
    cells_due_day,
    prune,
    prune_due,
    registration_due_day,
    registration_live,
    resolved_due_day,
    with_holders,
)
from processors.conflicts.registrations import (
    Approval,
    EndKind,
    HolderSpan,
    Registration,
    Stamp,
    holder_spans,
)
from processors.conflicts.rules import (
    contention_at,
    duplicates,
    registration_findings,
    sale_offence,
)
from processors.conflicts.sales import DIRECT_SELLER, SaleCell, SellerCells, drop_before, record_sale
from processors.conflicts.state import CustomerState
from processors.conflicts.timeutil import day_of
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    Event,
    InputEvent,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
)
from schemas.outputs import ConflictAlert, Rejected
from schemas.reasons import ReasonCode

Output = ConflictAlert | Rejected
Result = tuple[CustomerState, list[Output]]
_DIRECT = SaleChannel.DIRECT
_NO_SELLERS: Mapping[str, SellerCells] = MappingProxyType({})

CustomerEvent = (
    DealRegistered
    | DealRegistrationApproved
    | DealRegistrationRejected
    | DealRegistrationWithdrawn
    | SaleRecorded
    | SaleReturned
    | AlertAcknowledged
    | AlertResolved
)


def customer_key(event: InputEvent) -> str | None:
    """The customer whose state ``event`` belongs to, or None if the processor ignores it.

    An acknowledgement or resolution naming a partner (``partner_id`` not blank) is for an alert
    of the partner processor and goes there only (``partner.partner_key``): None here."""
    if type(event) is SaleRecorded:  # most of the stream: answer before the general check
        return event.customer_id
    if isinstance(event, AlertAcknowledged | AlertResolved):
        return None if event.partner_id.strip() else event.customer_id
    if isinstance(
        event,
        DealRegistered
        | DealRegistrationApproved
        | DealRegistrationRejected
        | DealRegistrationWithdrawn
        | SaleRecorded
        | SaleReturned
        | AlertAcknowledged
        | AlertResolved,
    ):
        return event.customer_id
    return None


def apply(state: CustomerState | None, event: InputEvent, config: ConflictConfig) -> Result:
    """Fold one event into its customer's state; returns the new state and the outputs.

    Raises ``ValueError`` for an event that is not a customer event or belongs to another
    customer: that is a routing bug in the caller, not bad input.
    """
    if type(event) is SaleRecorded and state is not None and state.customer_id == event.customer_id:
        # The bulk of the stream takes the shortest way in.
        if state.holders_ttl_days != config.registration_ttl_days:
            state = with_holders(state, config)
        return _sale(state, event, config)
    customer_id = customer_key(event)
    if customer_id is None:
        raise ValueError(f"{event.event_type} is not a customer event; route events with customer_key")
    if state is None:
        state = CustomerState.empty(customer_id)
    elif state.customer_id != customer_id:
        raise ValueError(f"event for customer {customer_id} applied to the state of {state.customer_id}")
    if state.holders_ttl_days != config.registration_ttl_days:
        state = with_holders(state, config)
    match event:
        case SaleRecorded():
            return _sale(state, event, config)
        case DealRegistered():
            return _registered(state, event, config)
        case DealRegistrationApproved():
            return _approved(state, event, config)
        case DealRegistrationRejected():
            return _ended(state, event, EndKind.REJECTED, config)
        case DealRegistrationWithdrawn():
            return _ended(state, event, EndKind.WITHDRAWN, config)
        case SaleReturned():
            # A return does not undo a conflict (the sale happened); it only moves the clock.
            state, late = _advance(state, event, config)
            return state, [late] if late else []
        case AlertAcknowledged() | AlertResolved():
            return _lifecycle(state, event, config)
    raise AssertionError(f"unhandled customer event {event.event_type}")  # pragma: no cover


# --- business clock, lateness and pruning ---------------------------------------------


def _advance(
    state: CustomerState, event: Event, config: ConflictConfig
) -> tuple[CustomerState, Rejected | None]:
    """Refuse an event too late to judge; move the clock forward (and prune on a new day)."""
    late = _late(state, event, config)
    if late is not None:
        return state, late
    at, clock = event.occurred_at, state.clock
    if clock is not None and at <= clock:
        return state, None
    if clock is None or prune_due(state, day_of(at)):
        return prune(state, at, config), None
    return state.evolve(clock=at), None


def _late(state: CustomerState, event: Event, config: ConflictConfig) -> Rejected | None:
    clock = state.clock
    if clock is None or event.occurred_at >= clock - config.lateness:
        return None
    return _rejected(
        event,
        ReasonCode.LATE_EVENT,
        f"occurred {clock - event.occurred_at} before customer {state.customer_id}'s latest event; "
        f"conflict rules judge events at most {config.allowed_lateness_days} days late",
    )


# --- sales ----------------------------------------------------------------------------


def _sale(state: CustomerState, sale: SaleRecorded, config: ConflictConfig) -> Result:
    """The hot path: builds the new state once (pruning, rare, builds its own)."""
    seller = sale.partner_id or DIRECT_SELLER
    if (sale.channel is _DIRECT) == bool(seller):
        if seller:
            return state, [
                _rejected(sale, ReasonCode.DIRECT_SALE_WITH_PARTNER, "a DIRECT sale names a partner")
            ]
        return state, [
            _rejected(sale, ReasonCode.PARTNER_SALE_WITHOUT_PARTNER, "a PARTNER sale names no partner")
        ]
    line, at = sale.product_line, sale.occurred_at
    day = int(at.timestamp() // 86_400)  # day_of, inlined on the hot path
    clock = state.clock
    if clock is None or at > clock:
        due = state.prune_due_day
        if due is None or day >= due:
            state = prune(state, at, config)
        clock, clock_day = at, day
    else:
        late = _late(state, sale, config)
        if late is not None:
            return state, [late]
        clock_day = day_of(clock)

    sales = state.sales
    sellers = sales.get(line, _NO_SELLERS)
    cells = sellers.get(seller, ())
    first_kept_day = clock_day - config.sales_kept_days + 1
    kept = drop_before(cells, first_kept_day) if cells and cells[0].day < first_kept_day else cells
    if not kept or kept[-1].day < day:  # the usual case: the seller's first sale of the day
        new_cells = (*kept, SaleCell(day, at, sale.event_id, at, sale.event_id))
    else:
        new_cells = record_sale(kept, day, at, sale.event_id)
    due = state.prune_due_day
    if new_cells is not cells:
        sellers = {**sellers, seller: new_cells}
        sales = {**sales, line: sellers}
        if due is not None and not cells:  # a new seller; known sellers only grow later
            due = min(due, cells_due_day(new_cells, config))

    spans = state.holders.get(line)
    offence = sale_offence(spans, seller, at, sale.event_id, config) if spans else None
    contention = None
    if seller and len(sellers) - (DIRECT_SELLER in sellers) >= config.contention_min_partners:
        contention = contention_at(sellers, day, config)
    alerts, episodes, outputs = state.alerts, state.episodes, []
    if offence is not None or contention is not None:
        changes = AlertChanges(state, config)
        if offence is not None:
            changes.fold(offence)
        if contention is not None:
            changes.fold_contention(line, contention, at)
        alerts, episodes, outputs = changes.alerts, changes.episodes, changes.outputs
    new_state = CustomerState(
        state.customer_id,
        clock,
        state.registrations,
        sales,
        alerts,
        state.holders,
        state.holders_ttl_days,
        due,
        episodes,
    )
    return new_state, outputs


# --- registrations --------------------------------------------------------------------


def _registered(state: CustomerState, event: DealRegistered, config: ConflictConfig) -> Result:
    state, late = _advance(state, event, config)
    if late is not None:
        return state, [late]
    known = _live_registration(state, event.registration_id, config)
    stamp = Stamp(event.occurred_at, event.event_id)
    if known is None:
        registration = Registration(
            event.registration_id, event.partner_id, event.product_line, registered=stamp
        )
    elif known.partner_id != event.partner_id or known.product_line not in (None, event.product_line):
        return state, [_mismatch(event, known)]
    elif known.registered is not None and _earlier_or_same(known.registered, stamp):
        return state, []
    else:
        registration = replace(known, product_line=event.product_line, registered=stamp)
    return _registration_changed(state, registration, event.occurred_at, config)


def _approved(state: CustomerState, event: DealRegistrationApproved, config: ConflictConfig) -> Result:
    state, late = _advance(state, event, config)
    if late is not None:
        return state, [late]
    known = _live_registration(state, event.registration_id, config) or Registration(
        event.registration_id, event.partner_id
    )
    if known.partner_id != event.partner_id:
        return state, [_mismatch(event, known)]
    ttl = config.ttl
    if known.registered is not None:
        if event.expires_at is not None and event.expires_at <= known.registered.at:
            return state, [
                _rejected(
                    event, ReasonCode.EXPIRY_BEFORE_REGISTRATION, "expires_at is not after the registration"
                )
            ]
        lapse = known.lapses_at(ttl)
        if known.first_approval is None and lapse is not None and event.occurred_at >= lapse:
            return state, [
                _rejected(
                    event,
                    ReasonCode.PENDING_EXPIRED,
                    f"registration {known.registration_id} lapsed unapproved at {lapse.isoformat()}",
                )
            ]
    approval = Approval(event.occurred_at, event.event_id, event.expires_at)
    first, last = known.first_approval, known.last_approval
    new_first = approval if first is None or _key(approval) < _key(first) else first
    new_last = approval if last is None or _key(approval) > _key(last) else last
    if new_first is first and new_last is last:
        return state, []
    registration = replace(known, first_approval=new_first, last_approval=new_last)
    return _registration_changed(state, registration, event.occurred_at, config)


def _ended(
    state: CustomerState,
    event: DealRegistrationRejected | DealRegistrationWithdrawn,
    kind: EndKind,
    config: ConflictConfig,
) -> Result:
    state, late = _advance(state, event, config)
    if late is not None:
        return state, [late]
    known = _live_registration(state, event.registration_id, config) or Registration(
        event.registration_id, event.partner_id
    )
    if known.partner_id != event.partner_id:
        return state, [_mismatch(event, known)]
    stamp = Stamp(event.occurred_at, event.event_id)
    if known.end is not None and _earlier_or_same(known.end, stamp):
        return state, []
    registration = replace(known, end=stamp, end_kind=kind)
    return _registration_changed(state, registration, event.occurred_at, config)


def _registration_changed(
    state: CustomerState, registration: Registration, trigger_at: datetime, config: ConflictConfig
) -> Result:
    """Store a changed registration; re-judge its product line if who-holds-when changed."""
    registrations = {**state.registrations, registration.registration_id: registration}
    due = state.prune_due_day
    if due is not None:
        due = min(due, registration_due_day(registration, config))
    line = registration.product_line
    if line is None:
        return state.evolve(registrations=registrations, prune_due_day=due), []
    assert state.clock is not None  # _advance ran
    since = state.clock - config.lateness
    old_spans = state.holders.get(line, ())
    previous = state.registrations.get(registration.registration_id)
    if registration.protection(config.ttl) is None and (
        previous is None or previous.protection(config.ttl) is None
    ):
        # It protects nothing, now or before (a new pending registration, say): who holds
        # when is unchanged, and only its own registration can be a duplicate.
        state = state.evolve(registrations=registrations, prune_due_day=due)
        return _fold(state, duplicates(registration, old_spans, since, trigger_at), config)
    line_registrations = [r for r in registrations.values() if r.product_line == line]
    spans = holder_spans(line_registrations, config.ttl)
    if _span_keys(spans) != _span_keys(old_spans):
        holders: dict[str, tuple[HolderSpan, ...]] = {**state.holders, line: spans}
        if not spans:
            del holders[line]
        state = state.evolve(registrations=registrations, holders=holders, prune_due_day=due)
        findings = registration_findings(
            line_registrations, spans, state.sales.get(line, {}), since, trigger_at, config
        )
    else:
        state = state.evolve(registrations=registrations, prune_due_day=due)
        findings = duplicates(registration, spans, since, trigger_at)
    return _fold(state, findings, config)


def _fold(state: CustomerState, findings: list[Finding], config: ConflictConfig) -> Result:
    if not findings:
        return state, []
    changes = AlertChanges(state, config)
    for finding in findings:
        changes.fold(finding)
    return changes.result()


# --- alert lifecycle ------------------------------------------------------------------


def _lifecycle(
    state: CustomerState, event: AlertAcknowledged | AlertResolved, config: ConflictConfig
) -> Result:
    record = state.alerts.get(event.alert_id)
    ttl = config.ttl
    clock = state.clock
    if (
        record is not None
        and clock is not None
        and not alert_reachable(record, state.registrations, clock, ttl, config)
    ):
        record = None  # may be forgotten any day: answer as if it already were
    if record is None:
        return state, [
            _rejected(
                event,
                ReasonCode.UNKNOWN_ALERT,
                f"no customer-conflict alert {event.alert_id} is kept for customer {state.customer_id}",
            )
        ]
    if isinstance(event, AlertAcknowledged):
        updated, alert = acknowledge(record, event.event_id, event.occurred_at, event.acknowledged_by, config)
    else:
        updated, alert = resolve(
            record, event.event_id, event.occurred_at, event.resolved_by, event.resolution, config
        )
    if alert is None:
        return state, []
    due = state.prune_due_day
    if due is not None and clock is not None:
        due = min(due, resolved_due_day(updated, state.registrations, clock, config))
    return state.evolve(alerts={**state.alerts, event.alert_id: updated}, prune_due_day=due), [alert]


# --- helpers --------------------------------------------------------------------------


def _live_registration(
    state: CustomerState, registration_id: str, config: ConflictConfig
) -> Registration | None:
    """The registration unless it may already be forgotten (then it counts as unknown)."""
    registration = state.registrations.get(registration_id)
    if registration is None or state.clock is None:
        return registration
    ttl = config.ttl
    lateness = config.lateness
    return registration if registration_live(registration, state.clock, ttl, lateness) else None


def _span_keys(spans: tuple[HolderSpan, ...]) -> list[tuple[datetime, datetime, str]]:
    """What decides re-judging: who holds when (not the holders' other details)."""
    return [(s.start, s.end, s.registration.registration_id) for s in spans]


def _key(approval: Approval) -> tuple[datetime, str]:
    return approval.at, approval.event_id


def _earlier_or_same(known: Stamp, new: Stamp) -> bool:
    return (known.at, known.event_id) <= (new.at, new.event_id)


def _mismatch(event: CustomerEvent, known: Registration) -> Rejected:
    line = f", product line {known.product_line}" if known.product_line else ""
    return _rejected(
        event,
        ReasonCode.REGISTRATION_MISMATCH,
        f"registration {known.registration_id} belongs to partner {known.partner_id}{line}",
    )


def _rejected(event: Event, reason: ReasonCode, message: str) -> Rejected:
    return Rejected(
        event_id=event.event_id, event_type=event.event_type, reason_code=reason.value, message=message
    )
