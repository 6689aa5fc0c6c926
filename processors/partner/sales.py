"""Sales and returns: accruals per rule, tier true-ups, and exact clawbacks.

Period rules (volume and growth rebates) keep, per open period, the eligible revenue counted
(``base``) and the amount accrued; after every event ``accrued == target(base)``. A sale books
its own ACCRUAL (``target(new base) - prior base re-rated``) and, when it moves the period to
another rate, a TRUE_UP re-rating the earlier revenue. A return claws back exactly what the
sale earned (prorated for a partial return) at the tier it earned it, then re-rates the
period with a TRUE_UP; in a closed period it only claws back, booked in the current period.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from processors.ledger.accounts import CASH_BUCKETS
from processors.ledger.entries import earning_entry_of
from processors.ledger.entry_ids import EntryIds, fast_derived_id, key_parts
from processors.ledger.money import ZERO, cents, prorate
from processors.partner import funds
from processors.partner.alerts import check_territory
from processors.partner.draft import Draft
from processors.partner.state import (
    Earning,
    Fund,
    OpenSale,
    PackedEarning,
    PeriodState,
    RuleProgress,
    new_earning,
    new_sale,
)
from processors.programs.model import (
    AllowanceAccrual,
    GrowthRebate,
    Program,
    RegistrationBonus,
    SaleRule,
    Spiff,
    VolumeRebate,
)
from processors.programs.periods import PeriodKind, period_bounds, period_label, same_period_last_year
from processors.programs.schedule import Rating, rate_growth, rate_volume
from schemas.events import SaleRecorded, SaleReturned
from schemas.outputs import AccrualForgone, Bucket, EntryKind
from schemas.reasons import ReasonCode

_EMPTY_PROGRESS = RuleProgress(ZERO, ZERO, None)


def period_key(program_id: str, period: str) -> str:
    return f"{program_id}|{period}"


def closes_at(program: Program, period: str) -> datetime:
    return period_bounds(period)[1] + timedelta(days=program.close_grace_days)


def certified(d: Draft, product_line: str, at: datetime) -> bool:
    windows = d.certifications.get(product_line)
    return windows is not None and any(w.valid_from <= at < w.valid_until for w in windows)


def registration_fulfilled(d: Draft, sale: SaleRecorded) -> bool:
    """The sale fulfils the partner's own approved registration, unexpired at sale time."""
    if sale.registration_id is None:
        return False
    reg = d.registrations.get(sale.registration_id)
    if reg is None or reg.approved_at is None or reg.customer_id != sale.customer_id:
        return False
    if reg.product_line is not None and reg.product_line != sale.product_line:
        return False
    start = reg.registered_at or reg.approved_at
    expiry = reg.explicit_expiry or start + d.config.registration_default_validity
    end = min(expiry, reg.ended_at) if reg.ended_at is not None else expiry
    return reg.approved_at <= sale.occurred_at < end


def _labels(at: datetime) -> Mapping[PeriodKind, str]:
    """The month and quarter labels of ``at`` (memoized per month: every sale needs them)."""
    return _labels_of(at.year, at.month)


@lru_cache(maxsize=1024)
def _labels_of(year: int, month: int) -> Mapping[PeriodKind, str]:
    at = datetime(year, month, 1, tzinfo=UTC)
    return MappingProxyType({kind: period_label(at, kind) for kind in (PeriodKind.MONTH, PeriodKind.QUARTER)})


def _add_revenue(d: Draft, currency: str, labels: Mapping[PeriodKind, str], amount: Decimal) -> None:
    revenue = d.revenue
    d.revenue = revenue.set_many(
        [(key, (revenue.get(key) or ZERO) + amount) for key in _revenue_keys(currency, *labels.values())]
    )


@lru_cache(maxsize=1024)
def _revenue_keys(currency: str, *labels: str) -> tuple[str, ...]:
    return tuple(f"{currency}|{label}" for label in labels)


_NO_GROWTH = Rating(None, ZERO, ZERO)


@lru_cache(maxsize=1024)
def _growth_keys(currency: str, period: str) -> tuple[str, str]:
    """Revenue keys of ``period`` and of the same period last year."""
    return f"{currency}|{period}", f"{currency}|{same_period_last_year(period)}"


