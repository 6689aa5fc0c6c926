"""Account names of the double-entry ledger.

Per partner and program there is one account per bucket (what the partner has accrued in
it) and one ``payable`` account (claims approved into cash, payouts out of it); the vendor
has one expense account per program and bucket, and one cash account. Sign convention of
postings: positive debits, negative credits, so partner accounts carry credit (negative)
balances while money is owed to the partner.
"""

from __future__ import annotations

from functools import lru_cache

from schemas.outputs import Bucket

VENDOR_CASH = "vendor:cash"

CASH_BUCKETS: frozenset[Bucket] = frozenset(
    {Bucket.REBATE, Bucket.GROWTH, Bucket.SPIFF, Bucket.REGISTRATION_BONUS, Bucket.CARE_BONUS}
)
"""Buckets owed in cash as they accrue (a payout may draw on them)."""

FUND_BUCKETS: frozenset[Bucket] = frozenset({Bucket.MDF, Bucket.WAREHOUSING, Bucket.TRANSPORT})
"""Allowance funds: payable only through an approved claim; unclaimed balances expire."""


# Account names are built for every entry; the cache saves formatting them each time.
@lru_cache(maxsize=16384)
def partner_bucket(partner_id: str, program_id: str, bucket: Bucket) -> str:
    return f"partner:{partner_id}:{program_id}:{bucket.value}"


@lru_cache(maxsize=4096)
def partner_payable(partner_id: str, program_id: str) -> str:
    return f"partner:{partner_id}:{program_id}:payable"


@lru_cache(maxsize=1024)
def vendor_expense(program_id: str, bucket: Bucket) -> str:
    return f"vendor:expense:{program_id}:{bucket.value}"
