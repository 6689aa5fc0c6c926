"""Pure mapping from records (input events and the core's outputs) to table rows.

A record becomes one or more ``(shape, row)`` pairs: the shape names the table and the
columns the row fills, the row is a plain tuple in that order. Rows are built with one
``attrgetter`` call per record and turned into Arrow columns per batch by the writer, which
keeps the per-record cost to a few hundred nanoseconds. Nothing here touches the warehouse,
the clock or randomness: the same record always gives the same rows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import cast

from projections.tables import (
    ACCRUALS_FORGONE,
    ALERTS,
    DEAD_LETTERS,
    EVENTS,
    LEDGER_ENTRIES,
    LEDGER_POSTINGS,
    TableSpec,
)
from schemas.events import EVENT_TYPES, Event, InputEvent
from schemas.outputs import AccrualForgone, ConflictAlert, DeadLetter, LedgerEntry

Record = InputEvent | LedgerEntry | ConflictAlert | AccrualForgone | DeadLetter
"""What the projector accepts."""

Row = tuple[object, ...]


@dataclass(frozen=True, slots=True, eq=False)
class RowShape:
    """A kind of row: its table, the columns it fills, and columns constant for every such row.

    Shapes are compared by identity; there is one per record type and table.
    """

    table: TableSpec
    columns: tuple[str, ...]
    constants: tuple[tuple[str, object], ...] = ()
    approx_row_bytes: int = 128
    """Used for the writer's byte limit; an estimate, cheap to apply per row."""
    sized_column: int | None = None
    """Index of a bytes value whose length is added to the estimate (a dead letter's original)."""

    def __post_init__(self) -> None:
        known = set(self.table.column_names)
        named = [*self.columns, *(name for name, _ in self.constants)]
        unknown = [name for name in named if name not in known]
        if unknown:
            raise ValueError(f"{self.table.name} has no columns {unknown}")
        if len(set(named)) != len(named):
            raise ValueError(f"a column is named twice in a {self.table.name} shape: {named}")

    def as_dict(self, row: Row) -> dict[str, object]:
        """The row with its column names, constants included (for tests and debugging)."""
        return {**dict(zip(self.columns, row, strict=True)), **dict(self.constants)}


Mapped = tuple[tuple[RowShape, Row], ...]

_ENVELOPE = ("event_id", "occurred_at", "source", "schema_version")


def _event_shape(event_type: type[Event]) -> RowShape:
    payload = tuple(f.name for f in dataclasses.fields(event_type) if f.name not in _ENVELOPE)
    return RowShape(
        EVENTS,
        (*_ENVELOPE, *payload),
        constants=(("event_type", event_type.__name__),),
        approx_row_bytes=96 + 24 * len(payload),
    )


EVENT_SHAPES: dict[type[Event], RowShape] = {t: _event_shape(t) for t in EVENT_TYPES.values()}
"""One shape per input event type: the envelope, then the type's own payload fields."""


def _event_mapper(shape: RowShape) -> Callable[[InputEvent], Mapped]:
    getter = attrgetter(*shape.columns)

    def map_event(event: InputEvent) -> Mapped:
        return ((shape, getter(event)),)

    return map_event


_EVENT_MAPPERS: dict[type, Callable[[InputEvent], Mapped]] = {
    event_type: _event_mapper(shape) for event_type, shape in EVENT_SHAPES.items()
}


_ACCOUNT_SEPARATORS = re.compile(r"[:/|.]")


@lru_cache(maxsize=65536)
def is_partner_account(account: str, partner_id: str) -> bool:
    """Whether ``account`` belongs to the partner: the partner id is one of its segments.

    Accounts are named per partner, program and bucket (e.g. ``partner:P-17:prog:rebate``),
    vendor accounts (expense, cash) name no partner. Segments split on ``: / | .``.
    """
    return bool(partner_id) and partner_id in _ACCOUNT_SEPARATORS.split(account)


_ENTRY_SHAPE = RowShape(
    LEDGER_ENTRIES,
    (
        "entry_id",
        "kind",
        "partner_id",
        "program_id",
        "program_version",
        "rule_id",
        "bucket",
        "tier",
        "period",
        "occurred_at",
        "source_event_ids",
        "memo",
        "posting_count",
    ),
    approx_row_bytes=256,
)
_POSTING_SHAPE = RowShape(
    LEDGER_POSTINGS,
    (
        "entry_id",
        "posting_index",
        "account",
        "amount",
        "currency",
        "partner_account",
        "partner_id",
        "program_id",
        "bucket",
        "kind",
        "period",
        "occurred_at",
    ),
    approx_row_bytes=160,
)


