"""Just enough SVG to draw the report's charts by hand: scales, nice ticks, escaped elements.

Every data mark carries the class ``mark`` (plus its series) and a ``<title>`` tooltip with the
exact figure, so the charts read without JavaScript and a test can find the marks.
"""

from __future__ import annotations

import math
from html import escape


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 x 10^k apart) covering ``[low, high]``, 0 included."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high - low <= 0:
        return [0.0, 1.0]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9 * step:
        ticks.append(ticks[-1] + step)
    return [round(t, 10) for t in ticks]


class Scale:
    """Maps a domain interval linearly onto a pixel range."""

    def __init__(self, domain: tuple[float, float], pixels: tuple[float, float]) -> None:
        self.lo, self.hi = domain
        self.start, self.end = pixels

    def __call__(self, value: float) -> float:
        if self.hi == self.lo:
            return self.start
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Svg:
    """An SVG document built element by element; ``render`` gives the markup."""

    def __init__(self, width: int, height: int, *, title: str, description: str) -> None:
        self.width, self.height = width, height
        self._title, self._description = title, description
        self._parts: list[str] = []

    def rect(self, x: float, y: float, width: float, height: float, cls: str, tip: str | None = None) -> None:
        if width < 0:
            x, width = x + width, -width
        if height < 0:
            y, height = y + height, -height
        body = f"<title>{escape(tip)}</title>" if tip else ""
        self._parts.append(
            f'<rect class="{cls}" x="{_n(x)}" y="{_n(y)}" width="{_n(width)}" height="{_n(height)}">'
            f"{body}</rect>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str) -> None:
        self._parts.append(f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"/>')

    def polyline(self, points: list[tuple[float, float]], cls: str, tip: str | None = None) -> None:
        d = " ".join(f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(points))
        body = f"<title>{escape(tip)}</title>" if tip else ""
        self._parts.append(f'<path class="{cls}" d="{d}">{body}</path>')

    def circle(self, cx: float, cy: float, r: float, cls: str, tip: str | None = None) -> None:
        body = f"<title>{escape(tip)}</title>" if tip else ""
        self._parts.append(f'<circle class="{cls}" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}">{body}</circle>')

    def text(self, x: float, y: float, content: str, cls: str, anchor: str = "start") -> None:
        self._parts.append(
            f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}">{escape(content)}</text>'
        )

    def render(self) -> str:
        return (
            f'<svg class="chart-svg" role="img" '
            f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" height="{self.height}">'
            f"<title>{escape(self._title)}</title><desc>{escape(self._description)}</desc>"
            + "".join(self._parts)
            + "</svg>"
        )
