"""Constructors of ledger entries: every entry is two balanced postings named by account.

``LedgerEntry`` itself refuses unbalanced postings; these helpers only say which accounts
each entry kind moves money between, so the whole ledger reads from one page.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from processors.ledger.accounts import (
    VENDOR_CASH,
    partner_bucket,
    partner_payable,
    vendor_expense,
)
from schemas.outputs import Bucket, EntryKind, LedgerEntry, Posting


class Provenance(NamedTuple):
    """Who and what produced an entry: partner, program version, rule, source events."""

    partner_id: str
    program_id: str
    program_version: int
    rule_id: str
    source_event_ids: tuple[str, ...]


_ENTRY_SETTERS = tuple(getattr(LedgerEntry, f.name).__set__ for f in fields(LedgerEntry))
_POSTING_SETTERS = tuple(getattr(Posting, f.name).__set__ for f in fields(Posting))
_new = object.__new__


def _posting(account: str, amount: Decimal, currency: str) -> Posting:
    """``Posting(account=..., amount=..., currency=...)`` at half the cost: a frozen dataclass's
    ``__init__`` sets each field through ``object.__setattr__`` by name; this uses the slots."""
    posting = _new(Posting)
    set_account, set_amount, set_currency = _POSTING_SETTERS
    set_account(posting, account)
    set_amount(posting, amount)
    set_currency(posting, currency)
    return posting


def _balanced_entry(*values: object) -> LedgerEntry:
    """A ``LedgerEntry`` from its field values in declaration order, for the hot path's entries
    whose two postings are ``amount`` and ``-amount`` by construction: it skips the balance check
    of ``LedgerEntry.__post_init__`` (which every other constructor still runs) and the slow
    frozen ``__init__``. Equal, field for field, to the entry the keyword constructor builds."""
    entry = _new(LedgerEntry)
    for set_field, value in zip(_ENTRY_SETTERS, values, strict=True):
        set_field(entry, value)
    return entry


def _transfer(debit: str, credit: str, amount: Decimal, currency: str) -> tuple[Posting, Posting]:
    return (
        Posting(account=debit, amount=amount, currency=currency),
        Posting(account=credit, amount=-amount, currency=currency),
    )


def _entry(
    entry_id: str,
    kind: EntryKind,
    prov: Provenance,
    bucket: Bucket | None,
    tier: str | None,
    period: str,
    occurred_at: datetime,
    postings: tuple[Posting, ...],
    memo: str,
) -> LedgerEntry:
    return LedgerEntry(
        entry_id=entry_id,
        kind=kind,
        partner_id=prov.partner_id,
        program_id=prov.program_id,
        program_version=prov.program_version,
        rule_id=prov.rule_id,
        bucket=bucket,
        tier=tier,
        period=period,
        occurred_at=occurred_at,
        postings=postings,
        source_event_ids=prov.source_event_ids,
        memo=memo,
    )


def earning_entry(
    entry_id: str,
    kind: EntryKind,
    prov: Provenance,
    bucket: Bucket,
    tier: str | None,
    period: str,
    occurred_at: datetime,
    amount: Decimal,
    currency: str,
    memo: str,
) -> LedgerEntry:
    """ACCRUAL / TRUE_UP / CLAWBACK / ADJUSTMENT: vendor expense against the partner's bucket.

    A positive ``amount`` is owed to the partner; a negative one (clawback, downward true-up)
    takes it back. (Built in one step: most entries are of this kind.)
    """
    partner_id, program_id, program_version, rule_id, source_event_ids = prov
    return _balanced_entry(
        entry_id,
        kind,
        partner_id,
        program_id,
        program_version,
        rule_id,
        bucket,
        tier,
        period,
        occurred_at,
        (
            _posting(vendor_expense(program_id, bucket), amount, currency),
            _posting(partner_bucket(partner_id, program_id, bucket), -amount, currency),
        ),
        source_event_ids,
        memo,
    )


def claim_entry(
    entry_id: str,
    prov: Provenance,
    bucket: Bucket,
    period: str,
    occurred_at: datetime,
    amount: Decimal,
    currency: str,
    memo: str,
) -> LedgerEntry:
    """CLAIM_APPROVED: the fund bucket is drawn down into the partner's payable account."""
    postings = _transfer(
        partner_bucket(prov.partner_id, prov.program_id, bucket),
        partner_payable(prov.partner_id, prov.program_id),
        amount,
        currency,
    )
    return _entry(entry_id, EntryKind.CLAIM_APPROVED, prov, bucket, None, period, occurred_at, postings, memo)


def expiry_entry(
    entry_id: str,
    prov: Provenance,
    bucket: Bucket,
    period: str,
    occurred_at: datetime,
    amount: Decimal,
    currency: str,
    memo: str,
) -> LedgerEntry:
    """EXPIRY: an unclaimed fund balance goes back to the vendor (reduces its expense)."""
    postings = _transfer(
        partner_bucket(prov.partner_id, prov.program_id, bucket),
        vendor_expense(prov.program_id, bucket),
        amount,
        currency,
    )
    return _entry(entry_id, EntryKind.EXPIRY, prov, bucket, None, period, occurred_at, postings, memo)


def payout_entry(
    entry_id: str,
    kind: EntryKind,
    prov: Provenance,
    period: str,
    occurred_at: datetime,
    amount: Decimal,
    currency: str,
    memo: str,
) -> LedgerEntry:
    """PAYOUT (payable to cash) or PAYOUT_REVERSAL (cash back to payable)."""
    payable = partner_payable(prov.partner_id, prov.program_id)
    if kind is EntryKind.PAYOUT:
        postings = _transfer(payable, VENDOR_CASH, amount, currency)
    elif kind is EntryKind.PAYOUT_REVERSAL:
        postings = _transfer(VENDOR_CASH, payable, amount, currency)
    else:
        raise ValueError(f"payout_entry cannot build a {kind} entry")
    return _entry(entry_id, kind, prov, None, None, period, occurred_at, postings, memo)