def _rate(
    d: Draft, rule: VolumeRebate | GrowthRebate, currency: str, period: str, prior: Decimal, new: Decimal
) -> Rating:
    if isinstance(rule, VolumeRebate):
        return rate_volume(rule, prior, new)
    this_key, last_key = _growth_keys(currency, period)
    last_year = d.revenue.get(last_key)
    if last_year is None:
        return _NO_GROWTH  # what ``rate_growth`` answers without a baseline; this year's not read
    return rate_growth(rule, prior, new, d.revenue.get(this_key) or ZERO, last_year)


class _Step(NamedTuple):
    """A sale rule as the sales of one product line and SKU meet it, with what booking under it
    needs: derived once per program version (``_steps``), not for every sale."""

    rule: SaleRule
    matched: bool
    """The rule's filter matches the sale (a growth rule looks at unmatched sales too)."""
    gate: bool
    """Matched, and the rule requires a certification for the sale's product line."""
    period_rule: VolumeRebate | GrowthRebate | None
    """The rule, when it is a period rule (typed views of ``rule``, to dispatch without tests)."""
    allowance: AllowanceAccrual | None
    """The rule, when it is an allowance."""
    per_unit: bool
    """Returns prorate the earning by quantity (SPIFF, per-unit allowance)."""
    rule_id: str
    bucket: Bucket
    bucket_value: str
    cash: bool
    """Its bucket is owed in cash as it accrues (``CASH_BUCKETS``)."""
    fund: str | None
    """Key of an allowance rule's fund in ``Draft.funds``."""
    accrual_tail: bytes
    true_up_tail: bytes
    """What the ids of the rule's ACCRUAL and TRUE_UP entries hash after the event id."""


def _step(program: Program, rule: SaleRule, matched: bool) -> _Step:
    def tail(kind: EntryKind) -> bytes:
        return key_parts(program.program_id, rule.rule_id, kind.value).encode("utf-8")

    allowance = rule if isinstance(rule, AllowanceAccrual) else None
    return _Step(
        rule=rule,
        matched=matched,
        gate=matched and rule.filter.requires_certification,
        period_rule=rule if isinstance(rule, VolumeRebate | GrowthRebate) else None,
        allowance=allowance,
        per_unit=isinstance(rule, Spiff) or (allowance is not None and allowance.per_unit is not None),
        rule_id=rule.rule_id,
        bucket=rule.bucket,
        bucket_value=rule.bucket.value,
        cash=rule.bucket in CASH_BUCKETS,
        fund=funds.fund_key(program.program_id, rule.bucket) if allowance is not None else None,
        accrual_tail=tail(EntryKind.ACCRUAL),
        true_up_tail=tail(EntryKind.TRUE_UP),
    )


def _step_memo(program: Program) -> dict[tuple[str, str], tuple[_Step, ...]]:
    return {}


_MAX_STEP_PLANS = 4096
"""Distinct (product line, SKU) pairs whose steps are memoized per program version."""


def _steps(program: Program, product_line: str, sku: str) -> tuple[_Step, ...]:
    """``program.rules_for(product_line, sku)`` as steps (memoized on the program version)."""
    memo = program.derived(_step_memo)
    found = memo.get((product_line, sku))
    if found is None:
        found = tuple(_step(program, rule, matched) for rule, matched in program.rules_for(product_line, sku))
        if len(memo) < _MAX_STEP_PLANS:
            memo[product_line, sku] = found
    return found


