"""Partner state: everything the partner processor remembers about one partner, and its bounds.

The state and its records are immutable: records are named tuples (a frozen dataclass costs
3 to 5 times more to build, and the processor builds several records per event), and its
maps are persistent (``PersistentMap``), so an old state stays valid after an event.
``to_bytes`` is canonical JSON: equal states give equal bytes, which is how replays compare.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, Self

from processors.ledger.canonical import JsonValue, canonical_bytes, decode, from_bytes
from processors.partner.persistent import BulkMap, PersistentMap
from schemas.events import InputEvent, PartnerTier, PartnerType
from schemas.outputs import Bucket, ConflictAlert


class Profile(NamedTuple):
    name: str
    partner_type: PartnerType
    tier: PartnerTier
    territories: tuple[str, ...]
    programs: tuple[str, ...]
    onboarded_at: datetime
    offboarded_at: datetime | None = None


class CertWindow(NamedTuple):
    valid_from: datetime
    valid_until: datetime


class RegistrationStatus(StrEnum):
    REGISTERED = "REGISTERED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class Registration(NamedTuple):
    """The partner's own deal registration, kept to grant the registration bonus."""

    customer_id: str
    product_line: str | None
    """None when the approval arrived before the registration itself (matches any line)."""
    registered_at: datetime | None
    approved_at: datetime | None
    explicit_expiry: datetime | None
    ended_at: datetime | None
    """Rejection or withdrawal time."""
    status: RegistrationStatus


class RuleProgress(NamedTuple):
    """A period rule's running figures: eligible revenue counted and amount accrued so far."""

    base: Decimal
    accrued: Decimal
    tier: str | None


class PeriodState(NamedTuple):
    """An open period of one program; removed when the period closes."""

    program_id: str
    period: str
    closes_at: datetime
    revenue: Decimal
    rules: Mapping[str, RuleProgress]


class Earning(NamedTuple):
    """What one sale earned under one rule: the exact amount a return claws back."""

    program_id: str
    program_version: int
    rule_id: str
    bucket: Bucket
    period: str
    tier: str | None
    per_unit: bool
    """Prorate returns by quantity (per-unit rules) rather than by amount."""
    counted: bool
    """The sale's amount is in the period rule's base (False when gated)."""
    earned: Decimal
    clawed: Decimal
    forgone: Decimal
    forgone_reversed: Decimal


class OpenSale(NamedTuple):
    sale_id: str
    event_id: str
    occurred_at: datetime
    currency: str
    product_line: str
    period_keys: tuple[str, ...]
    """``program|period`` of each program the sale's revenue was counted in."""
    quantity: int
    amount: Decimal
    returned_quantity: int
    returned_amount: Decimal
    return_ids: tuple[str, ...]
    earnings: tuple[Earning, ...]


# --- records kept in bulk, stored as plain tuples -----------------------------------------
#
# Open sales (with their earnings) and the event ids seen are most of a partner's state. The
# cyclic garbage collector scans every container it tracks, and a named tuple (like a
# dataclass instance) stays tracked for life, whereas a plain tuple holding only strings,
# numbers, decimals and datetimes is untracked the first time the collector sees it. So these
# records are stored as plain tuples (enums by value) and read back as named tuples: the
# collector's work then does not grow with the number of sales and ids a partner holds.

_ZERO = Decimal("0.00")
PackedEarning = tuple[str, int, str, str, str, str | None, bool, bool, Decimal, Decimal, Decimal, Decimal]
PackedSale = tuple[
    str,
    str,
    datetime,
    str,
    str,
    tuple[str, ...],
    int,
    Decimal,
    int,
    Decimal,
    tuple[str, ...],
    tuple[PackedEarning, ...],
]


def new_earning(
    program_id: str,
    program_version: int,
    rule_id: str,
    bucket_value: str,
    period: str,
    tier: str | None,
    per_unit: bool,
    counted: bool,
    earned: Decimal,
    forgone: Decimal,
) -> PackedEarning:
    """A sale's earning under one rule, packed, nothing clawed back or reversed yet
    (``bucket_value``: the bucket's value, as packed records keep enums)."""
    return (
        program_id,
        program_version,
        rule_id,
        bucket_value,
        period,
        tier,
        per_unit,
        counted,
        earned,
        _ZERO,
        forgone,
        _ZERO,
    )


