"""Bounds on what a partner earned under a program in a period, from the sales tally.

``lower`` counts only volume rebates (the tier reached, filters and certification gates
applied), so a payout of a fraction of it stays within the partner's balance. ``upper``
counts every cash rule at its best rate, so a payout above the summed upper bounds exceeds
any balance the ledger can hold: a staged overpayment that is certainly one.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from processors.programs.model import (
    AllowanceAccrual,
    CareBonus,
    GrowthRebate,
    Program,
    RegistrationBonus,
    SaleFilter,
    Spiff,
    TierMode,
    VolumeRebate,
)
from services.datagen.tally import Row

LineOf = Callable[[str], str]
"""SKU -> product line."""

_ZERO = Decimal(0)


def _eligible(rows: list[Row], sale_filter: SaleFilter, line_of: LineOf) -> tuple[int, Decimal]:
    units, revenue = 0, _ZERO
    for sku, certified, row_units, row_revenue in rows:
        if not sale_filter.matches(line_of(sku), sku):
            continue
        if sale_filter.requires_certification and not certified:
            continue
        units += row_units
        revenue += row_revenue
    return units, revenue


def _tiered(rule: VolumeRebate, revenue: Decimal) -> Decimal:
    if revenue <= 0:
        return _ZERO
    tiers = sorted(rule.tiers, key=lambda t: t.threshold)
    if rule.mode is TierMode.RETROACTIVE:
        rate = max((t.rate for t in tiers if t.threshold <= revenue), default=_ZERO)
        earned = revenue * rate
    else:
        earned = _ZERO
        for i, tier in enumerate(tiers):
            top = tiers[i + 1].threshold if i + 1 < len(tiers) else revenue
            band = min(revenue, top) - tier.threshold
            if band > 0:
                earned += band * tier.rate
    return min(earned, rule.cap) if rule.cap is not None else earned


def lower(program: Program, rows: list[Row], line_of: LineOf) -> Decimal:
    total = _ZERO
    for rule in program.sale_rules:
        if isinstance(rule, VolumeRebate):
            total += _tiered(rule, _eligible(rows, rule.filter, line_of)[1])
    return max(total, _ZERO)


def upper(programs: tuple[Program, ...], rows: list[Row], line_of: LineOf) -> Decimal:
    """The most any of the versions could have credited as payable cash for these sales."""
    gross = sum((row[3] for row in rows if row[3] > 0), _ZERO)
    units = sum((row[2] for row in rows if row[2] > 0), 0)
    best = _ZERO
    for program in programs:
        total = _ZERO
        for rule in program.rules:
            if isinstance(rule, VolumeRebate):
                total += gross * max((t.rate for t in rule.tiers), default=_ZERO)
            elif isinstance(rule, GrowthRebate | RegistrationBonus):
                total += gross * rule.rate
            elif isinstance(rule, Spiff):
                total += units * rule.amount_per_unit
            elif isinstance(rule, CareBonus):
                total += (rule.amount or _ZERO) + gross * (rule.rate or _ZERO)
        best = max(best, total)
    return best


def fund_accrual(rule: AllowanceAccrual, rows: list[Row], line_of: LineOf) -> Decimal:
    units, revenue = _eligible(rows, rule.filter, line_of)
    per_unit = rule.per_unit * units if rule.per_unit is not None else _ZERO
    by_rate = rule.rate * revenue if rule.rate is not None else _ZERO
    return max(per_unit + by_rate, _ZERO)