class _Booker:
    """Books one source event's entries under one program version.

    What it books into cash buckets is owed at once; it is summed and added to the payable
    balance by ``settle`` (one update of the map, not one per entry). Likewise the allowance
    funds it accrues to are updated together by ``settle``."""

    __slots__ = (
        "cash",
        "currency",
        "d",
        "event_id",
        "fund_updates",
        "ids",
        "occurred_at",
        "program",
        "program_id",
        "sources",
        "version",
    )

    def __init__(
        self,
        d: Draft,
        program: Program,
        event_id: str,
        occurred_at: datetime,
        currency: str,
        ids: EntryIds | None = None,
    ) -> None:
        """``ids``: the event's ``EntryIds``, when several bookers book for one event."""
        self.d = d
        self.program = program
        self.program_id = program.program_id
        self.version = program.version
        self.event_id = event_id
        self.occurred_at = occurred_at
        self.currency = currency
        self.sources = (event_id,)
        self.ids = ids if ids is not None else EntryIds(event_id)
        self.cash: Decimal | None = None
        self.fund_updates: dict[str, Fund] | None = None

    def book(
        self,
        kind: EntryKind,
        rule_id: str,
        bucket: Bucket,
        tier: str | None,
        period: str,
        amount: Decimal,
        memo: str,
        version: int | None = None,
    ) -> None:
        """Book ``amount`` (callers skip zero amounts, so no memo is formatted for nothing)."""
        d = self.d
        d.outputs.append(
            earning_entry_of(
                self.ids.of(key_parts(self.program_id, rule_id, kind.value).encode("utf-8")),
                kind,
                d.partner_id,
                self.program_id,
                version or self.version,
                rule_id,
                self.sources,
                bucket,
                tier,
                period,
                self.occurred_at,
                amount,
                self.currency,
                memo,
            )
        )
        if bucket in CASH_BUCKETS:
            self.cash = amount if self.cash is None else self.cash + amount

    def book_step(
        self, step: _Step, kind: EntryKind, tier: str | None, period: str, amount: Decimal, memo: str
    ) -> None:
        """``book`` for a sale's ACCRUAL or TRUE_UP under ``step``'s rule, from what the step
        precomputed (the hot path: a sale books several entries)."""
        d = self.d
        d.outputs.append(
            earning_entry_of(
                self.ids.of(step.accrual_tail if kind is EntryKind.ACCRUAL else step.true_up_tail),
                kind,
                d.partner_id,
                self.program_id,
                self.version,
                step.rule_id,
                self.sources,
                step.bucket,
                tier,
                period,
                self.occurred_at,
                amount,
                self.currency,
                memo,
            )
        )
        if step.cash:
            self.cash = amount if self.cash is None else self.cash + amount

    def accrue_fund(self, key: str, rule: AllowanceAccrual, period: str, amount: Decimal) -> None:
        """Accrue ``amount`` to the fund keyed ``key`` (in ``Draft.funds`` at ``settle``)."""
        updates = self.fund_updates
        if updates is None:
            updates = self.fund_updates = {}
        updates[key] = funds.accrued(
            updates.get(key) or self.d.funds.get(key), self.version, rule, period, amount
        )

    def settle(self) -> None:
        if self.cash is not None:
            self.d.add_payable(self.program.program_id, self.cash)
            self.cash = None
        if self.fund_updates is not None:
            self.d.funds = self.d.funds.set_many(self.fund_updates.items())
            self.fund_updates = None

    def forgone(
        self,
        rule_id: str,
        bucket: Bucket,
        period: str,
        amount: Decimal,
        product_line: str,
        reason: str,
        version: int,
    ) -> None:
        if not amount:
            return
        self.d.outputs.append(
            AccrualForgone(
                forgone_id=fast_derived_id(
                    "accrual-forgone", self.event_id, self.program.program_id, rule_id
                ),
                partner_id=self.d.partner_id,
                program_id=self.program.program_id,
                program_version=version,
                rule_id=rule_id,
                bucket=bucket,
                period=period,
                occurred_at=self.occurred_at,
                amount=amount,
                currency=self.currency,
                product_line=product_line,
                reason=reason,
                source_event_ids=self.sources,
            )
        )


# --- sales -------------------------------------------------------------------------------


