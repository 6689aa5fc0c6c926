-- The partner scorecard, per partner and period, for a grain of day, month, quarter or year:
--     SELECT * FROM partner_scorecard(grain = 'month')
-- One parameterized view computes every grain from the facts, because medians, p90s,
-- averages and rates cannot be rolled up from daily figures. Each metric is attributed to
-- the period of the business time it happened at (docs/projections.md lists them all).
-- partner_scorecard_daily / _monthly / _quarterly are the grains as plain views.

CREATE OR REPLACE VIEW partner_scorecard AS
WITH
    (SELECT throwIf({grain:String} NOT IN ('day', 'month', 'quarter', 'year'),
        'partner_scorecard: grain must be day, month, quarter or year')) AS grain_is_valid,
    sales_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(occurred_at), {grain:String} = 'month', toStartOfMonth(occurred_at),
                {grain:String} = 'quarter', toStartOfQuarter(occurred_at), toStartOfYear(occurred_at)) AS period,
            count() AS sales,
            sum(quantity) AS units_sold,
            sum(amount) AS revenue,
            min(currency) AS sales_currency
        FROM sales
        WHERE channel = 'PARTNER' AND partner_id != ''
        GROUP BY partner_id, period
    ),
    returns_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(occurred_at), {grain:String} = 'month', toStartOfMonth(occurred_at),
                {grain:String} = 'quarter', toStartOfQuarter(occurred_at), toStartOfYear(occurred_at)) AS period,
            count() AS returns,
            sum(quantity) AS units_returned,
            sum(amount) AS returned_amount
        FROM sale_returns
        WHERE partner_id != ''
        GROUP BY partner_id, period
    ),
    registrations_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(occurred_at), {grain:String} = 'month', toStartOfMonth(occurred_at),
                {grain:String} = 'quarter', toStartOfQuarter(occurred_at), toStartOfYear(occurred_at)) AS period,
            uniqExactIf(registration_id, event_type = 'DealRegistered') AS registrations_submitted,
            uniqExactIf(registration_id, event_type = 'DealRegistrationApproved') AS registrations_approved
        FROM events
        WHERE event_type IN ('DealRegistered', 'DealRegistrationApproved')
        GROUP BY partner_id, period
    ),
    closes_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(closed), {grain:String} = 'month', toStartOfMonth(closed),
                {grain:String} = 'quarter', toStartOfQuarter(closed), toStartOfYear(closed)) AS period,
            countIf(status = 'WON') AS registrations_won,
            countIf(status = 'REJECTED') AS registrations_rejected,
            countIf(status = 'EXPIRED') AS registrations_expired,
            countIf(status = 'WITHDRAWN') AS registrations_withdrawn,
            avgOrNullIf(days_to_close, status = 'WON') AS days_to_close_avg
        FROM (SELECT partner_id, status, days_to_close, assumeNotNull(closed_at) AS closed
              FROM registrations WHERE closed_at IS NOT NULL)
        GROUP BY partner_id, period
    ),
    cases_opened_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(opened), {grain:String} = 'month', toStartOfMonth(opened),
                {grain:String} = 'quarter', toStartOfQuarter(opened), toStartOfYear(opened)) AS period,
            count() AS cases_opened
        FROM (SELECT partner_id, assumeNotNull(opened_at) AS opened FROM support_cases WHERE opened_at IS NOT NULL)
        GROUP BY partner_id, period
    ),
    cases_resolved_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(resolved), {grain:String} = 'month', toStartOfMonth(resolved),
                {grain:String} = 'quarter', toStartOfQuarter(resolved), toStartOfYear(resolved)) AS period,
            count() AS cases_resolved,
            countIf(resolution = 'REPLACED') AS cases_replaced,
            quantileExactInclusive(0.5)(resolution_hours) AS resolution_hours_median,
            quantileExactInclusive(0.9)(resolution_hours) AS resolution_hours_p90
        FROM (SELECT partner_id, resolution, resolution_hours, assumeNotNull(resolved_at) AS resolved
              FROM support_cases WHERE resolved_at IS NOT NULL)
        GROUP BY partner_id, period
    ),
    ratings_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(rated), {grain:String} = 'month', toStartOfMonth(rated),
                {grain:String} = 'quarter', toStartOfQuarter(rated), toStartOfYear(rated)) AS period,
            count() AS csat_responses,
            avg(csat) AS csat_avg
        FROM (SELECT partner_id, csat, assumeNotNull(rated_at) AS rated
              FROM support_cases WHERE rated_at IS NOT NULL AND csat IS NOT NULL)
        GROUP BY partner_id, period
    ),
    conflicts_by_period AS (
        SELECT
            party_id AS partner_id,
            multiIf({grain:String} = 'day', toDate(occurred_at), {grain:String} = 'month', toStartOfMonth(occurred_at),
                {grain:String} = 'quarter', toStartOfQuarter(occurred_at), toStartOfYear(occurred_at)) AS period,
            uniqExactIf(alert_id, party_role = 'OFFENDER') AS conflicts_as_offender,
            uniqExactIf(alert_id, party_role = 'PROTECTED') AS conflicts_as_protected
        FROM alerts
        ARRAY JOIN party_ids AS party_id, party_roles AS party_role
        WHERE party_role IN ('OFFENDER', 'PROTECTED')
        GROUP BY partner_id, period
    ),
    incentives_by_period AS (
        -- Partner accounts hold credit (negative) balances while money is owed to the partner.
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(occurred_at), {grain:String} = 'month', toStartOfMonth(occurred_at),
                {grain:String} = 'quarter', toStartOfQuarter(occurred_at), toStartOfYear(occurred_at)) AS period,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'rebate') AS accrued_rebate,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'growth') AS accrued_growth,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'spiff') AS accrued_spiff,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'registration_bonus')
                AS accrued_registration_bonus,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'care_bonus')
                AS accrued_care_bonus,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'mdf') AS accrued_mdf,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'warehousing')
                AS accrued_warehousing,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT') AND bucket = 'transport')
                AS accrued_transport,
            -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT')) AS accrued_total,
            sumIf(amount, kind = 'CLAWBACK') AS clawed_back,
            sumIf(amount, kind = 'EXPIRY') AS expired_funds,
            sumIf(amount, kind IN ('PAYOUT', 'PAYOUT_REVERSAL')) AS paid,
            -sum(amount) AS owed_change,
            min(currency) AS ledger_currency
        FROM ledger_postings
        WHERE partner_account
        GROUP BY partner_id, period
    ),
    forgone_by_period AS (
        SELECT
            partner_id,
            multiIf({grain:String} = 'day', toDate(occurred_at), {grain:String} = 'month', toStartOfMonth(occurred_at),
                {grain:String} = 'quarter', toStartOfQuarter(occurred_at), toStartOfYear(occurred_at)) AS period,
            sum(amount) AS accrual_forgone
        FROM accruals_forgone
        GROUP BY partner_id, period
    ),
    merged AS (
        SELECT *
        FROM sales_by_period
        FULL OUTER JOIN returns_by_period USING (partner_id, period)
        FULL OUTER JOIN registrations_by_period USING (partner_id, period)
        FULL OUTER JOIN closes_by_period USING (partner_id, period)
        FULL OUTER JOIN cases_opened_by_period USING (partner_id, period)
        FULL OUTER JOIN cases_resolved_by_period USING (partner_id, period)
        FULL OUTER JOIN ratings_by_period USING (partner_id, period)
        FULL OUTER JOIN conflicts_by_period USING (partner_id, period)
        FULL OUTER JOIN incentives_by_period USING (partner_id, period)
        FULL OUTER JOIN forgone_by_period USING (partner_id, period)
    ),
    with_end AS (
        SELECT
            *,
            toDateTime64(
                multiIf({grain:String} = 'day', addDays(period, 1), {grain:String} = 'month', addMonths(period, 1),
                    {grain:String} = 'quarter', addMonths(period, 3), addYears(period, 1)),
                3, 'UTC') AS period_end
        FROM merged
    ),
    certifications AS (
        SELECT partner_id, groupArray((certified_at, valid_until, product_line)) AS certificates
        FROM partner_certifications
        GROUP BY partner_id
    ),
    scored AS (
        SELECT
            w.partner_id AS partner_id,
            w.period AS period,
            w.period_end AS period_end,
            p.name AS partner_name,
            p.partner_type AS partner_type,
            t.tier AS tier,
            arraySort(arrayDistinct(arrayMap(c -> c.3,
                arrayFilter(c -> c.1 < w.period_end AND c.2 >= w.period_end - toIntervalMillisecond(1),
                    c.certificates)))) AS certified_product_lines,
            length(certified_product_lines) AS certifications,
            if(w.sales_currency != '', w.sales_currency, w.ledger_currency) AS currency,
            w.sales AS sales,
            w.units_sold AS units_sold,
            w.revenue AS revenue,
            w.returns AS returns,
            w.units_returned AS units_returned,
            w.returned_amount AS returned_amount,
            w.revenue - w.returned_amount AS net_revenue,
            if(w.units_sold > 0, w.units_returned / w.units_sold, NULL) AS return_rate,
            w.registrations_submitted AS registrations_submitted,
            w.registrations_approved AS registrations_approved,
            w.registrations_rejected AS registrations_rejected,
            w.registrations_expired AS registrations_expired,
            w.registrations_withdrawn AS registrations_withdrawn,
            w.registrations_won AS registrations_won,
            w.registrations_won + w.registrations_rejected + w.registrations_expired + w.registrations_withdrawn
                AS registrations_closed,
            if(registrations_closed > 0, w.registrations_won / registrations_closed, NULL) AS win_rate,
            w.days_to_close_avg AS days_to_close_avg,
            w.cases_opened AS cases_opened,
            w.cases_resolved AS cases_resolved,
            w.resolution_hours_median AS resolution_hours_median,
            w.resolution_hours_p90 AS resolution_hours_p90,
            if(w.cases_resolved > 0, w.cases_replaced / w.cases_resolved, NULL) AS replacement_rate,
            w.csat_responses AS csat_responses,
            w.csat_avg AS csat_avg,
            w.conflicts_as_offender AS conflicts_as_offender,
            w.conflicts_as_protected AS conflicts_as_protected,
            w.accrued_rebate AS accrued_rebate,
            w.accrued_growth AS accrued_growth,
            w.accrued_spiff AS accrued_spiff,
            w.accrued_registration_bonus AS accrued_registration_bonus,
            w.accrued_care_bonus AS accrued_care_bonus,
            w.accrued_mdf AS accrued_mdf,
            w.accrued_warehousing AS accrued_warehousing,
            w.accrued_transport AS accrued_transport,
            w.accrued_total AS accrued_total,
            w.clawed_back AS clawed_back,
            w.expired_funds AS expired_funds,
            w.paid AS paid,
            sum(w.owed_change) OVER (PARTITION BY w.partner_id ORDER BY w.period
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS outstanding,
            w.accrual_forgone AS accrual_forgone,
            -- Health score components, each in [0, 1] with its weight; a component without
            -- data in the period is left out and the weights of the others renormalised.
            if(w.units_sold > 0, 20, 0) AS w_returns,
            1 - least(ifNull(return_rate, 0), 1) AS c_returns,
            if(registrations_closed > 0, 20, 0) AS w_registrations,
            ifNull(win_rate, 0) AS c_registrations,
            if(w.csat_responses > 0, 20, 0) AS w_csat,
            (ifNull(w.csat_avg, 1) - 1) / 4 AS c_csat,
            if(w.resolution_hours_p90 IS NOT NULL, 15, 0) AS w_speed,
            greatest(0, least(1, (168 - ifNull(w.resolution_hours_p90, 168)) / (168 - 24))) AS c_speed,
            if(w.cases_resolved > 0, 10, 0) AS w_replacements,
            1 - ifNull(replacement_rate, 0) AS c_replacements,
            15 AS w_conflicts,
            1 / (1 + w.conflicts_as_offender) AS c_conflicts,
            round(100 * (w_returns * c_returns + w_registrations * c_registrations + w_csat * c_csat
                    + w_speed * c_speed + w_replacements * c_replacements + w_conflicts * c_conflicts)
                / (w_returns + w_registrations + w_csat + w_speed + w_replacements + w_conflicts), 1)
                AS health_score
        FROM with_end AS w
        LEFT JOIN partners AS p ON p.partner_id = w.partner_id
        ASOF LEFT JOIN partner_tier_history AS t ON t.partner_id = w.partner_id AND t.valid_from < w.period_end
        LEFT JOIN certifications AS c ON c.partner_id = w.partner_id
    )
SELECT * EXCEPT (w_returns, c_returns, w_registrations, c_registrations, w_csat, c_csat, w_speed, c_speed,
    w_replacements, c_replacements, w_conflicts, c_conflicts)
FROM scored
WHERE grain_is_valid = 0
SETTINGS join_use_nulls = 0;

CREATE OR REPLACE VIEW partner_scorecard_daily AS
SELECT * FROM partner_scorecard(grain = 'day');

CREATE OR REPLACE VIEW partner_scorecard_monthly AS
SELECT * FROM partner_scorecard(grain = 'month');

CREATE OR REPLACE VIEW partner_scorecard_quarterly AS
SELECT * FROM partner_scorecard(grain = 'quarter');
