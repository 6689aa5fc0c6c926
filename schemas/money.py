"""Money on the wire: an Avro ``decimal(28, 6)`` beside an ISO-4217 currency code.

One precision and scale for every amount, so sums never need rescaling and any amount fits a
ClickHouse ``Decimal(28, 6)``. Precision 28 is also Python's default decimal context, so
arithmetic on two wire amounts stays exact. Six places hold every currency's minor unit (at most
three) plus sub-cent unit prices. The Parsing Canonical Form that fingerprints a schema drops
logical types, so this scale must never change: a test pins it in every schema version.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Final

MONEY_PRECISION: Final = 28
MONEY_SCALE: Final = 6

MONEY_AVRO_TYPE: Final = MappingProxyType(
    {"type": "bytes", "logicalType": "decimal", "precision": MONEY_PRECISION, "scale": MONEY_SCALE}
)


def money_problem(value: Decimal) -> str | None:
    """Why ``value`` cannot travel as wire money, or None when it can."""
    if not value.is_finite():
        return f"{value} is not a finite number"
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an integer exponent
    if exponent < -MONEY_SCALE:
        return f"{value} has more than {MONEY_SCALE} decimal places"
    if value and value.adjusted() >= MONEY_PRECISION - MONEY_SCALE:
        return f"{value} has more than {MONEY_PRECISION - MONEY_SCALE} digits before the decimal point"
    return None


# ISO 4217 active currencies (as amended through 2025) and their minor units. Fund codes
# (BOV, CLF, USN, ...), precious metals (XAU, ...), SDR (XDR) and the testing codes (XTS, XXX)
# are left out on purpose: no partner is paid in them.
_THREE_PLACES = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
_ZERO_PLACES = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF",
    "XOF", "XPF",
)  # fmt: skip
_TWO_PLACES = (
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN",
    "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CNY", "COP",
    "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR",
    "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL",
    "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB",
    "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
    "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VED",
    "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
)  # fmt: skip

CURRENCY_MINOR_UNITS: Final = MappingProxyType(
    dict.fromkeys(_THREE_PLACES, 3) | dict.fromkeys(_ZERO_PLACES, 0) | dict.fromkeys(_TWO_PLACES, 2)
)
"""Decimal places of each accepted ISO-4217 currency's minor unit (USD 2, JPY 0, KWD 3)."""


def is_known_currency(code: str) -> bool:
    return code in CURRENCY_MINOR_UNITS


def half_minor_unit(currency: str) -> Decimal:
    """Half of the currency's smallest unit: the rounding slack allowed on a computed amount.

    Unknown currencies (already refused on their own) get the common two-place slack, so an
    amount check can still report its own problem alongside.
    """
    places = CURRENCY_MINOR_UNITS.get(currency, 2)
    return Decimal(5).scaleb(-(places + 1))
