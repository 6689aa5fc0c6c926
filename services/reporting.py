"""Fill the HTML report from the warehouse: the queries behind each section, then render.

Everything is read from the projections (so the report shows what analysts can query), and
"now" is the business clock, so a replay of an old year reports that year.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from projections.settings import WarehouseSettings
from projections.warehouse import QueryResult, Warehouse, open_warehouse
from services.report import (
    ConflictCount,
    MonthlyIncentives,
    RegistrationFunnel,
    ReportData,
    ScorecardRow,
    render_report,
)

LEADERBOARD_ROWS = 15

_SCORECARDS = """
SELECT partner_id, partner_name, partner_type, tier, currency, net_revenue, units_sold, return_rate,
       win_rate, csat_avg, resolution_hours_median, conflicts_as_offender, accrued_total, paid,
       outstanding, health_score
FROM partner_scorecard(grain = 'year')
WHERE period = (SELECT toStartOfYear(business_now) FROM business_clock)
ORDER BY net_revenue DESC, partner_id
LIMIT {limit:UInt32}
"""

_MONTHLY = """
SELECT period AS month, sum(accrued_total) AS month_accrued, sum(paid) AS month_paid,
       sum(accrued_total - clawed_back - expired_funds - paid) AS net_owed
FROM partner_scorecard_monthly
GROUP BY month
ORDER BY month
"""

_BY_RULE = """
SELECT rule_id AS label, countIf(status = 'OPEN') AS open, countIf(status = 'ACKNOWLEDGED') AS acknowledged,
       countIf(status = 'RESOLVED') AS resolved
FROM alerts
GROUP BY label
ORDER BY count() DESC, label
"""

_BY_TERRITORY = """
WITH territory AS (
    SELECT customer_id, any(customer_territory) AS name FROM sales GROUP BY customer_id
)
SELECT if(territory.name = '', '(no customer)', territory.name) AS label,
       countIf(status = 'OPEN') AS open, countIf(status = 'ACKNOWLEDGED') AS acknowledged,
       countIf(status = 'RESOLVED') AS resolved
FROM alerts LEFT JOIN territory ON alerts.customer_id = territory.customer_id
GROUP BY label
ORDER BY count() DESC, label
"""

_FUNNEL = """
SELECT count() AS submitted, countIf(approved_at IS NOT NULL) AS approved, countIf(won_at IS NOT NULL) AS won,
       countIf(expired_at IS NOT NULL) AS expired, countIf(rejected_at IS NOT NULL) AS rejected,
       countIf(withdrawn_at IS NOT NULL) AS withdrawn
FROM registrations
"""

_CURRENCY = "SELECT currency FROM ledger_postings GROUP BY currency ORDER BY count() DESC LIMIT 1"
_SPAN = "SELECT min(occurred_at) AS first, max(occurred_at) AS last, count() AS events FROM events"
_DEAD_LETTERS = "SELECT count() FROM dead_letters"


def _money(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _float(value: object) -> float | None:
    return None if value is None else float(str(value))


def _counts(result: QueryResult) -> tuple[ConflictCount, ...]:
    return tuple(
        ConflictCount(
            label=str(r["label"]),
            open=int(str(r["open"])),
            acknowledged=int(str(r["acknowledged"])),
            resolved=int(str(r["resolved"])),
        )
        for r in result.as_dicts()
    )


def report_data(warehouse: Warehouse, *, notes: tuple[tuple[str, str], ...] = ()) -> ReportData:
    """Everything the report shows, queried from an open, migrated warehouse."""
    scorecards = tuple(
        ScorecardRow(
            partner_id=str(r["partner_id"]),
            partner_name=str(r["partner_name"]),
            partner_type=str(r["partner_type"]),
            tier=str(r["tier"]),
            net_revenue=_money(r["net_revenue"]),
            units=int(str(r["units_sold"])),
            return_rate=_float(r["return_rate"]),
            win_rate=_float(r["win_rate"]),
            csat_avg=_float(r["csat_avg"]),
            resolution_hours_p50=_float(r["resolution_hours_median"]),
            conflicts_as_offender=int(str(r["conflicts_as_offender"])),
            accrued=_money(r["accrued_total"]),
            paid=_money(r["paid"]),
            outstanding=_money(r["outstanding"]),
            health_score=_float(r["health_score"]),
        )
        for r in warehouse.query(_SCORECARDS, {"limit": LEADERBOARD_ROWS}).as_dicts()
    )
    owed = Decimal(0)
    monthly = []
    for r in warehouse.query(_MONTHLY).as_dicts():
        owed += _money(r["net_owed"])
        month = r["month"]
        monthly.append(
            MonthlyIncentives(
                month=month if isinstance(month, date) else date.fromisoformat(str(month)),
                accrued=_money(r["month_accrued"]),
                paid=_money(r["month_paid"]),
                outstanding=owed,
            )
        )
    funnel_row = warehouse.query(_FUNNEL).as_dicts()[0]
    span = warehouse.query(_SPAN).as_dicts()[0]
    first, last = span["first"], span["last"]
    period = (
        f"business time {first:%Y-%m-%d} to {last:%Y-%m-%d}"
        if isinstance(first, datetime) and isinstance(last, datetime)
        else "no events"
    )
    currency = next((str(r["currency"]) for r in warehouse.query(_CURRENCY).as_dicts()), "USD")
    return ReportData(
        currency=currency,
        period=period,
        as_of=last if isinstance(last, datetime) else None,
        scorecards=scorecards,
        monthly=tuple(monthly),
        conflicts_by_rule=_counts(warehouse.query(_BY_RULE)),
        conflicts_by_territory=_counts(warehouse.query(_BY_TERRITORY)),
        funnel=RegistrationFunnel(**{k: int(str(v)) for k, v in funnel_row.items()}),
        notes=(
            ("events projected", f"{int(str(span['events'])):,}"),
            ("dead letters", f"{int(str(warehouse.query(_DEAD_LETTERS).scalar())):,}"),
            *notes,
        ),
    )


def write_report(settings: WarehouseSettings, path: Path, *, notes: tuple[tuple[str, str], ...] = ()) -> Path:
    """Query the warehouse and write the self-contained HTML report to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_warehouse(settings, read_only=True) as warehouse:
        data = report_data(warehouse, notes=(*notes, ("warehouse", str(settings))))
    return render_report(data, path)
