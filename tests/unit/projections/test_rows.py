"""The pure mapping from records to rows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from projections.rows import EVENT_SHAPES, is_partner_account, rows_for, shapes
from projections.tables import ALL_TABLES
from schemas.events import EVENT_TYPES
from schemas.outputs import AlertRule, AlertStatus, ConflictAlert, LedgerEntry, Rejected
from tests.unit.projections.dataset import generate

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def test_every_field_of_every_event_type_has_a_column() -> None:
    for name, event_type in EVENT_TYPES.items():
        shape = EVENT_SHAPES[event_type]
        fields = {f.name for f in dataclasses.fields(event_type)}
        assert fields <= set(shape.columns), name
        assert dict(shape.constants) == {"event_type": name}


def test_every_shape_names_only_columns_of_its_table() -> None:
    tables = {spec.name: spec for spec in ALL_TABLES}
    for shape in shapes():
        assert shape.table is tables[shape.table.name]
        assert set(shape.columns) <= set(shape.table.column_names)


def test_mapping_is_deterministic_and_keeps_the_record_content() -> None:
    records = generate(seed=11, partners=3, sales_per_partner=5)
    first = [rows_for(r) for r in records]
    again = [rows_for(r) for r in generate(seed=11, partners=3, sales_per_partner=5)]
    assert first == again
    for record, mapped in zip(records, first, strict=True):
        shape, row = mapped[0]
        as_dict = shape.as_dict(row)
        for column, value in as_dict.items():
            if hasattr(record, column) and column not in ("parties",):
                assert value == getattr(record, column), (type(record).__name__, column)


def test_a_ledger_entry_is_one_entry_row_and_one_row_per_posting_with_the_partner_side_marked() -> None:
    entry = next(r for r in generate(partners=1, sales_per_partner=1) if isinstance(r, LedgerEntry))
    mapped = rows_for(entry)
    assert [shape.table.name for shape, _ in mapped] == [
        "ledger_entries_store",
        "ledger_postings_store",
        "ledger_postings_store",
    ]
    postings = [shape.as_dict(row) for shape, row in mapped[1:]]
    assert [p["posting_index"] for p in postings] == [0, 1]
    assert sum(p["amount"] for p in postings) == Decimal(0)  # type: ignore[misc]
    assert [p["partner_account"] for p in postings] == [False, True]


@pytest.mark.parametrize(
    ("account", "partner_id", "owned"),
    [
        ("partner:P1:prog:rebate", "P1", True),
        ("partner:P1:prog:payable", "P1", True),
        ("partner:P10:prog:rebate", "P1", False),
        ("vendor:expense:prog:rebate", "P1", False),
        ("vendor:cash", "P1", False),
        ("partner:P1:prog:rebate", "", False),
    ],
)
def test_partner_accounts_are_those_naming_the_partner_as_a_segment(
    account: str, partner_id: str, owned: bool
) -> None:
    assert is_partner_account(account, partner_id) is owned


def test_alert_parties_become_parallel_arrays() -> None:
    alert = next(
        r for r in generate() if isinstance(r, ConflictAlert) and r.rule_id is AlertRule.VENDOR_BYPASS
    )
    shape, row = rows_for(alert)[0]
    as_dict = shape.as_dict(row)
    assert as_dict["party_ids"] == [p.partner_id for p in alert.parties]
    assert as_dict["party_roles"] == ["PROTECTED", "VENDOR"]
    assert as_dict["status"] == AlertStatus.OPEN


def test_an_unknown_record_type_is_refused_with_what_to_do_instead() -> None:
    refusal = Rejected(event_id="e", event_type="SaleRecorded", reason_code="UNKNOWN_PARTNER", message="?")
    with pytest.raises(TypeError, match="must reach it as DeadLetter"):
        rows_for(refusal)  # type: ignore[arg-type]