def map_ledger_entry(entry: LedgerEntry) -> Mapped:
    partner_id = entry.partner_id
    rows: list[tuple[RowShape, Row]] = [
        (
            _ENTRY_SHAPE,
            (
                entry.entry_id,
                entry.kind,
                entry.partner_id,
                entry.program_id,
                entry.program_version,
                entry.rule_id,
                entry.bucket,
                entry.tier,
                entry.period,
                entry.occurred_at,
                entry.source_event_ids,
                entry.memo,
                len(entry.postings),
            ),
        )
    ]
    for index, posting in enumerate(entry.postings):
        rows.append(
            (
                _POSTING_SHAPE,
                (
                    entry.entry_id,
                    index,
                    posting.account,
                    posting.amount,
                    posting.currency,
                    is_partner_account(posting.account, partner_id),
                    entry.partner_id,
                    entry.program_id,
                    entry.bucket,
                    entry.kind,
                    entry.period,
                    entry.occurred_at,
                ),
            )
        )
    return tuple(rows)


_ALERT_SHAPE = RowShape(
    ALERTS,
    (
        "alert_id",
        "revision",
        "rule_id",
        "severity",
        "status",
        "customer_id",
        "product_line",
        "party_ids",
        "party_roles",
        "evidence_event_ids",
        "occurred_at",
        "detected_at",
        "message",
        "recommended_action",
    ),
    approx_row_bytes=512,
)


def map_alert(alert: ConflictAlert) -> Mapped:
    return (
        (
            _ALERT_SHAPE,
            (
                alert.alert_id,
                alert.revision,
                alert.rule_id,
                alert.severity,
                alert.status,
                alert.customer_id,
                alert.product_line,
                [party.partner_id for party in alert.parties],
                [party.role.value for party in alert.parties],
                alert.evidence_event_ids,
                alert.occurred_at,
                alert.detected_at,
                alert.message,
                alert.recommended_action,
            ),
        ),
    )


_DEAD_LETTER_SHAPE = RowShape(
    DEAD_LETTERS,
    (
        "source_topic",
        "source_partition",
        "source_offset",
        "reason_code",
        "message",
        "original",
        "failed_at",
        "event_id",
        "event_type",
    ),
    approx_row_bytes=256,
    sized_column=5,
)


def map_dead_letter(letter: DeadLetter) -> Mapped:
    return (
        (
            _DEAD_LETTER_SHAPE,
            (
                letter.source_topic,
                letter.source_partition,
                letter.source_offset,
                letter.reason_code,
                letter.message,
                letter.original,
                letter.failed_at,
                letter.event_id,
                letter.event_type,
            ),
        ),
    )


_FORGONE_SHAPE = RowShape(ACCRUALS_FORGONE, ACCRUALS_FORGONE.column_names, approx_row_bytes=200)
_forgone_row = attrgetter(*ACCRUALS_FORGONE.column_names)


def map_accrual_forgone(forgone: AccrualForgone) -> Mapped:
    return ((_FORGONE_SHAPE, _forgone_row(forgone)),)


def rows_for(record: Record) -> Mapped:
    """The rows ``record`` projects to; a type the projections do not know is an error."""
    map_event = _EVENT_MAPPERS.get(type(record))
    if map_event is not None:
        return map_event(cast(InputEvent, record))
    if isinstance(record, LedgerEntry):
        return map_ledger_entry(record)
    if isinstance(record, ConflictAlert):
        return map_alert(record)
    if isinstance(record, AccrualForgone):
        return map_accrual_forgone(record)
    if isinstance(record, DeadLetter):
        return map_dead_letter(record)
    raise TypeError(
        f"the projector has no mapping for {type(record).__name__}; "
        "core refusals (Rejected) must reach it as DeadLetter with their source position"
    )


def row_size(shape: RowShape, row: Row) -> int:
    """Estimated bytes of one row: the shape's estimate, plus a sized value (a dead letter's original)."""
    extra = row[shape.sized_column] if shape.sized_column is not None else b""
    return shape.approx_row_bytes + (len(extra) if isinstance(extra, bytes | str) else 0)


def shapes() -> tuple[RowShape, ...]:
    """Every row shape, for tests that check them against the tables."""
    return (
        *EVENT_SHAPES.values(),
        _ENTRY_SHAPE,
        _POSTING_SHAPE,
        _ALERT_SHAPE,
        _FORGONE_SHAPE,
        _DEAD_LETTER_SHAPE,
    )
