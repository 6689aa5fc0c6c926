"""Numbers as a reader of a finance report expects them: compact money, percentages, counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(value: Decimal | float, currency: str, *, compact: bool = True) -> str:
    """``$1.24M`` (compact) or ``$1,240,512.30``; other currencies as ``CHF 1.2M``."""
    symbol = _SYMBOLS.get(currency)
    sign = "-" if value < 0 else ""
    text = _compact(abs(float(value))) if compact else f"{abs(Decimal(value)):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def _compact(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 100 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def count(value: int | float) -> str:
    return f"{value:,.0f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def decimal1(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def month(day: date, *, with_year: bool) -> str:
    name = _MONTHS[day.month - 1]
    return f"{name} {day.year}" if with_year else name
