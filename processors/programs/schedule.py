"""Evaluation of period rules: the amount a rule owes for a period-to-date revenue base.

A period rule is a pure function ``base -> (tier, target)``; the processor books
``target(new base) - already accrued`` so true-ups are exact to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from processors.ledger.money import CENT, ZERO, cents
from processors.programs.model import GrowthRebate, Tier, TierMode, VolumeRebate


class Rating(NamedTuple):
    """A period rule evaluated at a base: tier reached, amount owed for the new base, and the
    prior base re-rated under that same schedule (their difference is the sale's own accrual)."""

    tier: str | None
    target: Decimal
    rerated_prior: Decimal


def tier_at(tiers: Sequence[Tier], base: Decimal) -> Tier:
    """The highest tier whose threshold ``base`` has reached (the first tier below zero)."""
    reached = tiers[0]
    for tier in tiers:
        if base >= tier.threshold:
            reached = tier
        else:
            break
    return reached


_NOTHING = Decimal(0)


def marginal_amount(tiers: Sequence[Tier], base: Decimal) -> Decimal:
    """Each band of ``base`` at its own tier's rate, unrounded."""
    total = _NOTHING
    for i, tier in enumerate(tiers):
        if base <= tier.threshold:
            break
        upper = tiers[i + 1].threshold if i + 1 < len(tiers) else base
        total += ((upper if upper < base else base) - tier.threshold) * tier.rate  # min(base, upper)
    return total


def _capped(amount: Decimal, cap: Decimal | None) -> Decimal:
    return amount if cap is None or amount <= cap else cap


def rate_volume(rule: VolumeRebate, prior: Decimal, new: Decimal) -> Rating:
    # ``cents`` and ``_capped`` inlined: this runs for every sale under a volume rebate.
    tier = tier_at(rule.tiers, new)
    if rule.mode is TierMode.RETROACTIVE:
        target = (new * tier.rate).quantize(CENT, rounding=ROUND_HALF_UP)
        rerated = (prior * tier.rate).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        target = marginal_amount(rule.tiers, new).quantize(CENT, rounding=ROUND_HALF_UP)
        rerated = marginal_amount(rule.tiers, prior).quantize(CENT, rounding=ROUND_HALF_UP)
    cap = rule.cap
    if cap is not None:
        target = target if target <= cap else cap
        rerated = rerated if rerated <= cap else cap
    return Rating(tier.name, target, rerated)


def growth_threshold(rule: GrowthRebate, last_year: Decimal | None) -> Decimal | None:
    """Revenue the partner must reach this period, or None without a positive baseline."""
    if last_year is None or last_year <= 0:
        return None
    return last_year * (1 + rule.threshold)


def rate_growth(
    rule: GrowthRebate, prior: Decimal, new: Decimal, period_revenue: Decimal, last_year: Decimal | None
) -> Rating:
    threshold = growth_threshold(rule, last_year)
    if threshold is None or period_revenue < threshold:
        return Rating(None, ZERO, ZERO)
    return Rating(
        "growth", _capped(cents(new * rule.rate), rule.cap), _capped(cents(prior * rule.rate), rule.cap)
    )
