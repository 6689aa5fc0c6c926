"""The HTML report renders in a real browser: headless Chromium takes a screenshot in which
every chart's colours are drawn, and its DOM holds non-empty marks in every chart.

Needs the ``chromium`` binary (Debian package ``chromium``; ``CL_CHROMIUM`` names another).
Without it the test is skipped with the reason, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from services.report import (
    CHART_IDS,
    ConflictCount,
    MonthlyIncentives,
    RegistrationFunnel,
    ReportData,
    ScorecardRow,
    render_report,
)

pytestmark = pytest.mark.integration

WINDOW = (1280, 2000)
BROWSER_TIMEOUT_S = 120
SERIES_COLOURS = {
    "accrued bars": (0x25, 0x63, 0xEB),
    "paid bars": (0x16, 0xA3, 0x4A),
    "outstanding line": (0xEA, 0x58, 0x0C),
    "open conflicts": (0xDC, 0x26, 0x26),
    "resolved conflicts": (0x9C, 0xA3, 0xAF),
    "funnel stages": (0x4F, 0x46, 0xE5),
    "won registrations": (0x05, 0x96, 0x69),
}
"""The fills the report's CSS gives each chart's marks; each must be painted in the screenshot."""


# --- sample data ---------------------------------------------------------------------------


def _sample() -> ReportData:
    types = ("DISTRIBUTOR", "VAR", "RESELLER", "SYSTEM_INTEGRATOR", "SOLUTION_PROVIDER", "AFFILIATE")
    tiers = ("PLATINUM", "GOLD", "GOLD", "SILVER", "SILVER", "REGISTERED")
    scorecards = tuple(
        ScorecardRow(
            partner_id=f"PTR-{i + 1:04d}",
            partner_name=f"Partner <{i + 1}> & Co",  # markup in names must be escaped
            partner_type=types[i],
            tier=tiers[i],
            net_revenue=Decimal(4_800_000) / (i + 1),
            units=9000 // (i + 1),
            return_rate=0.02 + 0.01 * i,
            win_rate=None if i == 5 else 0.6 - 0.05 * i,
            csat_avg=4.6 - 0.3 * i,
            resolution_hours_p50=20.0 + 9 * i,
            conflicts_as_offender=i % 3,
            accrued=Decimal(96_000) / (i + 1),
            paid=Decimal(60_000) / (i + 1),
            outstanding=Decimal(36_000) / (i + 1),
            health_score=None if i == 5 else 92.0 - 9 * i,
        )
        for i in range(6)
    )
    monthly: list[MonthlyIncentives] = []
    owed = Decimal(0)
    for month in range(1, 13):
        accrued = Decimal(40_000 + 1_500 * month + (9_000 if month % 3 == 0 else 0))
        paid = Decimal(0) if month == 1 else Decimal(30_000 + 2_000 * month)
        owed += accrued - paid
        monthly.append(
            MonthlyIncentives(month=date(2026, month, 1), accrued=accrued, paid=paid, outstanding=owed)
        )
    by_rule = tuple(
        ConflictCount(label=rule, open=o, acknowledged=a, resolved=r)
        for rule, o, a, r in (
            ("REGISTRATION_BREACH", 12, 5, 20),
            ("TERRITORY_VIOLATION", 9, 2, 14),
            ("VENDOR_BYPASS", 4, 1, 6),
            ("CUSTOMER_CONTENTION", 7, 0, 3),
            ("DUPLICATE_REGISTRATION", 3, 3, 8),
            ("OVERPAYMENT", 2, 1, 0),
        )
    )
    by_territory = tuple(
        ConflictCount(label=territory, open=o, acknowledged=a, resolved=r)
        for territory, o, a, r in (("US-EAST", 9, 3, 12), ("EMEA-DACH", 6, 2, 9), ("APAC-JP", 4, 2, 5))
    )
    return ReportData(
        currency="USD",
        period="Business time 2026-01-01 to 2026-12-31",
        as_of=datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        scorecards=scorecards,
        monthly=tuple(monthly),
        conflicts_by_rule=by_rule,
        conflicts_by_territory=by_territory,
        funnel=RegistrationFunnel(
            submitted=1200, approved=900, won=480, expired=260, rejected=210, withdrawn=70
        ),
        notes=(("Events processed", "1,000,000"), ("Dead letters", "1,012")),
    )


# --- the browser ---------------------------------------------------------------------------


def _chromium() -> str:
    candidates = [os.environ.get("CL_CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    for name in candidates:
        found = shutil.which(name) if name else None
        if found:
            return found
    reason = "no chromium binary (apt-get install chromium, or set CL_CHROMIUM)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def _browse(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, timeout=BROWSER_TIMEOUT_S, check=False)


# --- a tiny PNG reader -----------------------------------------------------------------------


def _png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB(A), non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    return width, height, _unfilter(raw, height, stride, bpp)


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> list[bytes]:
    low = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    prev, rows = bytes(stride), []
    for r in range(height):
        start = r * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 0:
            row = bytes(line)
        elif kind == 2:  # Up: a byte-wise add of the row above, done on whole rows at once
            x, y = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            row = (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(stride, "big")
        else:
            out = bytearray(line)
            for i in range(stride):
                a = out[i - bpp] if i >= bpp else 0
                if kind == 1:
                    out[i] = (out[i] + a) & 0xFF
                elif kind == 3:
                    out[i] = (out[i] + ((a + prev[i]) >> 1)) & 0xFF
                else:
                    b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    out[i] = (out[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            row = bytes(out)
        rows.append(row)
        prev = row
    return rows


# --- the rendered DOM ------------------------------------------------------------------------


class _ChartMarks(HTMLParser):
    """Per chart figure: its SVG title and the data marks with a visible size."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: Counter[str] = Counter()
        self.titles: dict[str, str] = {}
        self.svgs: Counter[str] = Counter()
        self.scorecard_rows = 0
        self.external: list[str] = []
        self._figure: str | None = None
        self._depth = 0
        self._in_svg_title = False
        self._in_scorecards = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in ("src", "href"):
            if re.match(r"\s*(https?:)?//", a.get(name, "")):
                self.external.append(a[name])
        if tag == "table" and a.get("id") == "scorecards":
            self._in_scorecards = True
        if tag == "tr" and self._in_scorecards:
            self.scorecard_rows += 1
        if tag == "figure" and a.get("id") in CHART_IDS:
            self._figure, self._depth = a["id"], 0
        if self._figure is None:
            return
        self._depth += 1
        if tag == "svg":
            self.svgs[self._figure] += 1
        if tag == "title" and self._figure not in self.titles:
            self._in_svg_title = True
        if "mark" in a.get("class", "").split() and _visible(tag, a):
            self.marks[self._figure] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_scorecards = False
        if tag == "title":
            self._in_svg_title = False
        if self._figure is not None:
            self._depth -= 1
            if tag == "figure":
                self._figure = None

    def handle_data(self, data: str) -> None:
        if self._in_svg_title and self._figure is not None:
            self.titles[self._figure] = self.titles.get(self._figure, "") + data


