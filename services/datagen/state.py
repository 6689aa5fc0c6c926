"""The mutable state of one generator run and the one door events leave through.

Everything here is bounded by the cast (partners, customers) or by open items (scheduled
follow-ups, open registrations, unsettled periods), never by how many events were produced.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from schemas.events import ClockTicked, InputEvent, PartnerOffboarded, PartnerTier
from schemas.outputs import AlertRule
from services.datagen.clock import MS_PER_HOUR
from services.datagen.config import DatagenConfig
from services.datagen.products import ProductPicker
from services.datagen.queue import EventQueue
from services.datagen.records import ValidRecord
from services.datagen.registry import Registry
from services.datagen.tally import Tally
from services.datagen.world import World, volume_thresholds


@dataclass(slots=True)
class PartnerNow:
    """What has changed about a partner since onboarding."""

    tier: PartnerTier
    territories: tuple[str, ...]
    certified: dict[str, tuple[int, int]]
    """Product line -> (from, until) in ms of the partner's certification."""
    offboard_ms: int | None


@dataclass(slots=True)
class Slice:
    """Estimated allowance accrued in one period, and when what is left of it expires."""

    expires_ms: int
    amount: Decimal


@dataclass(slots=True)
class FundEstimate:
    """An allowance fund as the ledger keeps it: slices drawn oldest first, and an overdraft
    (a draw beyond the slices) that later accruals repay before they add a slice."""

    slices: list[Slice] = field(default_factory=list)
    overdraft: Decimal = Decimal(0)

    def accrue(self, expires_ms: int, amount: Decimal) -> None:
        repaid = min(amount, self.overdraft)
        self.overdraft -= repaid
        if amount - repaid > 0:
            self.slices.append(Slice(expires_ms, amount - repaid))

    def available(self, at_ms: int) -> Decimal:
        """What is left unexpired at ``at_ms`` (expired slices are forgotten)."""
        self.slices = [s for s in self.slices if s.expires_ms > at_ms and s.amount > 0]
        return sum((s.amount for s in self.slices), Decimal(0))

    def draw(self, amount: Decimal) -> None:
        for s in self.slices:
            take = min(s.amount, amount)
            s.amount -= take
            amount -= take
        self.overdraft += amount


@dataclass(slots=True)
class Settlement:
    """Per partner and program: payable bounds and allowance funds, as estimated."""

    owed_lower: Decimal = Decimal(0)
    owed_upper: Decimal = Decimal(0)
    funds: dict[str, FundEstimate] = field(default_factory=dict)
    """Allowance name -> fund."""


