-- What each partner is owed now, per currency, and how it came about:
-- outstanding = accrued - clawed back - expired - paid.
SELECT
    b.partner_id AS partner_id,
    p.name AS partner_name,
    b.currency AS currency,
    sum(b.accrued) AS accrued,
    sum(b.clawed_back) AS clawed_back,
    sum(b.expired) AS expired,
    sum(b.paid) AS paid,
    sum(b.outstanding) AS outstanding
FROM partner_balances AS b
LEFT JOIN partners AS p ON p.partner_id = b.partner_id
GROUP BY b.partner_id, p.name, b.currency
ORDER BY outstanding DESC, partner_id
