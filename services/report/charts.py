"""The report's charts as inline SVG: incentives over time, conflicts, the registration funnel.

Each function returns SVG markup; with no data it draws the frame and says so instead of
drawing marks. Money is converted to float only to place marks, never to compute figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.report import fmt
from services.report.data import ConflictCount, MonthlyIncentives, RegistrationFunnel
from services.report.svg import Scale, Svg, nice_ticks

WIDE = 1100
HALF = 540


def _legend(svg: Svg, x: float, y: float, items: Sequence[tuple[str, str]]) -> None:
    for label, cls in items:
        svg.rect(x, y - 10, 12, 12, f"legend {cls}")
        svg.text(x + 18, y, label, "legend-label")
        x += 26 + 7.5 * len(label)


def _empty(svg: Svg, message: str) -> str:
    svg.text(svg.width / 2, svg.height / 2, message, "empty", anchor="middle")
    return svg.render()


def incentives_over_time(rows: Sequence[MonthlyIncentives], currency: str) -> str:
    """Accrued and paid per month as bars, outstanding at month end as a line."""
    height, left, right, top, bottom = 340, 78, 20, 40, 44
    svg = Svg(
        WIDE,
        height,
        title="Accruals vs payouts by month",
        description="Bars: accrued and paid; line: outstanding.",
    )
    if not rows:
        return _empty(svg, "No ledger activity yet")
    values = [float(v) for r in rows for v in (r.accrued, r.paid, r.outstanding)]
    ticks = nice_ticks(min(values), max(values))
    y = Scale((ticks[0], ticks[-1]), (height - bottom, top))
    band = (WIDE - left - right) / len(rows)
    for tick in ticks:
        svg.line(left, y(tick), WIDE - right, y(tick), "grid")
        svg.text(left - 8, y(tick) + 4, fmt.money(tick, currency), "axis-label", anchor="end")
    bar = min(28.0, band * 0.32)
    points: list[tuple[float, float]] = []
    for i, row in enumerate(rows):
        centre = left + band * (i + 0.5)
        label = fmt.month(row.month, with_year=i == 0 or row.month.month == 1)
        for value, offset, series in ((row.accrued, -bar - 1, "accrued"), (row.paid, 1.0, "paid")):
            if value:
                tip = f"{label}: {series} {fmt.money(value, currency, compact=False)}"
                svg.rect(centre + offset, y(0), bar, y(float(value)) - y(0), f"mark series-{series}", tip)
        svg.text(centre, height - bottom + 18, label, "axis-label", anchor="middle")
        points.append((centre, y(float(row.outstanding))))
    svg.polyline(points, "mark series-outstanding", "Outstanding at month end")
    for (cx, cy), row in zip(points, rows, strict=True):
        owed = fmt.money(row.outstanding, currency, compact=False)
        tip = f"{fmt.month(row.month, with_year=True)}: outstanding {owed}"
        svg.circle(cx, cy, 3.5, "mark series-outstanding-dot", tip)
    svg.line(left, y(0), WIDE - right, y(0), "axis")
    _legend(
        svg,
        left,
        20,
        (("Accrued", "series-accrued"), ("Paid", "series-paid"), ("Outstanding", "series-outstanding")),
    )
    return svg.render()


def conflicts(rows: Sequence[ConflictCount], *, title: str, humanize: bool) -> str:
    """Alerts per rule (or territory) as horizontal bars stacked by status."""
    shown = sorted(rows, key=lambda r: (-r.total, r.label))
    left, right, top, row_height = 170, 46, 40, 30
    height = max(140, top + row_height * len(shown) + 34)
    svg = Svg(HALF, height, title=title, description="Bars: open, acknowledged and resolved alerts.")
    if not shown or all(r.total == 0 for r in shown):
        return _empty(svg, "No conflicts detected")
    ticks = nice_ticks(0, max(r.total for r in shown), count=4)
    x = Scale((0, ticks[-1]), (left, HALF - right))
    bottom = top + row_height * len(shown)
    for tick in ticks:
        svg.line(x(tick), top - 4, x(tick), bottom, "grid")
        svg.text(x(tick), bottom + 16, fmt.count(tick), "axis-label", anchor="middle")
    for i, row in enumerate(shown):
        y0 = top + i * row_height + 5
        name = row.label.replace("_", " ").capitalize() if humanize else row.label
        svg.text(left - 8, y0 + 14, name, "axis-label", anchor="end")
        start = 0
        for value, status in (
            (row.open, "open"),
            (row.acknowledged, "acknowledged"),
            (row.resolved, "resolved"),
        ):
            if value:
                svg.rect(
                    x(start),
                    y0,
                    x(start + value) - x(start),
                    row_height - 10,
                    f"mark status-{status}",
                    f"{name}: {value} {status}",
                )
                start += value
        svg.text(x(start) + 6, y0 + 14, fmt.count(row.total), "value-label")
    _legend(
        svg,
        left,
        20,
        (("Open", "status-open"), ("Acknowledged", "status-acknowledged"), ("Resolved", "status-resolved")),
    )
    return svg.render()


def registration_funnel(funnel: RegistrationFunnel) -> str:
    """Submitted -> approved -> won, then how the others ended, as shares of submitted."""
    stages = (
        ("Submitted", funnel.submitted, "stage-main"),
        ("Approved", funnel.approved, "stage-main"),
        ("Won", funnel.won, "stage-won"),
        ("Expired", funnel.expired, "stage-lost"),
        ("Rejected", funnel.rejected, "stage-lost"),
        ("Withdrawn", funnel.withdrawn, "stage-lost"),
    )
    left, right, top, row_height = 120, 150, 16, 40
    height = top + row_height * len(stages) + 10
    svg = Svg(WIDE, height, title="Registration funnel", description="Registrations by how far they got.")
    if funnel.submitted <= 0:
        return _empty(svg, "No deal registrations yet")
    x = Scale((0, max(v for _, v, _ in stages)), (0, WIDE - left - right))
    for i, (label, value, cls) in enumerate(stages):
        y0 = top + i * row_height
        width = x(value)
        # The funnel proper is centred; the ways out of it line up on the left.
        offset = left if cls == "stage-lost" else left + (WIDE - left - right - width) / 2
        svg.text(left - 12, y0 + 20, label, "axis-label", anchor="end")
        if value:
            svg.rect(offset, y0 + 4, width, row_height - 10, f"mark {cls}", f"{label}: {value}")
        share = fmt.percent(value / funnel.submitted)
        svg.text(WIDE - right + 12, y0 + 20, f"{fmt.count(value)}  ({share})", "value-label")
    return svg.render()
