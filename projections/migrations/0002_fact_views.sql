-- Views analysts query. Each reads its storage table with FINAL, so a row written twice
-- counts once whether or not a merge has run. Typed fact views (sales, registrations,
-- support cases...) select one event type out of the wide events table.

CREATE OR REPLACE VIEW events AS
SELECT * FROM events_store FINAL;

-- Business time of the latest event projected: "now" for expiry and "this quarter",
-- so a replay of last year answers as it did last year.
CREATE OR REPLACE VIEW business_clock AS
SELECT max(occurred_at) AS business_now FROM events_store;

CREATE OR REPLACE VIEW sales AS
SELECT
    event_id,
    occurred_at,
    source,
    sale_id,
    channel,
    partner_id,
    customer_id,
    customer_territory,
    sku,
    product_line,
    assumeNotNull(quantity) AS quantity,
    assumeNotNull(unit_price) AS unit_price,
    assumeNotNull(amount) AS amount,
    currency,
    registration_id
FROM events
WHERE event_type = 'SaleRecorded';

CREATE OR REPLACE VIEW sale_returns AS
SELECT
    event_id,
    occurred_at,
    source,
    return_id,
    sale_id,
    partner_id,
    customer_id,
    assumeNotNull(quantity) AS quantity,
    assumeNotNull(amount) AS amount,
    currency,
    reason
FROM events
WHERE event_type = 'SaleReturned';

-- The partner dimension: current attributes, each from the latest event that sets it
-- (ties on occurred_at broken by event_id, so the answer never depends on read order).
CREATE OR REPLACE VIEW partners AS
SELECT
    partner_id,
    argMaxIf(name, (occurred_at, event_id), event_type = 'PartnerOnboarded') AS name,
    argMaxIf(partner_type, (occurred_at, event_id), event_type = 'PartnerOnboarded') AS partner_type,
    argMaxIf(tier, (occurred_at, event_id), event_type IN ('PartnerOnboarded', 'PartnerTierChanged')) AS tier,
    argMaxIf(
        territories, (occurred_at, event_id), event_type IN ('PartnerOnboarded', 'PartnerTerritoryChanged')
    ) AS territories,
    argMaxIf(programs, (occurred_at, event_id), event_type = 'PartnerOnboarded') AS programs,
    minIfOrNull(occurred_at, event_type = 'PartnerOnboarded') AS onboarded_at,
    toBool(argMaxIf(
        event_type = 'PartnerOffboarded',
        (occurred_at, event_id),
        event_type IN ('PartnerOnboarded', 'PartnerOffboarded')
    )) AS offboarded,
    maxIfOrNull(occurred_at, event_type = 'PartnerOffboarded') AS offboarded_at
FROM events
WHERE event_type IN (
    'PartnerOnboarded', 'PartnerTierChanged', 'PartnerTerritoryChanged', 'PartnerCertified', 'PartnerOffboarded'
)
GROUP BY partner_id;

-- Tier over time: one row per partner and instant the tier was set.
CREATE OR REPLACE VIEW partner_tier_history AS
SELECT partner_id, occurred_at AS valid_from, argMax(tier, event_id) AS tier
FROM events
WHERE event_type IN ('PartnerOnboarded', 'PartnerTierChanged')
GROUP BY partner_id, occurred_at;

CREATE OR REPLACE VIEW partner_certifications AS
SELECT event_id, partner_id, product_line, occurred_at AS certified_at, assumeNotNull(valid_until) AS valid_until
FROM events
WHERE event_type = 'PartnerCertified';

