"""A partner's statement, per program and period, folded from ledger entries.

Answers the partner's question "what is in it for me": what accrued in each bucket, what was
clawed back or expired, which claims were approved, what was paid, and what is still owed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from processors.ledger.accounts import CASH_BUCKETS, FUND_BUCKETS, partner_bucket, partner_payable
from processors.programs.periods import period_bounds
from schemas.outputs import Bucket, EntryKind, LedgerEntry

_EARNING_KINDS = frozenset({EntryKind.ACCRUAL, EntryKind.TRUE_UP, EntryKind.ADJUSTMENT})


def _frozen(values: Mapping[Bucket, Decimal]) -> Mapping[Bucket, Decimal]:
    return MappingProxyType({b: values[b] for b in sorted(values, key=lambda b: b.value) if values[b] != 0})


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementLine:
    """One program and period of a partner's statement (amounts in ``currency``).

    ``accrued`` nets accruals, true-ups and adjustments per bucket; ``clawed_back`` and
    ``expired`` are positive amounts taken back; ``paid`` nets payouts and reversals.
    ``owed`` is the cash still owed to the partner under the program after this period
    (cumulative), ``funds`` the allowance balances still claimable (cumulative).
    """

    program_id: str
    period: str
    currency: str
    accrued: Mapping[Bucket, Decimal]
    clawed_back: Mapping[Bucket, Decimal]
    expired: Mapping[Bucket, Decimal]
    claims_approved: Decimal
    paid: Decimal
    owed: Decimal
    funds: Mapping[Bucket, Decimal]


@dataclass(frozen=True, slots=True)
class Statement:
    partner_id: str
    lines: tuple[StatementLine, ...]
    owed: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    """Cash owed now per ``(program_id, currency)``."""


@dataclass
class _Acc:
    accrued: dict[Bucket, Decimal] = field(default_factory=dict)
    clawed_back: dict[Bucket, Decimal] = field(default_factory=dict)
    expired: dict[Bucket, Decimal] = field(default_factory=dict)
    claimed: dict[Bucket, Decimal] = field(default_factory=dict)
    claims_approved: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")


def _add(into: dict[Bucket, Decimal], bucket: Bucket, amount: Decimal) -> None:
    into[bucket] = into.get(bucket, Decimal("0.00")) + amount


def _fold(acc: _Acc, entry: LedgerEntry, partner_id: str) -> None:
    payable = partner_payable(partner_id, entry.program_id)
    for posting in entry.postings:
        if entry.bucket is not None and posting.account == partner_bucket(
            partner_id, entry.program_id, entry.bucket
        ):
            credited = -posting.amount
            if entry.kind in _EARNING_KINDS:
                _add(acc.accrued, entry.bucket, credited)
            elif entry.kind is EntryKind.CLAWBACK:
                _add(acc.clawed_back, entry.bucket, -credited)
            elif entry.kind is EntryKind.EXPIRY:
                _add(acc.expired, entry.bucket, -credited)
            elif entry.kind is EntryKind.CLAIM_APPROVED:
                _add(acc.claimed, entry.bucket, -credited)
        elif posting.account == payable:
            if entry.kind is EntryKind.CLAIM_APPROVED:
                acc.claims_approved += -posting.amount
            elif entry.kind in (EntryKind.PAYOUT, EntryKind.PAYOUT_REVERSAL):
                acc.paid += posting.amount


def statement(entries: Iterable[LedgerEntry], partner_id: str, program_id: str | None = None) -> Statement:
    """The partner's statement over ``entries`` (other partners' entries are ignored).

    Lines are ordered by program, currency and period start; cumulative figures run in that
    order, so the last line of a program shows what is owed now.
    """
    accs: dict[tuple[str, str, str], _Acc] = {}
    for entry in entries:
        if entry.partner_id != partner_id or (program_id is not None and entry.program_id != program_id):
            continue
        currency = entry.postings[0].currency
        acc = accs.setdefault((entry.program_id, currency, entry.period), _Acc())
        _fold(acc, entry, partner_id)
    lines: list[StatementLine] = []
    owed_now: dict[tuple[str, str], Decimal] = {}
    funds_now: dict[tuple[str, str], dict[Bucket, Decimal]] = {}
    for prog, currency, period in sorted(accs, key=lambda k: (k[0], k[1], period_bounds(k[2]), k[2])):
        acc = accs[(prog, currency, period)]
        cash = sum(
            (acc.accrued.get(b, Decimal(0)) - acc.clawed_back.get(b, Decimal(0)) for b in CASH_BUCKETS),
            Decimal("0.00"),
        )
        owed = owed_now.get((prog, currency), Decimal("0.00")) + cash + acc.claims_approved - acc.paid
        owed_now[(prog, currency)] = owed
        funds = funds_now.setdefault((prog, currency), {})
        for b in FUND_BUCKETS:
            moved = (
                acc.accrued.get(b, Decimal(0))
                - acc.clawed_back.get(b, Decimal(0))
                - acc.expired.get(b, 0)
                - acc.claimed.get(b, 0)
            )
            if moved:
                _add(funds, b, moved)
        lines.append(
            StatementLine(
                program_id=prog,
                period=period,
                currency=currency,
                accrued=_frozen(acc.accrued),
                clawed_back=_frozen(acc.clawed_back),
                expired=_frozen(acc.expired),
                claims_approved=acc.claims_approved,
                paid=acc.paid,
                owed=owed,
                funds=_frozen(funds),
            )
        )
    return Statement(partner_id, tuple(lines), MappingProxyType(owed_now))