def on_sale(d: Draft, sale: SaleRecorded) -> None:
    profile = d.profile
    assert profile is not None
    at = sale.occurred_at
    if profile.offboarded_at is not None and at >= profile.offboarded_at:
        d.reject(
            sale, ReasonCode.PARTNER_OFFBOARDED, f"partner {d.partner_id} was offboarded before this sale"
        )
        return
    if sale.sale_id in d.sales:
        existing = d.sales.sale(sale.sale_id)
        assert existing is not None
        d.reject(
            sale,
            ReasonCode.DUPLICATE_EVENT_ID,
            f"sale {sale.sale_id} was already recorded by event {existing.event_id}",
        )
        return
    programs = d.book.active(profile.programs, profile.partner_type, at)
    clock = d.clock
    assert clock is not None
    labels = _labels(at)
    period_keys: list[str] = []
    for program in programs:
        if program.currency != sale.currency:
            d.reject(
                sale,
                ReasonCode.CURRENCY_MISMATCH,
                f"sale in {sale.currency} but program {program.program_id} v{program.version} "
                f"pays in {program.currency}",
            )
            return
        period = labels[program.period]
        key = period_key(program.program_id, period)
        if key not in d.periods and closes_at(program, period) <= clock:
            d.reject(
                sale,
                ReasonCode.CLOSED_PERIOD,
                f"period {period} of program {program.program_id} closed at "
                f"{closes_at(program, period).isoformat()}; book the sale as a manual adjustment",
            )
            return
        period_keys.append(key)
    check_territory(d, sale, profile.territories)
    _add_revenue(d, sale.currency, labels, sale.amount)
    earnings: list[PackedEarning] = []
    for program, key in zip(programs, period_keys, strict=True):
        _accrue_sale(d, program, labels[program.period], key, sale, earnings)
    d.sales = d.sales.insert(  # absent: looked up above
        sale.sale_id,
        new_sale(
            sale.sale_id,
            sale.event_id,
            at,
            sale.currency,
            sale.product_line,
            tuple(period_keys),
            sale.quantity,
            sale.amount,
            tuple(earnings),
        ),
    )
    d.sales_log = d.sales_log.add(sale.sale_id, at)
    if d.pending.count:
        d.release(f"sale:{sale.sale_id}")


def open_period(d: Draft, program: Program, period: str) -> PeriodState:
    key = period_key(program.program_id, period)
    found = d.periods.get(key)
    if found is None:
        found = PeriodState(
            program_id=program.program_id,
            period=period,
            closes_at=closes_at(program, period),
            revenue=ZERO,
            rules={},
        )
    return found


def _accrue_sale(
    d: Draft, program: Program, period: str, key: str, sale: SaleRecorded, earnings: list[PackedEarning]
) -> None:
    """Book what ``sale`` earns under each rule of ``program`` in ``period`` (keyed ``key``)."""
    ps = d.periods.get(key)
    if ps is None:
        ps = PeriodState(program.program_id, period, closes_at(program, period), ZERO, {})
    progress = dict(ps.rules)
    booker = _Booker(d, program, sale.event_id, sale.occurred_at, sale.currency)
    memo = f"sale {sale.sale_id}: {sale.quantity} x {sale.sku}, {sale.amount} {sale.currency}"
    gate_ok: bool | None = None
    for step in _steps(program, sale.product_line, sale.sku):
        gated = False
        if step.gate:
            if gate_ok is None:
                gate_ok = certified(d, sale.product_line, sale.occurred_at)
            gated = not gate_ok
        if step.period_rule is not None:
            progress[step.rule_id] = _accrue_period_rule(
                d,
                booker,
                step,
                step.period_rule,
                period,
                progress.get(step.rule_id, _EMPTY_PROGRESS),
                sale,
                gated,
                earnings,
            )
        else:
            _accrue_flat_rule(d, booker, step, period, sale, gated, memo, earnings)
    booker.settle()
    # Positional: ``ps._replace(revenue=..., rules=...)`` costs ten times as much.
    d.periods = d.periods.set(
        key, PeriodState(ps.program_id, ps.period, ps.closes_at, ps.revenue + sale.amount, progress)
    )


def _accrue_period_rule(
    d: Draft,
    booker: _Booker,
    step: _Step,
    rule: VolumeRebate | GrowthRebate,
    period: str,
    prior: RuleProgress,
    sale: SaleRecorded,
    gated: bool,
    earnings: list[PackedEarning],
) -> RuleProgress:
    """Book the sale's own accrual and the period's true-up under a period rule."""
    matched = step.matched
    counted = matched and not gated
    new_base = prior.base + sale.amount if matched else prior.base
    rating = _rate(d, rule, sale.currency, period, prior.base, new_base)
    if gated:
        booker.forgone(
            step.rule_id,
            step.bucket,
            period,
            rating.target - rating.rerated_prior,
            sale.product_line,
            _gate_reason(sale),
            booker.program.version,
        )
        new_base = prior.base
        rating = _rate(d, rule, sale.currency, period, prior.base, prior.base)
    own = rating.target - rating.rerated_prior if counted else ZERO
    true_up = rating.rerated_prior - prior.accrued if counted else rating.target - prior.accrued
    if own:
        booker.book_step(
            step,
            EntryKind.ACCRUAL,
            rating.tier,
            period,
            own,
            f"sale {sale.sale_id}: {sale.amount} {sale.currency} at tier {rating.tier}",
        )
    if true_up:
        booker.book_step(
            step,
            EntryKind.TRUE_UP,
            rating.tier,
            period,
            true_up,
            f"period {period} re-rated at tier {rating.tier}: base {new_base}",
        )
    if matched:
        # As recorded so far: a gated sale's earning keeps what the re-rated (unchanged) base
        # forgoes, which is zero, so a return does not reverse a period rule's forgone amount.
        forgone = ZERO if counted else rating.target - rating.rerated_prior
        program = booker.program
        earnings.append(
            new_earning(
                program.program_id,
                program.version,
                step.rule_id,
                step.bucket_value,
                period,
                rating.tier,
                False,
                counted,
                own,
                forgone,
            )
        )
    return RuleProgress(new_base, rating.target, rating.tier)


