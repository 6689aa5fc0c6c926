"""Hypothesis strategies for every model, derived from the dataclass hints and the Avro schemas.

Values stay inside what the contract carries (money within decimal(28, 6), times in UTC at
millisecond precision, ints within the field's Avro int/long), so a round trip must be exact.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import cache

from hypothesis import strategies as st

from schemas.models import MODEL_TYPES, field_hints
from schemas.money import MONEY_PRECISION, MONEY_SCALE
from schemas.outputs import Posting
from schemas.schema_store import default_store

_INT_BOUNDS = {"int": 2**31, "long": 2**63}
_MAX_MONEY = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE) - Decimal(1).scaleb(-MONEY_SCALE)

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=24)
"""Any Unicode text Avro strings can carry (UTF-8 excludes lone surrogates)."""

money = st.decimals(
    min_value=-_MAX_MONEY, max_value=_MAX_MONEY, places=MONEY_SCALE, allow_nan=False, allow_infinity=False
) | st.decimals(min_value=-10_000, max_value=10_000, places=2)

times = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


@cache
def _int_kinds() -> Mapping[tuple[str, str], str]:
    """(record name, field name) -> "int" or "long", from every current schema."""
    kinds: dict[tuple[str, str], str] = {}

    def walk(schema: object) -> None:
        if isinstance(schema, list):
            for branch in schema:
                walk(branch)
        elif isinstance(schema, Mapping):
            if schema.get("type") == "record":
                for field in schema["fields"]:
                    if isinstance(field["type"], str) and field["type"] in _INT_BOUNDS:
                        kinds[(schema["name"], field["name"])] = field["type"]
                    walk(field["type"])
            elif schema.get("type") == "array":
                walk(schema["items"])

    for stored in default_store().current.values():
        walk(dict(stored.definition))
    return kinds


def _for_hint(hint: object, owner: str, name: str) -> st.SearchStrategy[object]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return st.none() | _for_hint(inner, owner, name)
    if origin is tuple:
        return st.lists(_for_hint(typing.get_args(hint)[0], owner, name), max_size=4).map(tuple)
    if hint is str:
        return text
    if hint is int:
        bound = _INT_BOUNDS[_int_kinds()[(owner, name)]]
        return st.integers(min_value=-bound, max_value=bound - 1)
    if hint is Decimal:
        return money
    if hint is datetime:
        return times
    if hint is bytes:
        return st.binary(max_size=64)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return st.sampled_from(list(hint))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return model_strategy(hint)
    raise TypeError(f"no strategy for {hint}")


@st.composite
def balanced_postings(draw: st.DrawFn) -> tuple[Posting, ...]:
    """Postings that sum to zero per currency, as ``LedgerEntry`` insists on construction."""
    amounts = st.decimals(min_value=-(10**15), max_value=10**15, places=MONEY_SCALE, allow_nan=False)
    currencies = st.sampled_from(["EUR", "USD", "JPY"]) | text
    legs = draw(st.lists(st.tuples(text, amounts, currencies), max_size=4))
    postings = [
        Posting(account=account, amount=amount, currency=currency) for account, amount, currency in legs
    ]
    totals: dict[str, Decimal] = {}
    for posting in postings:
        totals[posting.currency] = totals.get(posting.currency, Decimal(0)) + posting.amount
    for currency, total in totals.items():
        if total != 0:
            postings.append(Posting(account=draw(text), amount=-total, currency=currency))
    return tuple(postings)


_OVERRIDES: Mapping[tuple[str, str], st.SearchStrategy[object]] = {
    ("LedgerEntry", "postings"): balanced_postings(),
}


def model_strategy(cls: type) -> st.SearchStrategy[object]:
    hints = field_hints(cls)
    fields = {
        f.name: _OVERRIDES[(cls.__name__, f.name)]
        if (cls.__name__, f.name) in _OVERRIDES
        else _for_hint(hints[f.name], cls.__name__, f.name)
        for f in dataclasses.fields(cls)
    }
    return st.builds(cls, **fields)


def any_model(type_name: str) -> st.SearchStrategy[object]:
    return model_strategy(MODEL_TYPES[type_name])
