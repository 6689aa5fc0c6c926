-- Incentives accrued against payouts per month (all partners), with what is still owed
-- at each month end. Amounts are from the partner side of the ledger.
SELECT
    toStartOfMonth(occurred_at) AS month,
    currency,
    -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT')) AS accrued,
    sumIf(amount, kind = 'CLAWBACK') AS clawed_back,
    sumIf(amount, kind = 'EXPIRY') AS expired,
    sumIf(amount, kind IN ('PAYOUT', 'PAYOUT_REVERSAL')) AS paid,
    sum(-sum(amount)) OVER (PARTITION BY currency ORDER BY month ROWS UNBOUNDED PRECEDING)
        AS outstanding_at_month_end
FROM ledger_postings
WHERE partner_account
GROUP BY month, currency
ORDER BY month, currency
