"""Money arithmetic: ``Decimal`` amounts quantized to cents, one rounding rule everywhere.

Rule: every computed amount (rate x base, per-unit x quantity, prorated clawback) is rounded
once, to the cent, half away from zero (``ROUND_HALF_UP``), the commercial rule partners can
check by hand. Running figures are never rounded incrementally: a period rule's accrual is
``target(period base) - already accrued``, so rounding differences never accumulate.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """``amount`` rounded to the cent, half away from zero."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def prorate(whole: Decimal, part: Decimal, of: Decimal) -> Decimal:
    """``whole * part / of`` in cents; exact (no rounding) when ``part == of``."""
    if part == of:
        return whole
    return cents(whole * part / of)
