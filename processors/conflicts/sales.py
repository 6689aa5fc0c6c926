"""What a customer state remembers of past sales: one cell per seller per UTC day.

Keeping every sale would make a busy customer's state grow with its sales volume. A cell
keeps the day's first and last sale of one seller on one product line, which is all the
rules need: whether the seller sold on a day (contention counts days), and whether it sold
inside a protection interval at least a day long (such an interval that holds any sale of
a day holds that day's first or last one, as both lie less than a day apart; see
docs/conflicts.md for the shorter case).
Cells are sorted by day, so the usual in-order sale touches only the last one.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from typing import NamedTuple

DIRECT_SELLER = ""
"""Seller key of the vendor's DIRECT sales (partner ids are never empty)."""


class SaleCell(NamedTuple):
    day: int
    first_at: datetime
    first_event: str
    last_at: datetime
    last_event: str


SellerCells = tuple[SaleCell, ...]


def record_sale(cells: SellerCells, day: int, at: datetime, event_id: str) -> SellerCells:
    """Cells with one more sale; order-independent and idempotent (min/max by time, then id)."""
    if not cells or cells[-1].day < day:
        return (*cells, SaleCell(day, at, event_id, at, event_id))
    index = len(cells) - 1 if cells[-1].day == day else bisect_left(cells, day, key=_day)
    if index < len(cells) and cells[index].day == day:
        merged = _merge(cells[index], at, event_id)
        if merged is cells[index]:
            return cells
        return (*cells[:index], merged, *cells[index + 1 :])
    return (*cells[:index], SaleCell(day, at, event_id, at, event_id), *cells[index:])


def drop_before(cells: SellerCells, first_kept_day: int) -> SellerCells:
    if not cells or cells[0].day >= first_kept_day:
        return cells
    return cells[bisect_left(cells, first_kept_day, key=_day) :]


def sales_between(cells: SellerCells, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """The remembered sales (first and last of each day) with ``start <= at < end``."""
    found: list[tuple[datetime, str]] = []
    for cell in cells:
        if cell.last_at < start:
            continue
        if cell.first_at >= end:
            break
        if start <= cell.first_at < end:
            found.append((cell.first_at, cell.first_event))
        if cell.last_event != cell.first_event and start <= cell.last_at < end:
            found.append((cell.last_at, cell.last_event))
    return found


def days_between(cells: SellerCells, low_day: int, high_day: int) -> list[SaleCell]:
    """Cells whose day is in ``[low_day, high_day]``."""
    start = bisect_left(cells, low_day, key=_day)
    stop = bisect_left(cells, high_day + 1, key=_day)
    return list(cells[start:stop])


def _merge(cell: SaleCell, at: datetime, event_id: str) -> SaleCell:
    first = (at, event_id) < (cell.first_at, cell.first_event)
    last = (at, event_id) > (cell.last_at, cell.last_event)
    if not first and not last:
        return cell
    return SaleCell(
        cell.day,
        at if first else cell.first_at,
        event_id if first else cell.first_event,
        at if last else cell.last_at,
        event_id if last else cell.last_event,
    )


def _day(cell: SaleCell) -> int:
    return cell.day
