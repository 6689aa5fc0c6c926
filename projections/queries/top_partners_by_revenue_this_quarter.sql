-- Top 20 partners by net revenue (sales minus returns) in the current quarter.
-- "Current" is the quarter of the business clock (the latest event projected), so a
-- replay of an old year answers for that year.
SELECT
    partner_id,
    partner_name,
    partner_type,
    tier,
    currency,
    net_revenue,
    revenue,
    returned_amount,
    units_sold,
    sales,
    round(return_rate, 4) AS return_rate,
    health_score
FROM partner_scorecard_quarterly
WHERE period = (SELECT toStartOfQuarter(business_now) FROM business_clock)
    AND sales > 0
ORDER BY net_revenue DESC, partner_id
LIMIT 20