def new_sale(
    sale_id: str,
    event_id: str,
    occurred_at: datetime,
    currency: str,
    product_line: str,
    period_keys: tuple[str, ...],
    quantity: int,
    amount: Decimal,
    earnings: tuple[PackedEarning, ...],
) -> PackedSale:
    """An open sale, packed, nothing returned yet."""
    return (
        sale_id,
        event_id,
        occurred_at,
        currency,
        product_line,
        period_keys,
        quantity,
        amount,
        0,
        _ZERO,
        (),
        earnings,
    )


def pack_sale(sale: OpenSale) -> PackedSale:
    return (
        sale.sale_id,
        sale.event_id,
        sale.occurred_at,
        sale.currency,
        sale.product_line,
        sale.period_keys,
        sale.quantity,
        sale.amount,
        sale.returned_quantity,
        sale.returned_amount,
        sale.return_ids,
        tuple(
            (
                e.program_id,
                e.program_version,
                e.rule_id,
                e.bucket.value,
                e.period,
                e.tier,
                e.per_unit,
                e.counted,
                e.earned,
                e.clawed,
                e.forgone,
                e.forgone_reversed,
            )
            for e in sale.earnings
        ),
    )


def unpack_sale(raw: PackedSale) -> OpenSale:
    return OpenSale(*raw[:11], tuple(_unpack_earning(*e) for e in raw[11]))


_BUCKETS = {b.value: b for b in Bucket}
"""Buckets by value: a lookup costs a fraction of ``Bucket(value)``."""


def _unpack_earning(
    program_id: str,
    program_version: int,
    rule_id: str,
    bucket: str,
    period: str,
    tier: str | None,
    per_unit: bool,
    counted: bool,
    earned: Decimal,
    clawed: Decimal,
    forgone: Decimal,
    forgone_reversed: Decimal,
) -> Earning:
    return Earning(
        program_id,
        program_version,
        rule_id,
        _BUCKETS.get(bucket) or Bucket(bucket),
        period,
        tier,
        per_unit,
        counted,
        earned,
        clawed,
        forgone,
        forgone_reversed,
    )


class SaleMap(BulkMap[PackedSale]):
    """Sales open for returns, by sale id, stored packed (see above)."""

    __slots__ = ()

    def sale(self, sale_id: str) -> OpenSale | None:
        raw = self.get(sale_id)
        return unpack_sale(raw) if raw is not None else None

    def with_sale(self, sale: OpenSale) -> Self:
        return self.set(sale.sale_id, pack_sale(sale))

    def canonical_form(self) -> dict[str, OpenSale]:
        """Hook for ``processors.ledger.canonical``: the sales as records."""
        return {sale_id: unpack_sale(raw) for sale_id, raw in self.items()}

    @classmethod
    def from_canonical_form(cls, data: JsonValue) -> SaleMap:
        return cls((k, pack_sale(v)) for k, v in decode(dict[str, OpenSale], data).items())


class FundSlice(NamedTuple):
    """Allowance accrued in one period, claimable until ``expires_at``."""

    period: str
    expires_at: datetime
    balance: Decimal
    program_version: int
    rule_id: str


class Fund(NamedTuple):
    """One allowance fund; ``overdraft`` is what approved claims took beyond its balance."""

    slices: tuple[FundSlice, ...]
    overdraft: Decimal

    @property
    def available(self) -> Decimal:
        return sum((s.balance for s in self.slices), Decimal("0.00")) - self.overdraft


class ClaimStatus(StrEnum):
    OPEN = "OPEN"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Claim(NamedTuple):
    claim_id: str
    event_id: str
    program_id: str
    program_version: int
    rule_id: str
    bucket: Bucket
    amount: Decimal
    currency: str
    claimed_at: datetime
    status: ClaimStatus
    decided_at: datetime | None
    alert_revision: int