def _accrue_flat_rule(
    d: Draft,
    booker: _Booker,
    step: _Step,
    period: str,
    sale: SaleRecorded,
    gated: bool,
    memo: str,
    earnings: list[PackedEarning],
) -> None:
    """Book what a per-sale rule (SPIFF, registration bonus, allowance) pays for the sale."""
    amount = _flat_amount(d, step.rule, sale)
    if amount is None:
        return
    program = booker.program
    if gated:
        booker.forgone(
            step.rule_id, step.bucket, period, amount, sale.product_line, _gate_reason(sale), program.version
        )
    elif amount:
        booker.book_step(step, EntryKind.ACCRUAL, None, period, amount, memo)
        if step.allowance is not None and step.fund is not None:
            booker.accrue_fund(step.fund, step.allowance, period, amount)
    earnings.append(
        new_earning(
            program.program_id,
            program.version,
            step.rule_id,
            step.bucket_value,
            period,
            None,
            step.per_unit,
            not gated,
            ZERO if gated else amount,
            amount if gated else ZERO,
        )
    )


def _gate_reason(sale: SaleRecorded) -> str:
    return f"no valid certification for product line {sale.product_line} at {sale.occurred_at.isoformat()}"


def _flat_amount(d: Draft, rule: SaleRule, sale: SaleRecorded) -> Decimal | None:
    """What a non-period rule pays for the sale, or None when the rule does not apply to it."""
    if isinstance(rule, Spiff):
        if not rule.window_start <= sale.occurred_at < rule.window_end:
            return None
        return cents(rule.amount_per_unit * sale.quantity)
    if isinstance(rule, RegistrationBonus):
        return cents(sale.amount * rule.rate) if registration_fulfilled(d, sale) else None
    if isinstance(rule, AllowanceAccrual):
        if rule.per_unit is not None:
            return cents(rule.per_unit * sale.quantity)
        return cents(sale.amount * (rule.rate or ZERO))
    return None


# --- returns -----------------------------------------------------------------------------


def on_return(d: Draft, ret: SaleReturned) -> None:
    sale = d.sales.sale(ret.sale_id)
    if sale is None:
        d.pend(ret, f"sale:{ret.sale_id}")
        return
    if ret.return_id in sale.return_ids:
        d.reject(
            ret,
            ReasonCode.DUPLICATE_EVENT_ID,
            f"return {ret.return_id} of sale {ret.sale_id} was already applied",
        )
        return
    if ret.currency != sale.currency:
        d.reject(
            ret,
            ReasonCode.CURRENCY_MISMATCH,
            f"return in {ret.currency}, sale {sale.sale_id} in {sale.currency}",
        )
        return
    quantity = sale.returned_quantity + ret.quantity
    amount = sale.returned_amount + ret.amount
    if quantity > sale.quantity or amount > sale.amount:
        d.reject(
            ret,
            ReasonCode.RETURN_EXCEEDS_SALE,
            f"returns of sale {sale.sale_id} would reach {quantity} units / {amount} {sale.currency}, "
            f"beyond the sale's {sale.quantity} units / {sale.amount}",
        )
        return
    for key in _revenue_keys(sale.currency, *_labels(sale.occurred_at).values()):
        if key in d.revenue:
            d.revenue = d.revenue.set(key, (d.revenue.get(key) or ZERO) - ret.amount)
    touched: dict[str, PeriodState] = {}
    for key in sale.period_keys:
        ps = d.periods.get(key)
        if ps is not None:
            touched[key] = PeriodState(
                ps.program_id, ps.period, ps.closes_at, ps.revenue - ret.amount, ps.rules
            )
    ids = EntryIds(ret.event_id)
    earnings = tuple(_claw_back(d, sale, ret, e, quantity, amount, touched, ids) for e in sale.earnings)
    for key, ps in touched.items():
        d.periods = d.periods.set(key, ps)
    d.sales = d.sales.with_sale(
        OpenSale(*sale[:8], quantity, amount, (*sale.return_ids, ret.return_id), earnings)
    )