def _visible(tag: str, attrs: dict[str, str]) -> bool:
    if tag == "rect":
        return float(attrs.get("width", "0")) > 0 and float(attrs.get("height", "0")) > 0
    if tag == "circle":
        return float(attrs.get("r", "0")) > 0
    if tag == "path":
        return attrs.get("d", "").count("L") >= 1
    return False


# --- the test --------------------------------------------------------------------------------


def test_report_renders_in_headless_chromium_with_every_chart_drawn(tmp_path: Path) -> None:
    binary = _chromium()
    report = render_report(_sample(), tmp_path / "out" / "report.html")
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert "Partner &lt;1&gt; &amp; Co" in html

    shot = tmp_path / "report.png"
    result = _browse(
        binary, tmp_path / "profile-shot", f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
        report.as_uri(),
    )  # fmt: skip
    assert shot.exists(), result.stderr.decode(errors="replace")[-2000:]
    width, height, rows = _png_pixels(shot)
    assert (width, height) == WINDOW
    colours: Counter[tuple[int, int, int]] = Counter()
    for row in rows[::2]:
        for i in range(0, len(row) - 2, len(row) // width * 2):
            colours[(row[i], row[i + 1], row[i + 2])] += 1
    assert len(colours) > 50, "a blank or flat page"
    background = colours.most_common(2)
    assert sum(n for _, n in background) < 0.9 * sum(colours.values()), "mostly background"
    for series, rgb in SERIES_COLOURS.items():
        assert colours[rgb] > 20, f"{series} ({rgb}) not painted: {colours.most_common(12)}"

    dumped = _browse(binary, tmp_path / "profile-dom", "--dump-dom", report.as_uri())
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    dom = _ChartMarks()
    dom.feed(dumped.stdout.decode("utf-8"))
    assert dom.external == []
    assert dom.scorecard_rows == 1 + 6  # header and one row per partner
    for chart in CHART_IDS:
        assert dom.svgs[chart] == 1, chart
        assert dom.titles.get(chart, "").strip(), f"{chart} has no title"
    data = _sample()
    paid_bars = sum(1 for m in data.monthly if m.paid)  # a zero bar has no height to draw
    assert dom.marks["chart-accruals-payouts"] == 12 + paid_bars + 1 + 12  # bars, the line, its points
    for chart, counts in (
        ("chart-conflicts-by-rule", data.conflicts_by_rule),
        ("chart-conflicts-by-territory", data.conflicts_by_territory),
    ):
        segments = sum(1 for c in counts for n in (c.open, c.acknowledged, c.resolved) if n)
        assert dom.marks[chart] == segments, chart
    assert dom.marks["chart-registration-funnel"] == 6


def test_a_report_without_activity_says_so_instead_of_drawing_marks(tmp_path: Path) -> None:
    empty = ReportData(
        currency="EUR",
        period="Business time 2026-01-01 to 2026-01-31",
        as_of=None,
        scorecards=(),
        monthly=(),
        conflicts_by_rule=(),
        conflicts_by_territory=(),
        funnel=RegistrationFunnel(submitted=0, approved=0, won=0, expired=0, rejected=0),
    )
    html = render_report(empty, tmp_path / "empty.html").read_text(encoding="utf-8")
    dom = _ChartMarks()
    dom.feed(html)
    assert all(dom.svgs[chart] == 1 for chart in CHART_IDS)
    assert sum(dom.marks.values()) == 0
    for message in ("No ledger activity yet", "No conflicts detected", "No deal registrations yet"):
        assert message in html
    assert "No partner activity yet." in html
    assert "€0" in html
