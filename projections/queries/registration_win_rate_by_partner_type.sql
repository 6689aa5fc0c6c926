-- Deal registration outcomes by partner type. Win rate = won / closed, where a registration
-- closes when it is won, rejected, withdrawn or expired (by business time).
SELECT
    p.partner_type AS partner_type,
    count() AS registrations,
    countIf(r.status = 'WON') AS won,
    countIf(r.status IN ('WON', 'REJECTED', 'WITHDRAWN', 'EXPIRED')) AS closed,
    if(closed > 0, round(won / closed, 4), NULL) AS win_rate,
    round(avgIf(r.days_to_close, r.status = 'WON'), 1) AS days_to_close_avg
FROM registrations AS r
LEFT JOIN partners AS p ON p.partner_id = r.partner_id
GROUP BY partner_type
ORDER BY win_rate DESC NULLS LAST, partner_type
