"""Money is Decimal with the currency's places, amounts add up; times are aware UTC millis."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

from schemas.events import SaleChannel, SaleRecorded, SaleReturned
from services.datagen import GeneratedRecord, ValidRecord


def _valid(records: list[GeneratedRecord]) -> list[ValidRecord]:
    return [r for r in records if isinstance(r, ValidRecord)]


def test_every_amount_is_a_decimal_in_cents_and_never_a_float(small_records: list[GeneratedRecord]) -> None:
    checked = 0
    for record in _valid(small_records):
        for field in dataclasses.fields(record.event):
            value = getattr(record.event, field.name)
            assert not isinstance(value, float), (field.name, record.event)
            if isinstance(value, Decimal):
                exponent = value.as_tuple().exponent
                assert isinstance(exponent, int) and exponent >= -2, (field.name, value)
                checked += 1
    assert checked > 10_000


def test_valid_sales_amount_is_quantity_times_unit_price(small_records: list[GeneratedRecord]) -> None:
    sales = [r.event for r in _valid(small_records) if isinstance(r.event, SaleRecorded)]
    assert len(sales) > 8000
    for sale in sales:
        assert sale.quantity > 0
        assert sale.unit_price > 0
        assert sale.amount == sale.quantity * sale.unit_price
        assert (sale.partner_id is None) == (sale.channel is SaleChannel.DIRECT)
    assert any(s.channel is SaleChannel.DIRECT for s in sales)


def test_returns_take_back_part_or_all_of_an_earlier_sale(small_records: list[GeneratedRecord]) -> None:
    sales: dict[str, SaleRecorded] = {}
    returns = 0
    for record in _valid(small_records):
        event = record.event
        if isinstance(event, SaleRecorded):
            sales[event.sale_id] = event
        elif isinstance(event, SaleReturned):
            sale = sales[event.sale_id]
            assert event.occurred_at > sale.occurred_at
            assert 0 < event.quantity <= sale.quantity
            assert event.amount == event.quantity * sale.unit_price
            assert (event.partner_id, event.customer_id, event.currency) == (
                sale.partner_id,
                sale.customer_id,
                sale.currency,
            )
            returns += 1
    assert returns > 200


def test_times_are_aware_utc_at_millisecond_precision(small_records: list[GeneratedRecord]) -> None:
    for record in _valid(small_records):
        for field in dataclasses.fields(record.event):
            value = getattr(record.event, field.name)
            if isinstance(value, datetime):
                assert value.tzinfo is UTC, (field.name, record.event)
                assert value.microsecond % 1000 == 0, (field.name, value)