class Payout(NamedTuple):
    payout_id: str
    event_id: str
    program_id: str
    program_version: int
    amount: Decimal
    currency: str
    period: str
    issued_at: datetime
    reversed_by: str | None


class CareMonth(NamedTuple):
    """Support figures of one month, summed into the care bonus of the periods covering it."""

    resolved: int
    resolution_seconds: int
    rated: int
    csat_total: int


class AlertTrack(NamedTuple):
    revision: int
    first_at: datetime
    last_at: datetime
    evidence: tuple[str, ...]


class PartnerAlert(NamedTuple):
    """The latest revision of an alert this processor raised, kept so that acknowledgements and
    resolutions (and evidence arriving after them) can revise it."""

    alert: ConflictAlert
    lifecycle_events: tuple[str, ...]
    """Ids of the lifecycle events applied to it: a redelivered one changes nothing."""
    note: str
    """What the latest lifecycle change appended to the description ("" when none)."""
    last_at: datetime
    """Business time of its latest change (raise, new evidence, acknowledgement, resolution)."""


class Pending(NamedTuple):
    """An event parked until what it refers to arrives (``waits_for``), at most until ``deadline``."""

    waits_for: str
    deadline: datetime
    event: InputEvent


class LogChunk(NamedTuple):
    """Up to ``LOG_CHUNK`` keys added in arrival order, with the latest business time among them."""

    latest: datetime
    keys: tuple[str, ...]


LOG_CHUNK = 64
PackedChunk = tuple[datetime, tuple[str, ...]]
"""A ``LogChunk`` as stored: a plain tuple (see "records kept in bulk")."""


class ExpiryLog:
    """Arrival-ordered log of the keys of a large map, in chunks: the map is pruned by dropping
    whole chunks from the front once their latest time is past the bound, so pruning costs O(1)
    per key. Persistent like the maps it serves: ``add`` and ``expire`` return a new log.
    Its canonical form is the list of chunks, oldest first.

    The newest chunk (the one ``add`` grows, at position ``_end - 1``) is held in ``_last``
    only, and goes into the chunk map when it is full: an ``add`` then costs no map update
    (it runs for nearly every event). The map may also hold a stale copy at ``_end - 1`` (logs
    pickled or decoded with it there); that copy is never read, and is overwritten or dropped
    like any other position."""

    __slots__ = ("_chunks", "_end", "_first", "_last", "_oldest")

    def __init__(
        self,
        chunks: PersistentMap[int, PackedChunk] | None = None,
        first: int = 0,
        end: int = 0,
        last: PackedChunk | None = None,
        oldest: datetime | None = None,
    ) -> None:
        self._chunks: PersistentMap[int, PackedChunk] = chunks if chunks is not None else PersistentMap()
        self._first = first
        """Position of the oldest chunk; chunks are numbered in arrival order up to ``_end``."""
        self._end = end
        self._last = last
        """The newest chunk (the one ``add`` grows); None when the log is empty."""
        self._oldest = oldest
        """Latest time in the oldest chunk: nothing expires before it."""

    def __reduce__(self) -> tuple[type[ExpiryLog], tuple[object, ...]]:
        """Pickle with every chunk in the map, newest included (the form of earlier releases,
        which build a log from these constructor arguments too)."""
        chunks = dict(self._chunks._dict())
        if self._last is not None:
            chunks[self._end - 1] = self._last
        return (ExpiryLog, (PersistentMap(chunks), self._first, self._end, self._last, self._oldest))

    def __len__(self) -> int:
        return self._end - self._first

    def _chunk(self, position: int) -> PackedChunk:
        if position == self._end - 1:
            assert self._last is not None
            return self._last
        return self._chunks[position]

    def chunks(self) -> list[LogChunk]:
        return [LogChunk(*self._chunk(i)) for i in range(self._first, self._end)]

    def add(self, key: str, at: datetime) -> ExpiryLog:
        last, end = self._last, self._end
        # Built without ``__init__`` (a log is added to for nearly every event).
        new = object.__new__(ExpiryLog)
        if last is not None and len(last[1]) < LOG_CHUNK:
            chunk = (last[0] if last[0] >= at else at, (*last[1], key))
            new._chunks, new._end = self._chunks, end
            new._oldest = chunk[0] if end - 1 == self._first else self._oldest
        else:
            # A new chunk: the full one goes into the map.
            chunk = (at, (key,))
            new._chunks = self._chunks.set(end - 1, last) if last is not None else self._chunks
            new._end = end + 1
            new._oldest = chunk[0] if end == self._first else self._oldest
        new._first, new._last = self._first, chunk
        return new

    def expire(self, before: datetime) -> tuple[ExpiryLog, list[str]]:
        """Drop the leading chunks whose keys are all older than ``before``; return their keys."""
        if self._oldest is None or self._oldest >= before:
            return self, []
        first, end = self._first, self._end
        keys: list[str] = []
        while first < end:
            chunk = self._chunk(first)
            if chunk[0] >= before:
                break
            keys.extend(chunk[1])
            first += 1
        chunks = self._chunks.without_keys(range(self._first, first))
        if first == end:
            return ExpiryLog(chunks, first, end), keys
        oldest = self._last if first == end - 1 else chunks[first]  # the new map: no rerooting
        assert oldest is not None
        return ExpiryLog(chunks, first, end, self._last, oldest[0]), keys

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExpiryLog):
            return NotImplemented
        return self.chunks() == other.chunks()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ExpiryLog({self.chunks()!r})"

    def canonical_form(self) -> list[LogChunk]:
        """Hook for ``processors.ledger.canonical``."""
        return self.chunks()

    @classmethod
    def from_canonical_form(cls, data: JsonValue) -> ExpiryLog:
        chunks = [(c.latest, c.keys) for c in decode(tuple[LogChunk, ...], data)]
        if not chunks:
            return cls()
        return cls(PersistentMap(enumerate(chunks)), 0, len(chunks), chunks[-1], chunks[0][0])


