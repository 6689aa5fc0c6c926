"""Ledger primitives: balanced entries, deterministic ids, canonical bytes, folds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.ids import derived_id
from processors.ledger import balances, canonical_bytes
from processors.ledger.canonical import from_bytes
from processors.ledger.entry_ids import fast_derived_id
from processors.ledger.money import cents, prorate
from processors.partner.shards import ShardedMap
from schemas.outputs import EntryKind, LedgerEntry, Posting, UnbalancedEntryError

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def _entry(*legs: tuple[str, str, str]) -> LedgerEntry:
    return LedgerEntry(
        entry_id="x",
        kind=EntryKind.ADJUSTMENT,
        partner_id="p",
        program_id="q",
        program_version=1,
        rule_id="r",
        bucket=None,
        tier=None,
        period="2026-01",
        occurred_at=WHEN,
        postings=tuple(Posting(account=a, amount=Decimal(v), currency=c) for a, v, c in legs),
        source_event_ids=("e",),
        memo="",
    )


def test_an_unbalanced_entry_cannot_be_constructed() -> None:
    with pytest.raises(UnbalancedEntryError, match=r"sum to 0\.01 USD"):
        _entry(("a", "1.00", "USD"), ("b", "-0.99", "USD"))
    with pytest.raises(UnbalancedEntryError):  # balanced in total but not per currency
        _entry(("a", "1.00", "USD"), ("b", "-1.00", "EUR"))
    assert len(_entry(("a", "1.00", "USD"), ("b", "-1.00", "USD")).postings) == 2


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=8), st.lists(st.text(max_size=12), max_size=5))
def test_fast_derived_id_equals_the_shared_derived_id(kind: str, parts: list[str]) -> None:
    assert fast_derived_id(kind, *parts) == derived_id(kind, *parts)


def test_rounding_is_half_up_to_the_cent_and_full_proration_is_exact() -> None:
    assert cents(Decimal("0.005")) == Decimal("0.01") and cents(Decimal("-0.005")) == Decimal("-0.01")
    assert cents(Decimal("2.675")) == Decimal("2.68")
    assert prorate(Decimal("20.00"), Decimal(1), Decimal(3)) == Decimal("6.67")
    assert prorate(Decimal("20.00"), Decimal(3), Decimal(3)) == Decimal("20.00")


def test_balances_fold_in_chunks_equals_fold_of_all() -> None:
    es = [
        _entry(("a", "1.00", "USD"), ("b", "-1.00", "USD")),
        _entry(("b", "2.50", "USD"), ("c", "-2.50", "USD")),
    ]
    assert (
        balances(es)
        == balances(es[1:], balances(es[:1]))
        == {
            ("a", "USD"): Decimal("1.00"),
            ("b", "USD"): Decimal("1.50"),
            ("c", "USD"): Decimal("-2.50"),
        }
    )


def test_canonical_bytes_round_trip_an_entry() -> None:
    entry = _entry(("a", "1.10", "USD"), ("b", "-1.10", "USD"))
    raw = canonical_bytes(entry)
    assert from_bytes(LedgerEntry, raw) == entry
    assert raw == canonical_bytes(from_bytes(LedgerEntry, raw))
    assert b'"amount":"1.10"' in raw


def test_sharded_map_updates_leave_the_old_map_unchanged() -> None:
    first = ShardedMap[int]().set("a", 1)
    second = first.set("b", 2).set("a", 3)
    assert dict(first) == {"a": 1} and dict(second) == {"a": 3, "b": 2} and len(second) == 2
    assert dict(second.without_where(lambda v: v > 2)) == {"b": 2}
