"""The columns of every table the projector writes, as Arrow types.

This is the Python side of the migrations: each ``TableSpec`` lists the columns the
projector fills, in the types the Arrow batches carry (a test checks them against the
tables the migrations create). Columns a row does not fill are sent as nulls and stored
as the column's default (``''``, ``0``, ``[]``) unless the column is ``Nullable``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MONEY = pa.decimal128(38, 6)
"""Money travels as Decimal(38, 6): exact, and a value with more digits is refused, not rounded."""
TIMESTAMP = pa.timestamp("ms", tz="UTC")
TEXT = pa.string()
TEXT_LIST = pa.list_(pa.string())


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, pa.DataType], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(list(self.columns))


EVENTS = TableSpec(
    "events_store",
    (
        ("event_id", TEXT),
        ("event_type", TEXT),
        ("occurred_at", TIMESTAMP),
        ("source", TEXT),
        ("schema_version", pa.uint16()),
        ("partner_id", TEXT),
        ("customer_id", TEXT),
        # partners
        ("name", TEXT),
        ("partner_type", TEXT),
        ("tier", TEXT),
        ("territories", TEXT_LIST),
        ("programs", TEXT_LIST),
        ("product_line", TEXT),
        ("valid_until", TIMESTAMP),
        ("reason", TEXT),
        # sales
        ("sale_id", TEXT),
        ("channel", TEXT),
        ("customer_territory", TEXT),
        ("sku", TEXT),
        ("quantity", pa.int64()),
        ("unit_price", MONEY),
        ("amount", MONEY),
        ("currency", TEXT),
        ("registration_id", TEXT),
        ("return_id", TEXT),
        # registrations
        ("estimated_amount", MONEY),
        ("expires_at", TIMESTAMP),
        # support
        ("case_id", TEXT),
        ("severity", TEXT),
        ("resolution", TEXT),
        ("csat", pa.uint8()),
        # allowances and payouts
        ("claim_id", TEXT),
        ("program_id", TEXT),
        ("allowance", TEXT),
        ("evidence_ref", TEXT),
        ("payout_id", TEXT),
        ("period", TEXT),
        # alert lifecycle
        ("alert_id", TEXT),
        ("acknowledged_by", TEXT),
        ("resolved_by", TEXT),
    ),
)
"""Every accepted input event, one wide row each: the payload fields of all event types."""

LEDGER_ENTRIES = TableSpec(
    "ledger_entries_store",
    (
        ("entry_id", TEXT),
        ("kind", TEXT),
        ("partner_id", TEXT),
        ("program_id", TEXT),
        ("program_version", pa.uint32()),
        ("rule_id", TEXT),
        ("bucket", TEXT),
        ("tier", TEXT),
        ("period", TEXT),
        ("occurred_at", TIMESTAMP),
        ("source_event_ids", TEXT_LIST),
        ("memo", TEXT),
        ("posting_count", pa.uint16()),
    ),
)

LEDGER_POSTINGS = TableSpec(
    "ledger_postings_store",
    (
        ("entry_id", TEXT),
        ("posting_index", pa.uint16()),
        ("account", TEXT),
        ("amount", MONEY),
        ("currency", TEXT),
        ("partner_account", pa.bool_()),
        ("partner_id", TEXT),
        ("program_id", TEXT),
        ("bucket", TEXT),
        ("kind", TEXT),
        ("period", TEXT),
        ("occurred_at", TIMESTAMP),
    ),
)

ALERTS = TableSpec(
    "alerts_store",
    (
        ("alert_id", TEXT),
        ("revision", pa.uint32()),
        ("rule_id", TEXT),
        ("severity", TEXT),
        ("status", TEXT),
        ("customer_id", TEXT),
        ("product_line", TEXT),
        ("party_ids", TEXT_LIST),
        ("party_roles", TEXT_LIST),
        ("evidence_event_ids", TEXT_LIST),
        ("occurred_at", TIMESTAMP),
        ("detected_at", TIMESTAMP),
        ("message", TEXT),
        ("recommended_action", TEXT),
    ),
)

DEAD_LETTERS = TableSpec(
    "dead_letters_store",
    (
        ("source_topic", TEXT),
        ("source_partition", pa.int32()),
        ("source_offset", pa.int64()),
        ("reason_code", TEXT),
        ("message", TEXT),
        ("original", pa.binary()),
        ("failed_at", TIMESTAMP),
        ("event_id", TEXT),
        ("event_type", TEXT),
    ),
)

ACCRUALS_FORGONE = TableSpec(
    "accruals_forgone_store",
    (
        ("forgone_id", TEXT),
        ("partner_id", TEXT),
        ("program_id", TEXT),
        ("program_version", pa.uint32()),
        ("rule_id", TEXT),
        ("bucket", TEXT),
        ("period", TEXT),
        ("occurred_at", TIMESTAMP),
        ("amount", MONEY),
        ("currency", TEXT),
        ("product_line", TEXT),
        ("reason", TEXT),
        ("source_event_ids", TEXT_LIST),
    ),
)
"""What sales would have accrued under rules they did not qualify for (certification gate)."""

ALL_TABLES: tuple[TableSpec, ...] = (
    EVENTS,
    LEDGER_ENTRIES,
    LEDGER_POSTINGS,
    ALERTS,
    DEAD_LETTERS,
    ACCRUALS_FORGONE,
)
