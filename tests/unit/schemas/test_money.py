"""Money limits and the currency table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas.money import CURRENCY_MINOR_UNITS, half_minor_unit, is_known_currency, money_problem


@pytest.mark.parametrize(
    ("code", "places"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CHF", 2)]
)
def test_minor_units(code: str, places: int) -> None:
    assert CURRENCY_MINOR_UNITS[code] == places


def test_codes_are_three_upper_case_letters_and_funds_or_metals_are_refused() -> None:
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in CURRENCY_MINOR_UNITS)
    assert len(CURRENCY_MINOR_UNITS) > 150
    for refused in ("XAU", "XTS", "XXX", "XDR", "BOV", "HRK", "eur"):
        assert not is_known_currency(refused)


def test_half_minor_unit() -> None:
    assert half_minor_unit("EUR") == Decimal("0.005")
    assert half_minor_unit("JPY") == Decimal("0.5")
    assert half_minor_unit("KWD") == Decimal("0.0005")


@pytest.mark.parametrize(
    ("value", "fits"),
    [
        ("0", True),
        ("0E+30", True),
        ("-0.000001", True),
        ("9999999999999999999999.999999", True),
        ("10000000000000000000000", False),
        ("0.0000001", False),
        ("NaN", False),
        ("-Infinity", False),
    ],
)
def test_money_problem(value: str, fits: bool) -> None:
    assert (money_problem(Decimal(value)) is None) is fits