class Seen(NamedTuple):
    digest: str
    occurred_at: datetime


class SeenMap(BulkMap[tuple[str, datetime]]):
    """Event ids applied, with their content digest and business time, stored packed."""

    __slots__ = ()

    def digest_of(self, event_id: str) -> str | None:
        raw = self.get(event_id)
        return raw[0] if raw is not None else None

    def canonical_form(self) -> dict[str, Seen]:
        """Hook for ``processors.ledger.canonical``: the entries as ``Seen`` records."""
        return {event_id: Seen(*raw) for event_id, raw in self.items()}

    @classmethod
    def from_canonical_form(cls, data: JsonValue) -> SeenMap:
        return cls((k, (v.digest, v.occurred_at)) for k, v in decode(dict[str, Seen], data).items())


DeadlineEntry = tuple[datetime, str, str]
"""``(deadline, event id, waits_for)`` of one parked event."""


def _entry(p: Pending) -> DeadlineEntry:
    return (p.deadline, p.event.event_id, p.waits_for)


class ParkedEvents(PersistentMap[str, tuple[Pending, ...]]):
    """Parked events by what they wait for, with their count and a deadline index, so parking,
    the buffer's bound and deadline expiry cost O(parked events changed), not a scan."""

    __slots__ = ("by_deadline", "count")

    count: int
    """Parked events in this version."""
    by_deadline: tuple[DeadlineEntry, ...]
    """Every parked event, soonest deadline first (ties by event id)."""

    def __init__(
        self,
        items: Mapping[str, tuple[Pending, ...]] | None = None,
        shared: dict[str, tuple[Pending, ...]] | None = None,
    ) -> None:
        super().__init__(items or {}, shared)
        if shared is not None:  # a new version: ``set`` and ``without_keys`` fill these in
            self.count, self.by_deadline = 0, ()
            return
        parked = [p for ps in (items or {}).values() for p in ps]
        self.count = len(parked)
        self.by_deadline = tuple(sorted(_entry(p) for p in parked))

    @classmethod
    def from_canonical_form(cls, data: JsonValue) -> ParkedEvents:
        """Hook for ``processors.ledger.canonical`` (its canonical form is the mapping)."""
        return cls(decode(dict[str, tuple[Pending, ...]], data))

    @classmethod
    def from_dict(cls, items: Mapping[str, tuple[Pending, ...]]) -> ParkedEvents:
        return cls(items)

    def set(self, key: str, value: tuple[Pending, ...]) -> Self:
        before = self.get(key) or ()
        new = super().set(key, value)
        new.count = self.count - len(before) + len(value)
        new.by_deadline = _reindex(self.by_deadline, before, value)
        return new

    def without_keys(self, keys: Iterable[str]) -> Self:
        keys = list(keys)
        gone = [p for key in keys for p in (self.get(key) or ())]
        new = super().without_keys(keys)
        if new is not self:
            new.count = self.count - len(gone)
            new.by_deadline = _reindex(self.by_deadline, gone, ())
        return new


