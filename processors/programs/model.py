"""Typed model of an incentive program version and its rule kinds (DOMAIN.md, Incentive programs).

A program version is immutable configuration; a rule change is a new version. Rates are
fractions (``0.03`` = 3 %), money is ``Decimal`` in the program's currency. Any sale-based
rule may carry a certification gate (``requires_certification``): without a valid
certification for the sale's product line at sale time it accrues nothing and the processor
reports the forgone amount.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar, cast

from processors.programs.periods import PeriodKind
from schemas.events import Allowance, PartnerType
from schemas.outputs import Bucket


class TierMode(StrEnum):
    RETROACTIVE = "retroactive"
    """Reaching a tier re-rates the whole period's revenue at that tier's rate."""
    MARGINAL = "marginal"
    """Each band of revenue earns its own tier's rate."""


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    threshold: Decimal
    """Period-to-date revenue from which this tier applies (the first tier starts at 0)."""
    rate: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleFilter:
    """Which sales a rule looks at; empty sets mean every sale."""

    product_lines: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    requires_certification: bool = False

    def matches(self, product_line: str, sku: str) -> bool:
        if not self.product_lines and not self.skus:
            return True
        return product_line in self.product_lines or sku in self.skus


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeRebate:
    rule_id: str
    mode: TierMode
    tiers: tuple[Tier, ...]
    cap: Decimal | None = None
    """Most the rule pays one partner in one period."""
    filter: SaleFilter = field(default_factory=SaleFilter)
    bucket: Bucket = Bucket.REBATE


@dataclass(frozen=True, slots=True, kw_only=True)
class GrowthRebate:
    """Extra ``rate`` on the period's eligible revenue once the partner's period revenue reaches
    last year's same-period revenue times ``1 + threshold``."""

    rule_id: str
    threshold: Decimal
    rate: Decimal
    cap: Decimal | None = None
    filter: SaleFilter = field(default_factory=SaleFilter)
    bucket: Bucket = Bucket.GROWTH


@dataclass(frozen=True, slots=True, kw_only=True)
class Spiff:
    """``amount_per_unit`` for each unit of the named SKUs / product lines sold in
    ``[window_start, window_end)``."""

    rule_id: str
    amount_per_unit: Decimal
    window_start: datetime
    window_end: datetime
    filter: SaleFilter
    bucket: Bucket = Bucket.SPIFF


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationBonus:
    """Extra ``rate`` on a sale fulfilling the partner's own approved, unexpired registration."""

    rule_id: str
    rate: Decimal
    filter: SaleFilter = field(default_factory=SaleFilter)
    bucket: Bucket = Bucket.REGISTRATION_BONUS


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceAccrual:
    """Warehousing / transport / marketing (MDF) fund accrual, per unit or as a rate of the sale;
    claims draw the fund down, balances expire ``expiry_days`` after their period ends."""

    rule_id: str
    allowance: Allowance
    per_unit: Decimal | None
    rate: Decimal | None
    expiry_days: int
    filter: SaleFilter = field(default_factory=SaleFilter)

    @property
    def bucket(self) -> Bucket:
        return ALLOWANCE_BUCKETS[self.allowance]


@dataclass(frozen=True, slots=True, kw_only=True)
class CareBonus:
    """Period bonus (fixed ``amount`` or ``rate`` of period revenue) when the partner's average
    CSAT and average resolution time over the period meet the thresholds."""

    rule_id: str
    min_csat: Decimal
    max_avg_resolution_hours: Decimal
    min_rated_cases: int
    amount: Decimal | None
    rate: Decimal | None
    bucket: Bucket = Bucket.CARE_BONUS


ALLOWANCE_BUCKETS: dict[Allowance, Bucket] = {
    Allowance.WAREHOUSING: Bucket.WAREHOUSING,
    Allowance.TRANSPORT: Bucket.TRANSPORT,
    Allowance.MARKETING: Bucket.MDF,
}

PeriodRule = VolumeRebate | GrowthRebate
SaleRule = VolumeRebate | GrowthRebate | Spiff | RegistrationBonus | AllowanceAccrual
Rule = SaleRule | CareBonus

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Program:
    program_id: str
    version: int
    name: str
    currency: str
    effective_from: datetime
    effective_to: datetime | None
    """Exclusive end; None = open-ended."""
    eligible_partner_types: frozenset[PartnerType]
    period: PeriodKind
    close_grace_days: int
    """Days after a period ends during which late events still land in it; then it closes."""
    rules: tuple[Rule, ...]
    source: str
    """File the version was loaded from, for error messages and provenance."""
    sale_rules: tuple[SaleRule, ...] = ()
    care_rules: tuple[CareBonus, ...] = ()
    allowances: dict[Allowance, AllowanceAccrual] = field(default_factory=dict)
    _plans: dict[tuple[str, str], tuple[tuple[SaleRule, bool], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Memo of ``rules_for`` (bounded by ``_MAX_PLANS``)."""
    _derived: dict[object, object] = field(default_factory=dict, init=False, repr=False, compare=False)
    """Memo of ``derived``, by the function that derives."""

    def __post_init__(self) -> None:
        # Derived views, computed once so the hot path does not filter rules per event.
        object.__setattr__(self, "sale_rules", tuple(r for r in self.rules if not isinstance(r, CareBonus)))
        object.__setattr__(self, "care_rules", tuple(r for r in self.rules if isinstance(r, CareBonus)))
        object.__setattr__(
            self, "allowances", {r.allowance: r for r in self.rules if isinstance(r, AllowanceAccrual)}
        )

    def covers(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.effective_to is None or at < self.effective_to)

    def derived(self, make: Callable[[Program], T]) -> T:
        """``make(self)``, computed on first use and kept with this version: for what a processor
        derives from the rules (account names, id keys...) once, rather than for every event."""
        try:
            return cast(T, self._derived[make])
        except KeyError:
            found = self._derived[make] = make(self)
            return found

    def rules_for(self, product_line: str, sku: str) -> tuple[tuple[SaleRule, bool], ...]:
        """The sale rules that look at a sale of ``sku`` in ``product_line``, in order, each with
        whether its filter matches: a growth rule looks at every sale (its qualification counts
        the partner's whole revenue), the others only at the sales they match. Memoized: the
        processor asks for every sale."""
        key = (product_line, sku)
        plan = self._plans.get(key)
        if plan is None:
            plan = tuple(
                (rule, matched)
                for rule in self.sale_rules
                if (matched := rule.filter.matches(product_line, sku)) or isinstance(rule, GrowthRebate)
            )
            if len(self._plans) < _MAX_PLANS:
                self._plans[key] = plan
        return plan


_MAX_PLANS = 4096
"""Distinct (product line, SKU) pairs memoized per program version."""