-- Deal registrations, one row each, with their lifecycle resolved by business time:
-- approved ones expire at expires_at (default 90 days after registration); a registration
-- is won by the registering partner's first sale that names it between registration and
-- expiry (and before any withdrawal). The earliest of won, rejected, withdrawn and expired
-- closes it; expiry counts only once the business clock has passed it.
CREATE OR REPLACE VIEW registrations AS
WITH
    (SELECT max(occurred_at) FROM events_store) AS business_now,
    lifecycle AS (
        SELECT
            registration_id,
            argMax(partner_id, (event_type = 'DealRegistered', occurred_at, event_id)) AS partner_id,
            argMax(customer_id, (event_type = 'DealRegistered', occurred_at, event_id)) AS customer_id,
            argMaxIf(customer_territory, (occurred_at, event_id), event_type = 'DealRegistered') AS customer_territory,
            argMaxIf(product_line, (occurred_at, event_id), event_type = 'DealRegistered') AS product_line,
            argMaxIf(tuple(estimated_amount), (occurred_at, event_id), event_type = 'DealRegistered').1
                AS estimated_amount,
            argMaxIf(currency, (occurred_at, event_id), event_type = 'DealRegistered') AS currency,
            minIfOrNull(occurred_at, event_type = 'DealRegistered') AS registered_at,
            maxIfOrNull(occurred_at, event_type = 'DealRegistrationApproved') AS approved_at,
            argMaxIf(tuple(expires_at), (occurred_at, event_id), event_type = 'DealRegistrationApproved').1
                AS approval_expires_at,
            minIfOrNull(occurred_at, event_type = 'DealRegistrationRejected') AS rejected_at,
            minIfOrNull(occurred_at, event_type = 'DealRegistrationWithdrawn') AS withdrawn_at,
            if(
                approved_at IS NULL,
                NULL,
                coalesce(approval_expires_at, coalesce(registered_at, approved_at) + INTERVAL 90 DAY)
            ) AS expiry
        FROM events
        WHERE event_type IN (
            'DealRegistered', 'DealRegistrationApproved', 'DealRegistrationRejected', 'DealRegistrationWithdrawn'
        )
        GROUP BY registration_id
    ),
    wins AS (
        SELECT
            l.registration_id AS registration_id,
            toNullable(min(s.occurred_at)) AS won_at,
            argMin(s.sale_id, (s.occurred_at, s.sale_id)) AS won_sale_id
        FROM lifecycle AS l
        INNER JOIN sales AS s ON s.registration_id = l.registration_id AND s.partner_id = l.partner_id
        WHERE l.approved_at IS NOT NULL
            AND l.rejected_at IS NULL
            AND s.occurred_at >= coalesce(l.registered_at, l.approved_at)
            AND s.occurred_at <= l.expiry
            AND (l.withdrawn_at IS NULL OR s.occurred_at < l.withdrawn_at)
        GROUP BY l.registration_id
    )
SELECT
    registration_id,
    partner_id,
    customer_id,
    customer_territory,
    product_line,
    estimated_amount,
    currency,
    registered_at,
    approved_at,
    expiry AS expires_at,
    rejected_at,
    withdrawn_at,
    won_at,
    won_sale_id,
    if(expiry IS NOT NULL AND expiry <= business_now AND won_at IS NULL, expiry, NULL) AS expired_at,
    arrayMin(arrayFilter(t -> t IS NOT NULL, [won_at, rejected_at, withdrawn_at, expired_at])) AS first_close,
    if(
        notEmpty(arrayFilter(t -> t IS NOT NULL, [won_at, rejected_at, withdrawn_at, expired_at])),
        first_close,
        NULL
    ) AS closed_at,
    multiIf(
        closed_at IS NULL, if(approved_at IS NULL, 'PENDING', 'APPROVED'),
        won_at = closed_at, 'WON',
        rejected_at = closed_at, 'REJECTED',
        withdrawn_at = closed_at, 'WITHDRAWN',
        'EXPIRED'
    ) AS status,
    if(status = 'WON', dateDiff('millisecond', registered_at, won_at) / 86400000, NULL) AS days_to_close
FROM lifecycle
LEFT JOIN wins USING (registration_id)
SETTINGS join_use_nulls = 0;

