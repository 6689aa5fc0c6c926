"""Which SKU an order is for: catalog popularity, boosted while a SPIFF rewards it.

Partners push what pays: while a program's SPIFF window is open, its SKUs and product lines
sell at ``SPIFF_BOOST`` times their usual rate.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from processors.programs import Program
from processors.programs.model import Spiff
from services.datagen.catalog import ProductLine, Sku
from services.datagen.clock import to_ms

SPIFF_BOOST = 2.0


@dataclass(frozen=True, slots=True)
class _Window:
    start_ms: int
    end_ms: int
    skus: frozenset[str]
    product_lines: frozenset[str]


class ProductPicker:
    def __init__(self, catalog: tuple[ProductLine, ...], programs: tuple[Program, ...]) -> None:
        self._skus: list[Sku] = [s for line in catalog for s in line.skus]
        line_weight = {line.name: line.weight / sum(s.weight for s in line.skus) for line in catalog}
        self._base = [line_weight[s.product_line] * s.weight for s in self._skus]
        self._by_line = {
            line.name: (list(line.skus), list(itertools.accumulate(s.weight for s in line.skus)))
            for line in catalog
        }
        hardware = [(s, w) for s, w in zip(self._skus, self._base, strict=True) if s.hardware]
        self._hardware = [s for s, _ in hardware]
        self._hardware_cum = list(itertools.accumulate(w for _, w in hardware))
        self._windows = tuple(
            _Window(to_ms(r.window_start), to_ms(r.window_end), r.filter.skus, r.filter.product_lines)
            for p in programs
            for r in p.sale_rules
            if isinstance(r, Spiff)
        )
        self._active: tuple[int, ...] | None = None
        self._cum: list[float] = []
        self.set_day(0)

    @property
    def product_lines(self) -> list[str]:
        return list(self._by_line)

    def set_day(self, at_ms: int) -> None:
        """Apply the SPIFF windows open at ``at_ms`` to the day's weights."""
        active = tuple(i for i, w in enumerate(self._windows) if w.start_ms <= at_ms < w.end_ms)
        if active == self._active:
            return
        self._active = active
        weights = list(self._base)
        for i, sku in enumerate(self._skus):
            if any(
                sku.sku in self._windows[a].skus or sku.product_line in self._windows[a].product_lines
                for a in active
            ):
                weights[i] *= SPIFF_BOOST
        self._cum = list(itertools.accumulate(weights))

    def pick(self, rng: random.Random) -> Sku:
        return self._skus[bisect.bisect(self._cum, rng.random() * self._cum[-1])]

    def pick_in_line(self, rng: random.Random, product_line: str) -> Sku:
        skus, cum = self._by_line[product_line]
        return skus[bisect.bisect(cum, rng.random() * cum[-1])]

    def pick_hardware(self, rng: random.Random) -> Sku:
        return self._hardware[bisect.bisect(self._hardware_cum, rng.random() * self._hardware_cum[-1])]
