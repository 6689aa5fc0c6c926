"""The double-entry ledger: accounts, entry constructors, balances and statements (pure folds)."""

from processors.ledger.accounts import (
    CASH_BUCKETS,
    FUND_BUCKETS,
    VENDOR_CASH,
    partner_bucket,
    partner_payable,
    vendor_expense,
)
from processors.ledger.balances import AccountKey, balance_of, balances
from processors.ledger.canonical import canonical_bytes
from processors.ledger.money import cents
from processors.ledger.statement import Statement, StatementLine, statement

__all__ = [
    "CASH_BUCKETS",
    "FUND_BUCKETS",
    "VENDOR_CASH",
    "AccountKey",
    "Statement",
    "StatementLine",
    "balance_of",
    "balances",
    "canonical_bytes",
    "cents",
    "partner_bucket",
    "partner_payable",
    "statement",
    "vendor_expense",
]
