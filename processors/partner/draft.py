"""The working copy of a partner state while one event is applied.

Handlers read and change a ``Draft``; its maps are copied on first write (``Cow``), so the
state passed to ``apply`` is never touched and events that change little copy little. The
draft also collects the event's outputs in order.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Mapping, ValuesView
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from processors.ledger.money import ZERO
from processors.partner.config import ProcessorConfig
from processors.partner.shards import ShardedMap
from processors.partner.state import (
    AlertTrack,
    CareMonth,
    CertWindow,
    Claim,
    ExpiryLog,
    Fund,
    OpenSale,
    PartnerState,
    Payout,
    Pending,
    PeriodState,
    Profile,
    Registration,
    Seen,
)
from processors.programs.book import ProgramBook
from processors.programs.model import Program
from schemas.events import InputEvent
from schemas.outputs import AccrualForgone, ConflictAlert, LedgerEntry, Rejected
from schemas.reasons import ReasonCode

Output = LedgerEntry | ConflictAlert | Rejected | AccrualForgone
V = TypeVar("V")


class Cow(Generic[V]):
    """A string-keyed map copied on its first write."""

    __slots__ = ("_map", "_owned")

    def __init__(self, source: Mapping[str, V]) -> None:
        self._map = source
        self._owned: dict[str, V] | None = None

    def get(self, key: str) -> V | None:
        return self._map.get(key)

    def __contains__(self, key: str) -> bool:
        return key in self._map

    def __len__(self) -> int:
        return len(self._map)

    def items(self) -> ItemsView[str, V]:
        return self._map.items()

    def values(self) -> ValuesView[V]:
        return self._map.values()

    def w(self) -> dict[str, V]:
        """The map, made writable (copied once)."""
        if self._owned is None:
            self._owned = dict(self._map)
            self._map = self._owned
        return self._owned

    def drop_where(self, drop: Callable[[V], bool]) -> None:
        doomed = [k for k, v in self._map.items() if drop(v)]
        if doomed:
            writable = self.w()
            for key in doomed:
                del writable[key]

    def frozen(self) -> Mapping[str, V]:
        return self._map


class Draft:
    """Mutable view of a ``PartnerState`` for the duration of one ``apply`` call."""

    def __init__(self, state: PartnerState, book: ProgramBook, config: ProcessorConfig) -> None:
        self.book = book
        self.config = config
        self.partner_id = state.partner_id
        self.clock: datetime | None = state.clock
        self.profile: Profile | None = state.profile
        self.certifications: Cow[tuple[CertWindow, ...]] = Cow(state.certifications)
        self.registrations: Cow[Registration] = Cow(state.registrations)
        self.periods: Cow[PeriodState] = Cow(state.periods)
        self.revenue: Cow[Decimal] = Cow(state.revenue)
        self.funds: Cow[Fund] = Cow(state.funds)
        self.payable: Cow[Decimal] = Cow(state.payable)
        self.sales: ShardedMap[OpenSale] = state.sales
        self.claims: Cow[Claim] = Cow(state.claims)
        self.payouts: Cow[Payout] = Cow(state.payouts)
        self.cases: Cow[datetime] = Cow(state.cases)
        self.care: Cow[CareMonth] = Cow(state.care)
        self.territory_alerts: Cow[AlertTrack] = Cow(state.territory_alerts)
        self.pending: Cow[tuple[Pending, ...]] = Cow(state.pending)
        self.pending_deadline: datetime | None = state.pending_deadline
        self.seen: ShardedMap[Seen] = state.seen
        self.seen_log: ExpiryLog = state.seen_log
        self.sales_log: ExpiryLog = state.sales_log
        self.pruned_at: datetime | None = state.pruned_at
        self.outputs: list[Output] = []
        self.redo: Callable[[Draft, InputEvent], None] | None = None
        """Set by ``apply``: re-dispatches a parked event once what it waited for arrived."""
        self._inherited_deadline: datetime | None = None

    def freeze(self) -> PartnerState:
        return PartnerState(
            partner_id=self.partner_id,
            clock=self.clock,
            profile=self.profile,
            certifications=self.certifications.frozen(),
            registrations=self.registrations.frozen(),
            periods=self.periods.frozen(),
            revenue=self.revenue.frozen(),
            funds=self.funds.frozen(),
            payable=self.payable.frozen(),
            sales=self.sales,
            claims=self.claims.frozen(),
            payouts=self.payouts.frozen(),
            cases=self.cases.frozen(),
            care=self.care.frozen(),
            territory_alerts=self.territory_alerts.frozen(),
            pending=self.pending.frozen(),
            pending_deadline=self.pending_deadline,
            seen=self.seen,
            seen_log=self.seen_log,
            sales_log=self.sales_log,
            pruned_at=self.pruned_at,
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

    def active_programs(self, at: datetime) -> list[Program]:
        """Program versions governing the partner's sales at ``at``: enrolled, effective, eligible."""
        profile = self.profile
        if profile is None:
            return []
        found = []
        for program_id in profile.programs:
            program = self.book.effective(program_id, at)
            if program is not None and profile.partner_type in program.eligible_partner_types:
                found.append(program)
        return found

    def enrolled(self, program_id: str, at: datetime) -> Program | None:
        """The version to settle a claim or payout under, if the partner is enrolled at all."""
        if self.profile is None or program_id not in self.profile.programs:
            return None
        return self.book.governing(program_id, at)

    def add_payable(self, program_id: str, delta: Decimal) -> None:
        if delta:
            self.payable.w()[program_id] = (self.payable.get(program_id) or ZERO) + delta

    # --- parking events that arrived before what they refer to ----------------------

    def pend(self, event: InputEvent, waits_for: str, deadline: datetime | None = None) -> None:
        if deadline is None:
            deadline = self._inherited_deadline
        if deadline is None:
            clock = self.clock or event.occurred_at
            deadline = max(clock, event.occurred_at) + self.config.pending_max_age
        parked = Pending(waits_for=waits_for, deadline=deadline, event=event)
        waiting = self.pending.w()
        waiting[waits_for] = (*waiting.get(waits_for, ()), parked)
        if self.pending_deadline is None or deadline < self.pending_deadline:
            self.pending_deadline = deadline
        if sum(map(len, waiting.values())) > self.config.pending_max_events:
            self._evict_oldest(waiting)

    def _evict_oldest(self, waiting: dict[str, tuple[Pending, ...]]) -> None:
        oldest = min((p for ps in waiting.values() for p in ps), key=lambda p: (p.deadline, p.event.event_id))
        rest = tuple(p for p in waiting[oldest.waits_for] if p is not oldest)
        if rest:
            waiting[oldest.waits_for] = rest
        else:
            del waiting[oldest.waits_for]
        self.reject(
            oldest.event,
            ReasonCode.PENDING_EXPIRED,
            f"dropped from the full pending buffer ({self.config.pending_max_events} events) "
            f"while waiting for {oldest.waits_for}",
        )

    def release(self, waits_for: str) -> None:
        """Re-apply, in arrival order, the events parked for ``waits_for``."""
        if self.redo is None or waits_for not in self.pending:
            return
        ready = self.pending.w().pop(waits_for)
        for parked in ready:
            # A released event that must wait again (e.g. a return whose partner just
            # onboarded but whose sale has not arrived) keeps its original deadline.
            self._inherited_deadline = parked.deadline
            try:
                self.redo(self, parked.event)
            finally:
                self._inherited_deadline = None
