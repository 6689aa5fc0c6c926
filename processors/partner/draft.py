"""The working copy of a partner state while one event is applied.

Handlers read and replace the draft's fields; its maps are ``PersistentMap`` values, so an
update (``d.claims = d.claims.set(...)``) costs O(1) and the state passed to ``apply`` still
reads as it did. The draft also collects the event's outputs in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from processors.ledger.money import ZERO
from processors.partner.config import DEFAULT_CONFIG, ProcessorConfig
from processors.partner.persistent import PersistentMap
from processors.partner.state import (
    NO_ALERTS,
    AlertTrack,
    CareMonth,
    CertWindow,
    Claim,
    ExpiryLog,
    Fund,
    ParkedEvents,
    PartnerAlert,
    PartnerState,
    Payout,
    Pending,
    PeriodState,
    Profile,
    Registration,
    SaleMap,
    SeenMap,
)
from processors.programs.book import ProgramBook
from processors.programs.model import Program
from schemas.events import InputEvent, PartnerTier, PartnerType
from schemas.outputs import AccrualForgone, ConflictAlert, LedgerEntry, Rejected
from schemas.reasons import ReasonCode

Output = LedgerEntry | ConflictAlert | Rejected | AccrualForgone


class Draft:
    """Mutable view of a ``PartnerState`` for the duration of one ``apply`` call."""

    __slots__ = (
        "_inherited_deadline",
        "alerts",
        "book",
        "care",
        "cases",
        "certifications",
        "claims",
        "clock",
        "config",
        "funds",
        "outputs",
        "partner_id",
        "payable",
        "payouts",
        "pending",
        "pending_deadline",
        "periods",
        "profile",
        "pruned_at",
        "redo",
        "registrations",
        "revenue",
        "sales",
        "sales_log",
        "seen",
        "seen_log",
        "territory_alerts",
    )

    partner_id: str
    clock: datetime | None
    profile: Profile | None
    certifications: PersistentMap[str, tuple[CertWindow, ...]]
    registrations: PersistentMap[str, Registration]
    periods: PersistentMap[str, PeriodState]
    revenue: PersistentMap[str, Decimal]
    funds: PersistentMap[str, Fund]
    payable: PersistentMap[str, Decimal]
    sales: SaleMap
    claims: PersistentMap[str, Claim]
    payouts: PersistentMap[str, Payout]
    cases: PersistentMap[str, datetime]
    care: PersistentMap[str, CareMonth]
    territory_alerts: PersistentMap[str, AlertTrack]
    pending: ParkedEvents
    pending_deadline: datetime | None
    seen: SeenMap
    seen_log: ExpiryLog
    sales_log: ExpiryLog
    pruned_at: datetime | None
    alerts: PersistentMap[str, PartnerAlert]

    def __init__(self, state: PartnerState, book: ProgramBook, config: ProcessorConfig) -> None:
        self.book = book
        self.config = config
        # One unpacking, in PartnerState's field order (once per event: field by field costs more).
        (
            self.partner_id,
            self.clock,
            self.profile,
            self.certifications,
            self.registrations,
            self.periods,
            self.revenue,
            self.funds,
            self.payable,
            self.sales,
            self.claims,
            self.payouts,
            self.cases,
            self.care,
            self.territory_alerts,
            self.pending,
            self.pending_deadline,
            self.seen,
            self.seen_log,
            self.sales_log,
            self.pruned_at,
            alerts,
        ) = state
        # A state saved before ``alerts`` existed holds the shared NO_ALERTS, never to be updated.
        self.alerts = alerts if alerts is not NO_ALERTS else PersistentMap()
        self.outputs: list[Output] = []
        self.redo: Callable[[Draft, InputEvent], None] | None = None
        """Set by ``apply``: re-dispatches a parked event once what it waited for arrived."""
        self._inherited_deadline: datetime | None = None

    def freeze(self) -> PartnerState:
        # Positional, in PartnerState's field order (once per event: keywords cost twice as much).
        return PartnerState(
            self.partner_id,
            self.clock,
            self.profile,
            self.certifications,
            self.registrations,
            self.periods,
            self.revenue,
            self.funds,
            self.payable,
            self.sales,
            self.claims,
            self.payouts,
            self.cases,
            self.care,
            self.territory_alerts,
            self.pending,
            self.pending_deadline,
            self.seen,
            self.seen_log,
            self.sales_log,
            self.pruned_at,
            self.alerts,
        )

    # --- outputs --------------------------------------------------------------------

    def reject(self, event: InputEvent, code: ReasonCode, message: str) -> None:
        self.outputs.append(
            Rejected(
                event_id=event.event_id, event_type=event.event_type, reason_code=code.value, message=message
            )
        )

    # --- what the partner takes part in ---------------------------------------------

    def offboarded_at(self, at: datetime) -> bool:
        """The partner was offboarded at or before business time ``at``."""
        off = self.profile.offboarded_at if self.profile is not None else None
        return off is not None and at >= off

    def active_programs(self, at: datetime) -> tuple[Program, ...]:
        """Program versions governing the partner's sales at ``at``: enrolled, effective, eligible."""
        profile = self.profile
        if profile is None:
            return ()
        return self.book.active(profile.programs, profile.partner_type, at)

    def enrolled(self, program_id: str, at: datetime) -> Program | None:
        """The version to settle a claim or payout under, if the partner is enrolled at all."""
        if self.profile is None or program_id not in self.profile.programs:
            return None
        return self.book.governing(program_id, at)

    def add_payable(self, program_id: str, delta: Decimal) -> None:
        if delta:
            self.payable = self.payable.set(program_id, (self.payable.get(program_id) or ZERO) + delta)

    # --- parking events that arrived before what they refer to ----------------------

    def pend(self, event: InputEvent, waits_for: str, deadline: datetime | None = None) -> None:
        if deadline is None:
            deadline = self._inherited_deadline
        if deadline is None:
            clock = self.clock or event.occurred_at
            deadline = max(clock, event.occurred_at) + self.config.pending_max_age
        parked = Pending(waits_for=waits_for, deadline=deadline, event=event)
        self.pending = self.pending.set(waits_for, (*(self.pending.get(waits_for) or ()), parked))
        if self.pending_deadline is None or deadline < self.pending_deadline:
            self.pending_deadline = deadline
        if self.pending.count > self.config.pending_max_events:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        """Make room in the full buffer: the soonest deadline goes (ties by event id)."""
        waiting = self.pending
        _, event_id, waits_for = waiting.by_deadline[0]
        parked = waiting[waits_for]
        oldest = next(p for p in parked if p.event.event_id == event_id)
        rest = tuple(p for p in parked if p is not oldest)
        self.pending = waiting.set(waits_for, rest) if rest else waiting.without_keys((waits_for,))
        self.reject(
            oldest.event,
            ReasonCode.PENDING_EXPIRED,
            f"dropped from the full pending buffer ({self.config.pending_max_events} events) "
            f"while waiting for {oldest.waits_for}",
        )

    def release(self, waits_for: str) -> None:
        """Re-apply, in arrival order, the events parked for ``waits_for``."""
        if self.redo is None or not self.pending.count:
            return
        ready = self.pending.get(waits_for)
        if ready is None:
            return
        self.pending = self.pending.without_keys((waits_for,))
        for parked in ready:
            # A released event that must wait again (e.g. a return whose partner just
            # onboarded but whose sale has not arrived) keeps its original deadline.
            self._inherited_deadline = parked.deadline
            try:
                self.redo(self, parked.event)
            finally:
                self._inherited_deadline = None


