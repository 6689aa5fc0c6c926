-- Partners whose average CSAT fell from the previous quarter to the current one
-- (quarters by the business clock; both quarters must have ratings).
WITH (SELECT toStartOfQuarter(business_now) FROM business_clock) AS this_quarter
SELECT
    current.partner_id AS partner_id,
    current.partner_name AS partner_name,
    round(previous.csat_avg, 2) AS previous_csat,
    round(current.csat_avg, 2) AS current_csat,
    round(current.csat_avg - previous.csat_avg, 2) AS change,
    previous.csat_responses AS previous_responses,
    current.csat_responses AS current_responses
FROM partner_scorecard_quarterly AS current
INNER JOIN partner_scorecard_quarterly AS previous
    ON previous.partner_id = current.partner_id AND previous.period = addMonths(current.period, -3)
WHERE current.period = this_quarter
    AND current.csat_responses > 0
    AND previous.csat_responses > 0
    AND current.csat_avg < previous.csat_avg
ORDER BY change, partner_id
