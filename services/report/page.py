"""The report page: one self-contained HTML file (inline CSS and SVG, no scripts, no fetches).

It opens from disk in any browser with no network: nothing is loaded from anywhere. The
elements tests and readers look for have stable ids: ``scorecards`` (the leaderboard table),
``chart-accruals-payouts``, ``chart-conflicts-by-rule``, ``chart-conflicts-by-territory`` and
``chart-registration-funnel``; every chart is a ``figure.chart`` holding one ``svg``.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from pathlib import Path

from services.report import charts, fmt
from services.report.data import ReportData, ScorecardRow

CHART_IDS = (
    "chart-accruals-payouts",
    "chart-conflicts-by-rule",
    "chart-conflicts-by-territory",
    "chart-registration-funnel",
)

_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --accrued:#2563eb; --paid:#16a34a;
  --outstanding:#ea580c; --open:#dc2626; --ack:#f59e0b; --resolved:#9ca3af; --main:#4f46e5;
  --won:#059669; --lost:#cbd5e1; }
* { box-sizing: border-box; }
body { margin: 0; background: #f8fafc; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 20px 40px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
  margin-top: 20px; }
section h2 { margin: 0 0 12px; font-size: 17px; }
.kpis { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin-top: 20px; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.kpi .value { font-size: 22px; font-weight: 650; margin-top: 2px; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
.pair section { margin-top: 0; }
figure.chart { margin: 0; }
.chart-svg { display: block; max-width: 100%; height: auto; }
.chart-svg text { font-size: 12px; fill: var(--ink); }
.chart-svg .axis-label, .chart-svg .legend-label { fill: var(--muted); }
.chart-svg .value-label { font-weight: 600; }
.chart-svg .empty { fill: var(--muted); font-size: 15px; }
.chart-svg .grid { stroke: var(--line); stroke-width: 1; }
.chart-svg .axis { stroke: #9ca3af; stroke-width: 1; }
.series-accrued { fill: var(--accrued); }
.series-paid { fill: var(--paid); }
.series-outstanding { fill: var(--outstanding); }
path.series-outstanding { fill: none; stroke: var(--outstanding); stroke-width: 2.5; }
.series-outstanding-dot { fill: var(--outstanding); }
.status-open { fill: var(--open); }
.status-acknowledged { fill: var(--ack); }
.status-resolved { fill: var(--resolved); }
.stage-main { fill: var(--main); }
.stage-won { fill: var(--won); }
.stage-lost { fill: var(--lost); }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 6px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
th.text, td.text { text-align: left; }
td.text { white-space: normal; min-width: 120px; }
td .sub { color: var(--muted); font-size: 12px; }
.bar { position: relative; min-width: 110px; }
.bar span.fill { position: absolute; left: 0; top: 5px; bottom: 5px; background: #dbeafe;
  border-radius: 3px; }
.bar span.num { position: relative; }
.health { display: inline-block; min-width: 38px; padding: 1px 6px; border-radius: 10px; color: #fff;
  text-align: center; font-weight: 600; }
.health.good { background: #059669; } .health.fair { background: #d97706; }
.health.poor { background: #dc2626; } .health.none { background: #9ca3af; }
footer { margin-top: 20px; color: var(--muted); font-size: 12px; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
footer dt { font-weight: 600; }
footer dd { margin: 0; word-break: break-all; }
"""