class Sim:
    def __init__(self, config: DatagenConfig, world: World, start_ms: int, end_ms: int) -> None:
        self.config = config
        self.world = world
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.rng = random.Random(f"{config.seed}:activity")
        self._late_rng = random.Random(f"{config.seed}:late")
        self._late_max_ms = config.late_max_hours * MS_PER_HOUR
        self.queue = EventQueue()
        self.registry = Registry()
        self.tally = Tally()
        self.partners = [PartnerNow(p.tier, p.territories, {}, p.offboard_ms) for p in world.partners]
        self.settlements: dict[tuple[int, str], Settlement] = {}
        self._seq = 0
        self.scheduled = 0
        """Valid events scheduled so far: what volume control steers by."""
        self.products = ProductPicker(world.catalog, world.programs)
        self.thresholds = [
            tuple(
                (program.period, volume_thresholds(program))
                for program in world.programs
                if program.program_id in profile.programs and volume_thresholds(program)
            )
            for profile in world.partners
        ]
        """Per partner: (period kind, volume-rebate tier thresholds) of each enrolled program."""
        self._counters: dict[str, int] = {}
        self._deferred: list[tuple[int, int, Callable[[], None]]] = []
        self._cursors: dict[str, int] = {}
        self._sku_line = {s.sku: s.product_line for line in world.catalog for s in line.skus}

    # --- ids ---------------------------------------------------------------------------

    def event_id(self) -> str:
        return random_uuid(self.rng)

    def business_id(self, prefix: str) -> str:
        """Sequential, readable ids (``SO-0000001``), as source systems number documents."""
        n = self._counters.get(prefix, 0) + 1
        self._counters[prefix] = n
        return f"{prefix}-{n:07d}"

    # --- lookups -----------------------------------------------------------------------

    def line_of(self, sku: str) -> str:
        return self._sku_line[sku]

    def active(self, partner: int, at_ms: int) -> bool:
        off = self.partners[partner].offboard_ms
        return off is None or at_ms < off

    def certified(self, partner: int, product_line: str, at_ms: int) -> bool:
        since, until = self.partners[partner].certified.get(product_line, (0, 0))
        return since <= at_ms < until

    def settlement(self, partner: int, program_id: str) -> Settlement:
        key = (partner, program_id)
        found = self.settlements.get(key)
        if found is None:
            found = self.settlements[key] = Settlement()
        return found

    def next_customer(self, walk: str) -> int:
        """Customers in a fixed scrambled order, one walk per purpose: staged situations on
        distinct customers until every customer has had one, with no memory of past picks."""
        count = len(self.world.customers.ids)
        step = self._cursors.get(walk, 0)
        self._cursors[walk] = step + 1
        return (step * _stride(count) + _walk_offset(self.config.seed, walk, count)) % count

    # --- decisions taken later ---------------------------------------------------------

    def defer(self, at_ms: int, decide: Callable[[], None]) -> None:
        """Run ``decide`` once the simulation has generated everything before ``at_ms``'s day
        ends: amounts that depend on month-to-date activity are decided knowing it."""
        self._seq += 1
        heapq.heappush(self._deferred, (at_ms, self._seq, decide))

    def run_deferred(self, until_ms: int) -> None:
        while self._deferred and self._deferred[0][0] < until_ms:
            heapq.heappop(self._deferred)[2]()

    # --- the one way out ---------------------------------------------------------------

    def schedule(
        self, at_ms: int, event: InputEvent, *, staged: AlertRule | None = None, may_be_late: bool = False
    ) -> bool:
        """Queue ``event`` (occurring at ``at_ms``) for delivery; False when it cannot happen.

        Nothing happens at or after the end of the dataset (except the closing clock ticks), and
        nothing happens for a partner after it was offboarded. An event allowed to be late is,
        with ``late_rate``, delivered up to ``late_max_hours`` after it occurred.
        """
        if at_ms >= self.end_ms and not (at_ms == self.end_ms and isinstance(event, ClockTicked)):
            return False
        partner_id = getattr(event, "partner_id", None)
        if partner_id is not None and not isinstance(event, PartnerOffboarded):
            index = self.world.partner_index.get(partner_id)
            if index is not None and not self.active(index, at_ms):
                return False
        deliver_ms, late = at_ms, False
        if may_be_late and self.config.late_rate and self._late_rng.random() < self.config.late_rate:
            delayed = min(at_ms + self._late_rng.randint(MS_PER_HOUR, self._late_max_ms), self.end_ms - 1)
            if delayed > at_ms:
                deliver_ms, late = delayed, True
        self.queue.push(deliver_ms, ValidRecord(event, late=late, staged=staged))
        self.scheduled += 1
        return True


def _stride(count: int) -> int:
    """A step coprime with ``count`` near the golden section, so the walk scrambles the order."""
    step = max(1, int(count * 0.6180339887))
    while math.gcd(step, count) != 1:
        step += 1
    return step


def _walk_offset(seed: int, walk: str, count: int) -> int:
    return (seed * 7919 + sum(walk.encode())) % count


_UUID_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID from ``rng``, in canonical form (what ``uuid.UUID(int=..., version=4)``
    gives, without building the object: event ids are minted for every event)."""
    h = f"{(rng.getrandbits(128) & _UUID_V4_CLEAR) | _UUID_V4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