-- Support cases, one row each: opened, resolved (latest resolution), rated (latest rating).
CREATE OR REPLACE VIEW support_cases AS
SELECT
    case_id,
    argMax(partner_id, (event_type = 'SupportCaseOpened', occurred_at, event_id)) AS partner_id,
    argMaxIf(customer_id, (occurred_at, event_id), event_type = 'SupportCaseOpened') AS customer_id,
    argMaxIf(sku, (occurred_at, event_id), event_type = 'SupportCaseOpened') AS sku,
    argMaxIf(severity, (occurred_at, event_id), event_type = 'SupportCaseOpened') AS severity,
    minIfOrNull(occurred_at, event_type = 'SupportCaseOpened') AS opened_at,
    maxIfOrNull(occurred_at, event_type = 'SupportCaseResolved') AS resolved_at,
    argMaxIf(resolution, (occurred_at, event_id), event_type = 'SupportCaseResolved') AS resolution,
    maxIfOrNull(occurred_at, event_type = 'SupportCaseRated') AS rated_at,
    argMaxIf(tuple(csat), (occurred_at, event_id), event_type = 'SupportCaseRated').1 AS csat,
    if(
        opened_at IS NOT NULL AND resolved_at IS NOT NULL,
        dateDiff('millisecond', opened_at, resolved_at) / 3600000,
        NULL
    ) AS resolution_hours
FROM events
WHERE event_type IN ('SupportCaseOpened', 'SupportCaseResolved', 'SupportCaseRated')
GROUP BY case_id;

CREATE OR REPLACE VIEW allowance_claims AS
SELECT
    claim_id,
    argMax(partner_id, (event_type = 'AllowanceClaimed', occurred_at, event_id)) AS partner_id,
    argMaxIf(program_id, (occurred_at, event_id), event_type = 'AllowanceClaimed') AS program_id,
    argMaxIf(allowance, (occurred_at, event_id), event_type = 'AllowanceClaimed') AS allowance,
    argMaxIf(tuple(amount), (occurred_at, event_id), event_type = 'AllowanceClaimed').1 AS amount,
    argMaxIf(currency, (occurred_at, event_id), event_type = 'AllowanceClaimed') AS currency,
    minIfOrNull(occurred_at, event_type = 'AllowanceClaimed') AS claimed_at,
    minIfOrNull(occurred_at, event_type = 'AllowanceClaimApproved') AS approved_at,
    minIfOrNull(occurred_at, event_type = 'AllowanceClaimRejected') AS rejected_at,
    multiIf(approved_at IS NOT NULL, 'APPROVED', rejected_at IS NOT NULL, 'REJECTED', 'PENDING') AS status
FROM events
WHERE event_type IN ('AllowanceClaimed', 'AllowanceClaimApproved', 'AllowanceClaimRejected')
GROUP BY claim_id;

CREATE OR REPLACE VIEW payouts AS
SELECT
    payout_id,
    argMax(partner_id, (event_type = 'PayoutIssued', occurred_at, event_id)) AS partner_id,
    argMaxIf(program_id, (occurred_at, event_id), event_type = 'PayoutIssued') AS program_id,
    argMaxIf(tuple(amount), (occurred_at, event_id), event_type = 'PayoutIssued').1 AS amount,
    argMaxIf(currency, (occurred_at, event_id), event_type = 'PayoutIssued') AS currency,
    argMaxIf(period, (occurred_at, event_id), event_type = 'PayoutIssued') AS period,
    minIfOrNull(occurred_at, event_type = 'PayoutIssued') AS issued_at,
    minIfOrNull(occurred_at, event_type = 'PayoutReversed') AS reversed_at
FROM events
WHERE event_type IN ('PayoutIssued', 'PayoutReversed')
GROUP BY payout_id;

CREATE OR REPLACE VIEW ledger_entries AS
SELECT * FROM ledger_entries_store FINAL;

CREATE OR REPLACE VIEW ledger_postings AS
SELECT * FROM ledger_postings_store FINAL;

-- Balance of every account: a fold of its postings (positive = debit balance).
CREATE OR REPLACE VIEW balances AS
SELECT
    account,
    currency,
    max(partner_account) AS is_partner_account,
    anyIf(partner_id, partner_account) AS owner_partner_id,
    sum(amount) AS balance,
    count() AS postings,
    max(occurred_at) AS last_posted_at
FROM ledger_postings
GROUP BY account, currency;

-- What each partner is owed per program and bucket: partner accounts carry credit
-- balances, so the amount owed is the negated balance.
CREATE OR REPLACE VIEW partner_balances AS
SELECT
    partner_id,
    program_id,
    bucket,
    currency,
    -sumIf(amount, kind IN ('ACCRUAL', 'TRUE_UP', 'ADJUSTMENT')) AS accrued,
    sumIf(amount, kind = 'CLAWBACK') AS clawed_back,
    sumIf(amount, kind = 'EXPIRY') AS expired,
    sumIf(amount, kind IN ('PAYOUT', 'PAYOUT_REVERSAL')) AS paid,
    -sum(amount) AS outstanding