def _reindex(
    index: tuple[DeadlineEntry, ...], removed: Iterable[Pending], added: Iterable[Pending]
) -> tuple[DeadlineEntry, ...]:
    dropped = {_entry(p) for p in removed}
    fresh = {_entry(p) for p in added}
    dropped, fresh = dropped - fresh, fresh - dropped
    entries = list(index)
    for e in dropped:
        # The index is sorted: the copies of ``e`` are one run, found by bisection (cheaper
        # than testing every entry against ``dropped``).
        del entries[bisect_left(entries, e) : bisect_right(entries, e)]
    for e in fresh:
        insort(entries, e)
    return tuple(entries)


NO_ALERTS: PersistentMap[str, PartnerAlert] = PersistentMap()
"""The ``alerts`` of a state made before the field existed (unpickled or decoded). Shared by all
such states, so it must never be updated: ``Draft`` replaces it with a map of its own."""


class PartnerState(NamedTuple):
    """One partner's state. Map keys: periods ``program|period``, revenue ``currency|period``,
    funds ``program|bucket``, payable ``program``; the rest by their own ids.

    Every map is a ``PersistentMap``: updating one for the next state leaves this state's
    contents as they were, and costs O(1) whatever the map's size."""

    partner_id: str
    clock: datetime | None
    """Business high-water mark: the latest ``occurred_at`` applied."""
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
    """Parked events by what they wait for (``partner``, ``sale:<id>``, ``claim:<id>``...)."""
    pending_deadline: datetime | None
    """Earliest deadline among parked events (may be stale-early; a scan then refreshes it)."""
    seen: SeenMap
    seen_log: ExpiryLog
    sales_log: ExpiryLog
    pruned_at: datetime | None
    """When the small maps were last pruned (weekly, by business time)."""
    alerts: PersistentMap[str, PartnerAlert] = NO_ALERTS
    """Latest revision of each alert raised (territory and overpayment), by alert id, for its
    lifecycle. Last and defaulted, so states saved before it existed still load."""

    @classmethod
    def empty(cls, partner_id: str) -> PartnerState:
        return cls(
            partner_id=partner_id,
            clock=None,
            profile=None,
            certifications=PersistentMap(),
            registrations=PersistentMap(),
            periods=PersistentMap(),
            revenue=PersistentMap(),
            funds=PersistentMap(),
            payable=PersistentMap(),
            sales=SaleMap(),
            claims=PersistentMap(),
            payouts=PersistentMap(),
            cases=PersistentMap(),
            care=PersistentMap(),
            territory_alerts=PersistentMap(),
            pending=ParkedEvents(),
            pending_deadline=None,
            seen=SeenMap(),
            seen_log=ExpiryLog(),
            sales_log=ExpiryLog(),
            pruned_at=None,
            alerts=PersistentMap(),
        )

    def to_bytes(self) -> bytes:
        """Canonical JSON: deterministic, so equal states serialize to equal bytes."""
        return canonical_bytes(self)

    @classmethod
    def from_bytes(cls, raw: bytes) -> PartnerState:
        return from_bytes(cls, raw)
