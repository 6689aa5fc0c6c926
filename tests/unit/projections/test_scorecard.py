"""The scorecard on a known data set equals the figures computed from the records in Python."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from projections.chdb_warehouse import ChdbWarehouse
from projections.rows import Record
from projections.warehouse import SqlValue
from tests.unit.projections import expected
from tests.unit.projections.expected import Card

GRAINS: dict[str, Callable[[datetime], date]] = {"month": expected.month_of, "quarter": expected.quarter_of}

EXACT_FIELDS = (
    "sales",
    "units_sold",
    "returns",
    "units_returned",
    "registrations_submitted",
    "registrations_approved",
    "registrations_won",
    "registrations_rejected",
    "registrations_expired",
    "registrations_withdrawn",
    "registrations_closed",
    "cases_opened",
    "cases_resolved",
    "conflicts_as_offender",
    "conflicts_as_protected",
)
MONEY_FIELDS = (
    "revenue",
    "returned_amount",
    "clawed_back",
    "expired_funds",
    "paid",
    "outstanding",
    "accrual_forgone",
)
RATIO_FIELDS = (
    "return_rate",
    "win_rate",
    "replacement_rate",
    "csat_avg",
    "resolution_hours_median",
    "resolution_hours_p90",
)


def _scorecard(warehouse: ChdbWarehouse, grain: str) -> dict[tuple[str, date], dict[str, SqlValue]]:
    sql = "SELECT * FROM partner_scorecard(grain = {grain:String}) ORDER BY partner_id, period"
    rows = warehouse.query(sql, {"grain": grain}).as_dicts()
    return {(str(row["partner_id"]), row["period"]): row for row in rows}  # type: ignore[misc]


def _approx(value: float | None) -> object:
    return None if value is None else pytest.approx(value, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_scorecard_matches_figures_computed_from_the_records(
    projected: ChdbWarehouse, dataset: list[Record], grain: str
) -> None:
    cards = expected.scorecards(dataset, GRAINS[grain])
    actual = _scorecard(projected, grain)
    assert set(actual) == set(cards)
    for key, card in cards.items():
        row = actual[key]
        for name in EXACT_FIELDS:
            assert row[name] == getattr(card, name), (key, name)
        for name in MONEY_FIELDS:
            assert row[name] == getattr(card, name), (key, name)
        assert row["net_revenue"] == card.revenue - card.returned_amount
        for name in RATIO_FIELDS:
            assert row[name] == _approx(getattr(card, name)), (key, name)
        days = card.days_to_close
        assert row["days_to_close_avg"] == _approx(sum(days) / len(days) if days else None), key
        for bucket in ("rebate", "mdf", "growth", "spiff"):
            assert row[f"accrued_{bucket}"] == card.accrued.get(bucket, Decimal(0)), (key, bucket)
        assert row["accrued_total"] == sum(card.accrued.values(), Decimal(0)), key
        assert row["health_score"] == pytest.approx(card.health_score(), abs=0.05 + 1e-9), key


def test_scorecard_tier_and_certifications_are_as_of_the_period_end(
    projected: ChdbWarehouse, dataset: list[Record]
) -> None:
    for (partner_id, period), row in _scorecard(projected, "month").items():
        end = row["period_end"]
        assert isinstance(end, datetime)
        assert end == datetime.combine(period, time(), tzinfo=UTC).replace(
            month=period.month % 12 + 1, year=period.year + period.month // 12
        )
        assert row["tier"] == expected.tier_at(dataset, partner_id, end), (partner_id, period)
        lines = expected.certified_lines_at(dataset, partner_id, end)
        assert row["certified_product_lines"] == lines, (partner_id, period)
        assert row["certifications"] == len(lines)


def test_the_data_set_exercises_every_metric(projected: ChdbWarehouse) -> None:
    """Guards the comparison above against passing on zeros."""
    totals = projected.query(
        "SELECT sum(registrations_won), sum(registrations_expired), sum(registrations_withdrawn), "
        "sum(registrations_rejected), sum(returns), sum(conflicts_as_offender), sum(conflicts_as_protected), "
        "sum(accrual_forgone) > 0, sum(expired_funds) > 0, sum(paid) > 0, countIf(tier = 'GOLD'), "
        "countIf(certifications > 1), min(health_score) < max(health_score) "
        "FROM partner_scorecard_monthly"
    ).rows[0]
    assert all(value for value in totals), totals


def test_daily_rolls_up_to_the_monthly_totals(projected: ChdbWarehouse) -> None:
    compare = """
        SELECT partner_id, toStartOfMonth(period) AS month, sum(revenue), sum(units_sold), sum(cases_opened),
               sum(accrued_total), sum(paid)
        FROM partner_scorecard_daily GROUP BY partner_id, month ORDER BY partner_id, month
    """
    monthly = """
        SELECT partner_id, period, revenue, units_sold, cases_opened, accrued_total, paid
        FROM partner_scorecard_monthly ORDER BY partner_id, period
    """
    assert projected.query(compare).rows == projected.query(monthly).rows


def test_an_unknown_grain_is_refused_with_the_allowed_values(projected: ChdbWarehouse) -> None:
    with pytest.raises(Exception, match="grain must be day, month, quarter or year"):
        projected.query("SELECT * FROM partner_scorecard(grain = 'week')")


def test_card_helper_formula_bounds() -> None:
    perfect = Card(units_sold=10, registrations_won=2, cases_resolved=1, csat=[5], resolution_hours=[1.0])
    assert perfect.health_score() == pytest.approx(100)
    awful = Card(
        units_sold=1,
        units_returned=1,
        registrations_expired=1,
        cases_resolved=1,
        cases_replaced=1,
        csat=[1],
        resolution_hours=[500.0],
        conflicts_as_offender=3,
    )
    assert awful.health_score() == pytest.approx(100 * 15 * 0.25 / 100)
