"""Balances are a fold of entries: nothing else holds money."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from schemas.outputs import LedgerEntry

AccountKey = tuple[str, str]
"""``(account, currency)``."""


def balances(
    entries: Iterable[LedgerEntry], start: Mapping[AccountKey, Decimal] | None = None
) -> dict[AccountKey, Decimal]:
    """Sum of postings per ``(account, currency)``, optionally continuing from ``start``.

    Positive = debit balance, negative = credit balance (money owed to a partner shows as a
    negative balance on its accounts). Folding in chunks gives the same result as folding all.
    """
    totals: dict[AccountKey, Decimal] = dict(start or {})
    for entry in entries:
        for posting in entry.postings:
            key = (posting.account, posting.currency)
            totals[key] = totals.get(key, Decimal(0)) + posting.amount
    return totals


def balance_of(totals: Mapping[AccountKey, Decimal], account: str, currency: str) -> Decimal:
    return totals.get((account, currency), Decimal(0))
