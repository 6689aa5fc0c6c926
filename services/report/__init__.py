"""The HTML report: partner scorecards, incentives over time, conflicts, registration funnel.

``render_report(data, path)`` writes one self-contained HTML file (inline CSS and hand-drawn
inline SVG; no scripts, nothing fetched) from a ``ReportData`` of plain rows.
"""

from services.report.data import (
    ConflictCount,
    MonthlyIncentives,
    RegistrationFunnel,
    ReportData,
    ScorecardRow,
)
from services.report.page import CHART_IDS, render_html, render_report

__all__ = [
    "CHART_IDS",
    "ConflictCount",
    "MonthlyIncentives",
    "RegistrationFunnel",
    "ReportData",
    "ScorecardRow",
    "render_html",
    "render_report",
]