def _claw_back(
    d: Draft,
    sale: OpenSale,
    ret: SaleReturned,
    e: Earning,
    quantity: int,
    amount: Decimal,
    touched: dict[str, PeriodState],
    ids: EntryIds,
) -> Earning:
    program = _program_of(d, e)
    part, whole = (Decimal(quantity), Decimal(sale.quantity)) if e.per_unit else (amount, sale.amount)
    claw = prorate(e.earned, part, whole) - e.clawed
    unforgo = prorate(e.forgone, part, whole) - e.forgone_reversed
    key = period_key(e.program_id, e.period)
    ps = touched.get(key) or d.periods.get(key)
    period = e.period if ps is not None else period_label(ret.occurred_at, program.period)
    booker = _Booker(d, program, ret.event_id, ret.occurred_at, sale.currency, ids)
    if claw:
        booker.book(
            EntryKind.CLAWBACK,
            e.rule_id,
            e.bucket,
            e.tier,
            period,
            -claw,
            f"return {ret.return_id} of sale {sale.sale_id}: {ret.quantity} units, "
            f"{ret.amount} {sale.currency}",
            version=e.program_version,
        )
    rule = program.derived(_rules_by_id).get(e.rule_id)
    if isinstance(rule, AllowanceAccrual) and claw:
        funds.draw(d, e.program_id, e.bucket, claw)
    if unforgo:
        booker.forgone(
            e.rule_id,
            e.bucket,
            period,
            -unforgo,
            sale.product_line,
            f"return {ret.return_id} reverses the forgone amount",
            e.program_version,
        )
    if ps is not None:
        ps = _rerate_after_return(d, booker, ps, rule, e, sale, ret, claw)
        touched[key] = ps
    booker.settle()
    # Positional (``_replace`` costs several times as much): clawed, forgone, forgone_reversed.
    return Earning(*e[:9], e.clawed + claw, e.forgone, e.forgone_reversed + unforgo)


def _rules_by_id(program: Program) -> dict[str, SaleRule]:
    """The first sale rule of each id (``Program.derived``: looked up for every clawback)."""
    found: dict[str, SaleRule] = {}
    for rule in program.sale_rules:
        found.setdefault(rule.rule_id, rule)
    return found


def _program_of(d: Draft, e: Earning) -> Program:
    """The version the sale earned under; the governing one if that version left the book."""
    for program in d.book.versions(e.program_id):
        if program.version == e.program_version:
            return program
    found = d.book.governing(e.program_id, d.clock or datetime.max.replace(tzinfo=UTC))
    if found is None:
        raise LookupError(f"program {e.program_id} is no longer in the program book")
    return found


def _rerate_after_return(
    d: Draft,
    booker: _Booker,
    ps: PeriodState,
    rule: SaleRule | None,
    e: Earning,
    sale: OpenSale,
    ret: SaleReturned,
    claw: Decimal,
) -> PeriodState:
    if not isinstance(rule, VolumeRebate | GrowthRebate):
        return ps
    progress = dict(ps.rules)
    prior = progress.get(rule.rule_id, _EMPTY_PROGRESS)
    base = prior.base - ret.amount if e.counted else prior.base
    accrued = prior.accrued - claw
    rating = _rate(d, rule, sale.currency, e.period, base, base)
    if rating.target - accrued:
        booker.book(
            EntryKind.TRUE_UP,
            rule.rule_id,
            rule.bucket,
            rating.tier,
            e.period,
            rating.target - accrued,
            f"period {e.period} re-rated after return {ret.return_id}: base {base}, tier {rating.tier}",
            version=e.program_version,
        )
    progress[rule.rule_id] = RuleProgress(base, rating.target, rating.tier)
    return PeriodState(ps.program_id, ps.period, ps.closes_at, ps.revenue, progress)
