"""Allowance funds (MDF, warehousing, transport): accrue per period, drawn oldest first.

A draw beyond the balance (a claim approved for more than the fund holds, or a clawback of
an allowance already claimed) becomes an overdraft that later accruals repay first, so the
fund's ledger account always equals ``-(sum of slices - overdraft)``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

from processors.ledger.money import ZERO
from processors.partner.draft import Draft
from processors.partner.state import Fund, FundSlice
from processors.programs.model import AllowanceAccrual
from processors.programs.periods import period_bounds
from schemas.outputs import Bucket

_EMPTY = Fund(slices=(), overdraft=ZERO)


@lru_cache(maxsize=1024)
def fund_key(program_id: str, bucket: Bucket) -> str:
    return f"{program_id}|{bucket.value}"


def available(d: Draft, program_id: str, bucket: Bucket) -> Decimal:
    fund = d.funds.get(fund_key(program_id, bucket))
    return fund.available if fund is not None else ZERO


def accrued(fund: Fund | None, version: int, rule: AllowanceAccrual, period: str, amount: Decimal) -> Fund:
    """``fund`` (None: a new one) with ``amount`` (positive) accrued in ``period`` added,
    repaying any overdraft first."""
    fund = fund or _EMPTY
    overdraft = fund.overdraft
    repaid = overdraft if overdraft < amount else amount  # min(amount, overdraft), without the call
    rest = amount - repaid
    slices = fund.slices
    if rest and slices and slices[-1].period == period:
        # The usual case: the slice to grow is the latest one (one slice per period).
        last = slices[-1]
        slices = (
            *slices[:-1],
            FundSlice(period, last.expires_at, last.balance + rest, version, rule.rule_id),
        )
    elif rest:
        for i in range(len(slices) - 1, -1, -1):
            s = slices[i]
            if s.period == period:
                grown = FundSlice(period, s.expires_at, s.balance + rest, version, rule.rule_id)
                slices = (*slices[:i], grown, *slices[i + 1 :])
                break
        else:
            expires_at = period_bounds(period)[1] + timedelta(days=rule.expiry_days)
            added = FundSlice(
                period=period,
                expires_at=expires_at,
                balance=rest,
                program_version=version,
                rule_id=rule.rule_id,
            )
            slices = tuple(sorted((*slices, added), key=lambda s: (s.expires_at, s.period)))
    return Fund(slices, overdraft - repaid)


def draw(d: Draft, program_id: str, bucket: Bucket, amount: Decimal) -> None:
    """Take ``amount`` (positive) from the fund, oldest slice first; any excess is overdraft."""
    key = fund_key(program_id, bucket)
    fund = d.funds.get(key) or _EMPTY
    remaining = amount
    slices: list[FundSlice] = []
    for s in fund.slices:
        take = min(remaining, s.balance)
        remaining -= take
        if s.balance - take:
            slices.append(FundSlice(s.period, s.expires_at, s.balance - take, s.program_version, s.rule_id))
    d.funds = d.funds.set(key, Fund(slices=tuple(slices), overdraft=fund.overdraft + remaining))
