"""Constructors of ledger entries: every entry is two balanced postings named by account.

``LedgerEntry`` itself refuses unbalanced postings; these helpers only say which accounts
each entry kind moves money between, so the whole ledger reads from one page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, cast

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


def _slot_setter(cls: type, name: str) -> Callable[[object, object], None]:
    """The setter of a slot of a (frozen) dataclass, for ``earning_entry`` (see ``earning_entry_of``)."""
    return cast(Callable[[object, object], None], getattr(cls, name).__set__)


_set_entry_id = _slot_setter(LedgerEntry, "entry_id")
_set_kind = _slot_setter(LedgerEntry, "kind")
_set_partner_id = _slot_setter(LedgerEntry, "partner_id")
_set_program_id = _slot_setter(LedgerEntry, "program_id")
_set_program_version = _slot_setter(LedgerEntry, "program_version")
_set_rule_id = _slot_setter(LedgerEntry, "rule_id")
_set_bucket = _slot_setter(LedgerEntry, "bucket")
_set_tier = _slot_setter(LedgerEntry, "tier")
_set_period = _slot_setter(LedgerEntry, "period")
_set_occurred_at = _slot_setter(LedgerEntry, "occurred_at")
_set_postings = _slot_setter(LedgerEntry, "postings")
_set_source_event_ids = _slot_setter(LedgerEntry, "source_event_ids")
_set_memo = _slot_setter(LedgerEntry, "memo")
_set_account = _slot_setter(Posting, "account")
_set_amount = _slot_setter(Posting, "amount")
_set_currency = _slot_setter(Posting, "currency")
_new = object.__new__
if len(fields(LedgerEntry)) != 13 or len(fields(Posting)) != 3:
    raise TypeError("earning_entry sets every field of LedgerEntry and Posting: update it with them")


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
    takes it back.
    """
    return earning_entry_of(entry_id, kind, *prov, bucket, tier, period, occurred_at, amount, currency, memo)


def earning_entry_of(
    entry_id: str,
    kind: EntryKind,
    partner_id: str,
    program_id: str,
    program_version: int,
    rule_id: str,
    source_event_ids: tuple[str, ...],
    bucket: Bucket,
    tier: str | None,
    period: str,
    occurred_at: datetime,
    amount: Decimal,
    currency: str,
    memo: str,
) -> LedgerEntry:
    """``earning_entry`` with the provenance given field by field: most entries are of this
    kind, and the processor's hot path books them without building a ``Provenance`` each."""
    # Built through the slots: a frozen dataclass's ``__init__`` sets each field through
    # ``object.__setattr__`` by name, at twice the cost, and ``LedgerEntry.__post_init__``
    # would check a balance that holds by construction (``amount`` against ``-amount``). Every
    # other constructor still checks. The result equals the keyword-built entry field for field.
    debit = _new(Posting)
    _set_account(debit, vendor_expense(program_id, bucket))
    _set_amount(debit, amount)
    _set_currency(debit, currency)
    credit = _new(Posting)
    _set_account(credit, partner_bucket(partner_id, program_id, bucket))
    _set_amount(credit, -amount)
    _set_currency(credit, currency)
    entry = _new(LedgerEntry)
    _set_entry_id(entry, entry_id)
    _set_kind(entry, kind)
    _set_partner_id(entry, partner_id)
    _set_program_id(entry, program_id)
    _set_program_version(entry, program_version)
    _set_rule_id(entry, rule_id)
    _set_bucket(entry, bucket)
    _set_tier(entry, tier)
    _set_period(entry, period)
    _set_occurred_at(entry, occurred_at)
    _set_postings(entry, (debit, credit))
    _set_source_event_ids(entry, source_event_ids)
    _set_memo(entry, memo)
    return entry


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