def render_report(data: ReportData, path: Path) -> Path:
    """Write the report for ``data`` to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data), encoding="utf-8")
    return path


def render_html(data: ReportData) -> str:
    as_of = f" · business time as of {data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else ""
    body = "".join(
        (
            f"<header><h1>{escape(data.title)}</h1><p>{escape(data.period)}{escape(as_of)}</p></header>",
            _kpis(data),
            _section("Partner scorecards", _leaderboard(data.scorecards, data.currency)),
            _section(
                "Accruals vs payouts over time",
                _figure("chart-accruals-payouts", charts.incentives_over_time(data.monthly, data.currency)),
            ),
            '<div class="pair">',
            _section(
                "Conflicts by rule",
                _figure(
                    "chart-conflicts-by-rule",
                    charts.conflicts(data.conflicts_by_rule, title="Conflicts by rule", humanize=True),
                ),
            ),
            _section(
                "Conflicts by territory",
                _figure(
                    "chart-conflicts-by-territory",
                    charts.conflicts(
                        data.conflicts_by_territory, title="Conflicts by territory", humanize=False
                    ),
                ),
            ),
            "</div>",
            _section(
                "Registration funnel",
                _figure("chart-registration-funnel", charts.registration_funnel(data.funnel)),
            ),
            _footer(data),
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(data.title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _section(title: str, content: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{content}</section>"


def _figure(chart_id: str, svg: str) -> str:
    return f'<figure class="chart" id="{chart_id}">{svg}</figure>'


def _kpis(data: ReportData) -> str:
    currency = data.currency
    revenue = sum((r.net_revenue for r in data.scorecards), Decimal(0))
    accrued = sum((m.accrued for m in data.monthly), Decimal(0))
    paid = sum((m.paid for m in data.monthly), Decimal(0))
    outstanding = data.monthly[-1].outstanding if data.monthly else Decimal(0)
    open_alerts = sum(c.open + c.acknowledged for c in data.conflicts_by_rule)
    funnel = data.funnel
    closed = funnel.won + funnel.expired + funnel.rejected + funnel.withdrawn
    cards = (
        ("Partner revenue", fmt.money(revenue, currency)),
        ("Accrued", fmt.money(accrued, currency)),
        ("Paid", fmt.money(paid, currency)),
        ("Outstanding", fmt.money(outstanding, currency)),
        ("Open conflicts", fmt.count(open_alerts)),
        ("Deal win rate", fmt.percent(funnel.won / closed if closed else None)),
    )
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div></div>'
            for label, value in cards
        )
        + "</div>"
    )


def _health(score: float | None) -> str:
    if score is None:
        return '<span class="health none">–</span>'
    grade = "good" if score >= 70 else "fair" if score >= 50 else "poor"
    return f'<span class="health {grade}">{score:.0f}</span>'


def _leaderboard(rows: tuple[ScorecardRow, ...], currency: str) -> str:
    if not rows:
        return (
            '<table id="scorecards"><tbody>'
            '<tr><td class="text">No partner activity yet.</td></tr></tbody></table>'
        )
    top = max((float(r.net_revenue) for r in rows), default=0.0) or 1.0
    head = (
        '<tr><th>#</th><th class="text">Partner</th><th class="text">Type, tier</th>'
        '<th class="text">Net revenue</th><th>Units</th><th>Returns</th><th>Win rate</th><th>CSAT</th>'
        "<th>Resolve h</th><th>Conflicts</th><th>Accrued</th><th>Paid</th><th>Outstanding</th>"
        "<th>Health</th></tr>"
    )
    body = []
    for rank, row in enumerate(rows, start=1):
        share = max(0.0, float(row.net_revenue)) / top * 100
        body.append(
            "<tr>"
            f"<td>{rank}</td>"
            f'<td class="text">{escape(row.partner_name)}<div class="sub">{escape(row.partner_id)}</div></td>'
            f'<td class="text">{escape(_words(row.partner_type))}'
            f'<div class="sub">{escape(_words(row.tier))}</div></td>'
            f'<td class="text bar"><span class="fill" style="width:{share:.1f}%"></span>'
            f'<span class="num" title="{escape(fmt.money(row.net_revenue, currency, compact=False))}">'
            f"{escape(fmt.money(row.net_revenue, currency))}</span></td>"
            f"<td>{fmt.count(row.units)}</td>"
            f"<td>{fmt.percent(row.return_rate)}</td>"
            f"<td>{fmt.percent(row.win_rate)}</td>"
            f"<td>{fmt.decimal1(row.csat_avg)}</td>"
            f"<td>{fmt.decimal1(row.resolution_hours_p50)}</td>"
            f"<td>{fmt.count(row.conflicts_as_offender)}</td>"
            f"<td>{escape(fmt.money(row.accrued, currency))}</td>"
            f"<td>{escape(fmt.money(row.paid, currency))}</td>"
            f"<td>{escape(fmt.money(row.outstanding, currency))}</td>"
            f"<td>{_health(row.health_score)}</td>"
            "</tr>"
        )
    return (
        f'<div class="table-wrap"><table id="scorecards"><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _words(code: str) -> str:
    """``SYSTEM_INTEGRATOR`` -> ``System Integrator``; acronyms such as ``VAR`` stay as they are."""
    return " ".join(w if len(w) <= 3 else w.capitalize() for w in code.split("_"))


def _footer(data: ReportData) -> str:
    lines = "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>" for label, value in data.notes)
    notes = f"<dl>{lines}</dl>" if lines else ""
    return (
        f"<footer>{notes}<p>Generated by Channel Ledger from the warehouse; figures in "
        f"{escape(data.currency)}. This file is self-contained: it loads nothing from the network."
        "</p></footer>"
    )
