-- Storage tables: what the projector writes. Every table is a ReplacingMergeTree whose
-- sorting key ends in the row's natural id, so a row written twice (a retried batch, a
-- replay) collapses to one; the views in 0002 read them with FINAL so answers never depend
-- on whether a background merge has run yet. Partitions are by business month of
-- occurred_at, which is part of the row, so a duplicate always lands in the same partition
-- (ReplacingMergeTree only collapses within a partition). non_replicated_deduplication_window
-- makes the engine remember recent insert tokens, so an identical retried block is skipped
-- before it is even stored.

CREATE TABLE IF NOT EXISTS events_store
(
    event_id String,
    event_type LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    source LowCardinality(String),
    schema_version UInt16,
    partner_id String,
    customer_id String,
    name String,
    partner_type LowCardinality(String),
    tier LowCardinality(String),
    territories Array(String),
    programs Array(String),
    product_line LowCardinality(String),
    valid_until Nullable(DateTime64(3, 'UTC')),
    reason String,
    sale_id String,
    channel LowCardinality(String),
    customer_territory LowCardinality(String),
    sku LowCardinality(String),
    quantity Nullable(Int64),
    unit_price Nullable(Decimal(38, 6)),
    amount Nullable(Decimal(38, 6)),
    currency LowCardinality(String),
    registration_id String,
    return_id String,
    estimated_amount Nullable(Decimal(38, 6)),
    expires_at Nullable(DateTime64(3, 'UTC')),
    case_id String,
    severity LowCardinality(String),
    resolution LowCardinality(String),
    csat Nullable(UInt8),
    claim_id String,
    program_id LowCardinality(String),
    allowance LowCardinality(String),
    evidence_ref String,
    payout_id String,
    period LowCardinality(String),
    alert_id String,
    acknowledged_by String,
    resolved_by String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (event_type, partner_id, occurred_at, event_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS ledger_entries_store
(
    entry_id String,
    kind LowCardinality(String),
    partner_id String,
    program_id LowCardinality(String),
    program_version UInt32,
    rule_id LowCardinality(String),
    bucket LowCardinality(String),
    tier LowCardinality(String),
    period LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    source_event_ids Array(String),
    memo String,
    posting_count UInt16
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (partner_id, entry_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS ledger_postings_store
(
    entry_id String,
    posting_index UInt16,
    account String,
    amount Decimal(38, 6),
    currency LowCardinality(String),
    partner_account Bool,
    partner_id String,
    program_id LowCardinality(String),
    bucket LowCardinality(String),
    kind LowCardinality(String),
    period LowCardinality(String),
    occurred_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (partner_id, entry_id, posting_index)
SETTINGS non_replicated_deduplication_window = 1000;

-- What a sale would have accrued under a rule it did not qualify for (certification gate);
-- a return brings the same fact with a negative amount. Not money moved: not in the ledger.
CREATE TABLE IF NOT EXISTS accruals_forgone_store
(
    forgone_id String,
    partner_id String,
    program_id LowCardinality(String),
    program_version UInt32,
    rule_id LowCardinality(String),
    bucket LowCardinality(String),
    period LowCardinality(String),
    occurred_at DateTime64(3, 'UTC'),
    amount Decimal(38, 6),
    currency LowCardinality(String),
    product_line LowCardinality(String),
    reason String,
    source_event_ids Array(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (partner_id, forgone_id)
SETTINGS non_replicated_deduplication_window = 1000;

-- Every revision of every alert is kept (the views pick the latest); alerts are few and an
-- alert's revisions may span months, so the table is not partitioned.
CREATE TABLE IF NOT EXISTS alerts_store
(
    alert_id String,
    revision UInt32,
    rule_id LowCardinality(String),
    severity LowCardinality(String),
    status LowCardinality(String),
    customer_id String,
    product_line LowCardinality(String),
    party_ids Array(String),
    party_roles Array(LowCardinality(String)),
    evidence_event_ids Array(String),
    occurred_at DateTime64(3, 'UTC'),
    detected_at DateTime64(3, 'UTC'),
    message String,
    recommended_action String
)
ENGINE = ReplacingMergeTree
ORDER BY (alert_id, revision)
SETTINGS non_replicated_deduplication_window = 1000;

-- A dead letter is identified by where its input came from. failed_at may be wall-clock
-- time, so a replay can bring the same dead letter with a later failed_at: the version
-- column keeps the first one, which makes the table's answers replay-proof.
CREATE TABLE IF NOT EXISTS dead_letters_store
(
    source_topic String,
    source_partition Int32,
    source_offset Int64,
    reason_code LowCardinality(String),
    message String,
    original String,
    failed_at DateTime64(3, 'UTC'),
    event_id String,
    event_type LowCardinality(String),
    first_failure_rank UInt64 MATERIALIZED toUInt64(253402300799999 - toUnixTimestamp64Milli(failed_at))
)
ENGINE = ReplacingMergeTree(first_failure_rank)
ORDER BY (source_topic, source_partition, source_offset, event_id)
SETTINGS non_replicated_deduplication_window = 1000;
