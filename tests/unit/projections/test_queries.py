"""Every saved analyst query runs on the generated data and answers what Python computes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from projections.chdb_warehouse import ChdbWarehouse
from projections.rows import Record
from projections.saved_queries import saved_queries, saved_query
from schemas.events import PartnerOnboarded
from schemas.outputs import ConflictAlert
from tests.unit.projections import expected

Q1, Q2 = date(2026, 1, 1), date(2026, 4, 1)


def run(warehouse: ChdbWarehouse, name: str) -> list[dict[str, object]]:
    return warehouse.query_read_only(saved_query(name)).as_dicts()  # type: ignore[return-value]


def test_the_six_queries_are_shipped() -> None:
    assert set(saved_queries()) == {
        "top_partners_by_revenue_this_quarter",
        "outstanding_balances",
        "open_conflicts_by_severity",
        "registration_win_rate_by_partner_type",
        "partners_with_falling_csat",
        "accrual_vs_payout_by_month",
    }


def test_top_partners_by_revenue_this_quarter(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    cards = expected.scorecards(dataset, expected.quarter_of)
    ranking = sorted(
        ((card.revenue - card.returned_amount, partner) for (partner, q), card in cards.items() if q == Q2),
        key=lambda item: (-item[0], item[1]),
    )
    rows = run(projected, "top_partners_by_revenue_this_quarter")
    assert [(row["net_revenue"], row["partner_id"]) for row in rows] == ranking


def test_outstanding_balances(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    owed: dict[str, Decimal] = defaultdict(Decimal)
    for (partner, _), card in expected.scorecards(dataset, expected.quarter_of).items():
        owed[partner] += card.owed_change
    rows = run(projected, "outstanding_balances")
    assert {row["partner_id"]: row["outstanding"] for row in rows} == owed
    assert [row["outstanding"] for row in rows] == sorted(owed.values(), reverse=True)
    for row in rows:
        assert row["outstanding"] == row["accrued"] - row["clawed_back"] - row["expired"] - row["paid"]  # type: ignore[operator]


def test_open_conflicts_by_severity(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    status = expected.alert_status(dataset)
    latest = expected.latest_alerts(dataset)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for alert_id, state in status.items():
        if state != "RESOLVED":
            alert: ConflictAlert = latest[alert_id]
            counts[(alert.severity.value, alert.rule_id.value)] += 1
    rows = run(projected, "open_conflicts_by_severity")
    assert {(row["severity"], row["rule_id"]): row["open_alerts"] for row in rows} == counts
    ranks = ["critical", "high", "medium", "low"]
    assert [ranks.index(str(row["severity"])) for row in rows] == sorted(ranks.index(s) for s, _ in counts)


def test_registration_win_rate_by_partner_type(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    types = {r.partner_id: r.partner_type.value for r in dataset if isinstance(r, PartnerOnboarded)}
    won: dict[str, int] = defaultdict(int)
    closed: dict[str, int] = defaultdict(int)
    for outcome in expected.registration_outcomes(dataset).values():
        kind = types[outcome.partner_id]
        won[kind] += outcome.status == "WON"
        closed[kind] += outcome.status in ("WON", "REJECTED", "WITHDRAWN", "EXPIRED")
    rows = run(projected, "registration_win_rate_by_partner_type")
    assert {row["partner_type"]: (row["won"], row["closed"]) for row in rows} == {
        kind: (won[kind], closed[kind]) for kind in closed
    }
    for row in rows:
        kind = str(row["partner_type"])
        assert row["win_rate"] == pytest.approx(won[kind] / closed[kind], abs=5e-5)


def test_partners_with_falling_csat(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    cards = expected.scorecards(dataset, expected.quarter_of)
    falling = {}
    for (partner, quarter), card in cards.items():
        previous = cards.get((partner, Q1))
        if quarter == Q2 and card.csat and previous is not None and previous.csat:
            assert card.csat_avg is not None and previous.csat_avg is not None
            if card.csat_avg < previous.csat_avg:
                falling[partner] = round(card.csat_avg - previous.csat_avg, 2)
    rows = run(projected, "partners_with_falling_csat")
    assert falling, "the data set must have a partner whose CSAT fell"
    assert {row["partner_id"]: row["change"] for row in rows} == pytest.approx(falling, abs=0.011)


def test_accrual_vs_payout_by_month(projected: ChdbWarehouse, dataset: list[Record]) -> None:
    accrued: dict[date, Decimal] = defaultdict(Decimal)
    paid: dict[date, Decimal] = defaultdict(Decimal)
    owed: dict[date, Decimal] = defaultdict(Decimal)
    for (_, month), card in expected.scorecards(dataset, expected.month_of).items():
        accrued[month] += sum(card.accrued.values(), Decimal(0))
        paid[month] += card.paid
        owed[month] += card.owed_change
    rows = run(projected, "accrual_vs_payout_by_month")
    assert [row["month"] for row in rows] == sorted(accrued)
    running = Decimal(0)
    for row in rows:
        day = row["month"]
        assert isinstance(day, date)
        running += owed[day]
        assert (row["accrued"], row["paid"]) == (accrued[day], paid[day])
        assert row["outstanding_at_month_end"] == running