def _check_field_order() -> None:
    """``Draft`` unpacks and rebuilds ``PartnerState`` by position; a field added to or moved in
    the state without the same change here would silently swap values, so refuse at import.

    The probe state is well typed (so a compiled ``Draft``, whose attributes are checked, takes
    it) and each of its fields holds an object of its own: a swap shows as a field that is not
    the very object the state holds."""
    names: tuple[str, ...] = PartnerState._fields
    empty = PartnerState.empty("probe")
    at = datetime(2000, 1, 1, tzinfo=UTC)
    probe_state = empty._replace(
        clock=at,
        profile=Profile("probe", PartnerType.VAR, PartnerTier.GOLD, (), (), at),
        pending_deadline=at + timedelta(days=1),
        pruned_at=at + timedelta(days=2),
    )
    if len({id(value) for value in probe_state}) != len(names):
        raise ImportError("processors.partner.draft: the field order probe needs a distinct object per field")
    probe = Draft(probe_state, ProgramBook(()), DEFAULT_CONFIG)
    rebuilt = probe.freeze()
    for name, value, again in zip(names, probe_state, rebuilt, strict=True):
        if getattr(probe, name) is not value or again is not value:
            raise ImportError("processors.partner.draft: Draft's field order differs from PartnerState's")


_check_field_order()