FROM ledger_postings
WHERE partner_account
GROUP BY partner_id, program_id, bucket, currency;

CREATE OR REPLACE VIEW accruals_forgone AS
SELECT * FROM accruals_forgone_store FINAL;

CREATE OR REPLACE VIEW alert_revisions AS
SELECT * FROM alerts_store FINAL;

CREATE OR REPLACE VIEW alert_lifecycle AS
SELECT
    event_id,
    event_type,
    occurred_at,
    alert_id,
    customer_id,
    if(event_type = 'AlertAcknowledged', acknowledged_by, resolved_by) AS actor,
    resolution
FROM events
WHERE event_type IN ('AlertAcknowledged', 'AlertResolved');

-- The latest revision of each alert, with its lifecycle: an acknowledgement or resolution
-- counts when it is at least as recent as the revision (a later revision, raised by new
-- evidence, carries its own status).
CREATE OR REPLACE VIEW alerts AS
WITH
    latest AS (
        SELECT *
        FROM alert_revisions
        ORDER BY alert_id, revision DESC
        LIMIT 1 BY alert_id
    ),
    history AS (
        SELECT alert_id, min(detected_at) AS first_detected_at, count() AS revisions
        FROM alert_revisions
        GROUP BY alert_id
    ),
    lifecycle AS (
        SELECT
            alert_id,
            maxIfOrNull(occurred_at, event_type = 'AlertAcknowledged') AS acknowledged_at,
            argMaxIf(actor, (occurred_at, event_id), event_type = 'AlertAcknowledged') AS acknowledged_by,
            maxIfOrNull(occurred_at, event_type = 'AlertResolved') AS resolved_at,
            argMaxIf(actor, (occurred_at, event_id), event_type = 'AlertResolved') AS resolved_by,
            argMaxIf(resolution, (occurred_at, event_id), event_type = 'AlertResolved') AS resolution
        FROM alert_lifecycle
        GROUP BY alert_id
    )
SELECT
    latest.alert_id AS alert_id,
    latest.revision AS revision,
    latest.rule_id AS rule_id,
    latest.severity AS severity,
    multiIf(
        lifecycle.resolved_at IS NOT NULL AND lifecycle.resolved_at >= latest.detected_at, 'RESOLVED',
        latest.status = 'RESOLVED', 'RESOLVED',
        lifecycle.acknowledged_at IS NOT NULL AND lifecycle.acknowledged_at >= latest.detected_at, 'ACKNOWLEDGED',
        latest.status
    ) AS status,
    latest.customer_id AS customer_id,
    latest.product_line AS product_line,
    latest.party_ids AS party_ids,
    latest.party_roles AS party_roles,
    latest.evidence_event_ids AS evidence_event_ids,
    latest.occurred_at AS occurred_at,
    history.first_detected_at AS first_detected_at,
    latest.detected_at AS detected_at,
    history.revisions AS revisions,
    latest.message AS message,
    latest.recommended_action AS recommended_action,
    lifecycle.acknowledged_at AS acknowledged_at,
    lifecycle.acknowledged_by AS acknowledged_by,
    lifecycle.resolved_at AS resolved_at,
    lifecycle.resolved_by AS resolved_by,
    lifecycle.resolution AS resolution,
    if(status = 'RESOLVED' AND resolved_at IS NOT NULL,
        dateDiff('millisecond', history.first_detected_at, resolved_at) / 3600000, NULL) AS hours_to_resolve
FROM latest
INNER JOIN history ON history.alert_id = latest.alert_id
LEFT JOIN lifecycle ON lifecycle.alert_id = latest.alert_id
SETTINGS join_use_nulls = 0;

CREATE OR REPLACE VIEW dead_letters AS
SELECT
    source_topic,
    source_partition,
    source_offset,
    reason_code,
    message,
    original,
    failed_at,
    event_id,
    event_type
FROM dead_letters_store FINAL;
