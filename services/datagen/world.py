"""The static cast of a dataset: partners, customers, the catalog and the enrolled programs.

Built once per dataset from its own random stream, so the cast does not change when rates
or volumes do. Skew is deliberate: partner business follows a Zipf law over a shuffled rank
(weighted by partner type), customer size a Pareto law, and each customer buys from one or
two partners that cover its territory, which is what keeps ordinary activity conflict-free.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from processors.programs import Program, ProgramBook
from processors.programs.model import VolumeRebate
from schemas.events import PartnerTier, PartnerType
from services.datagen.catalog import (
    CATALOG,
    CERTIFICATION_SHARE,
    NAME_QUALIFIERS,
    NAME_STEMS,
    PARTNER_TYPE_MIX,
    TERRITORIES,
    TYPE_NAME_SUFFIX,
    TYPE_ORDER_SIZE,
    TYPE_VOLUME_FACTOR,
    ProductLine,
    with_program_names,
)
from services.datagen.clock import MS_PER_DAY, MS_PER_HOUR, to_datetime
from services.datagen.config import DatagenConfig

DEFAULT_CURRENCY = "USD"
_ZIPF_EXPONENT = 1.1
_MIN_COVER = 3
"""Partners covering each territory, so contention can be staged without crossing territories."""


@dataclass(frozen=True, slots=True)
class PartnerProfile:
    index: int
    partner_id: str
    name: str
    partner_type: PartnerType
    tier: PartnerTier
    territories: tuple[str, ...]
    programs: tuple[str, ...]
    weight: float
    """Relative pull on customers (Zipf rank x type factor)."""
    quality: float
    """0..1: how well the partner looks after customers (resolution speed, CSAT)."""
    order_size: float
    certifications: tuple[tuple[str, int], ...]
    """(product line, valid until in ms) held from onboarding."""
    offboard_ms: int | None


@dataclass(frozen=True, slots=True)
class Customers:
    ids: tuple[str, ...]
    territory: tuple[str, ...]
    cum_weights: tuple[float, ...]
    partners: tuple[tuple[int, ...], ...]
    """Partner indexes a customer buys from, its main partner first."""
    big: tuple[int, ...]
    """The largest customers, whom the vendor also sells to directly."""

    def pick(self, rng: random.Random) -> int:
        return bisect.bisect(self.cum_weights, rng.random() * self.cum_weights[-1])


@dataclass(frozen=True, slots=True)
class World:
    partners: tuple[PartnerProfile, ...]
    partner_index: dict[str, int]
    customers: Customers
    catalog: tuple[ProductLine, ...]
    covering: dict[str, tuple[int, ...]]
    """Partners covering each territory at onboarding."""
    currency: str
    programs: tuple[Program, ...]
    """One version (governing at the start) of every program the partners are enrolled in."""
    book: ProgramBook | None


def build_world(config: DatagenConfig, book: ProgramBook | None, start_ms: int) -> World:
    rng = random.Random(f"{config.seed}:world")
    programs, currency = _programs(book, start_ms)
    catalog = _catalog(programs)
    types = _partner_types(config.partners, rng)
    partners = _partners(config, types, programs, catalog, rng, start_ms)
    covering = {t.code: tuple(p.index for p in partners if t.code in p.territories) for t in TERRITORIES}
    customers = _customers(config.customers, partners, covering, rng)
    return World(
        partners=partners,
        partner_index={p.partner_id: p.index for p in partners},
        customers=customers,
        catalog=catalog,
        covering=covering,
        currency=currency,
        programs=programs,
        book=book,
    )


def _programs(book: ProgramBook | None, start_ms: int) -> tuple[tuple[Program, ...], str]:
    if book is None:
        return (), DEFAULT_CURRENCY
    versions: list[Program] = []
    start = to_datetime(start_ms)
    for program_id in book.program_ids:
        program = book.governing(program_id, start) or min(
            book.versions(program_id), key=lambda p: p.effective_from
        )
        versions.append(program)
    if not versions:
        return (), DEFAULT_CURRENCY
    # One currency for the whole dataset: the one most programs pay in.
    counts = Counter(p.currency for p in versions)
    currency = min(counts, key=lambda c: (-counts[c], c))
    return tuple(p for p in versions if p.currency == currency), currency


def _catalog(programs: tuple[Program, ...]) -> tuple[ProductLine, ...]:
    lines: set[str] = set()
    skus: dict[str, str | None] = {}
    for program in programs:
        for rule in program.sale_rules:
            lines |= rule.filter.product_lines
            hint = min(rule.filter.product_lines) if rule.filter.product_lines else None
            for sku in rule.filter.skus:
                skus.setdefault(sku, hint)
    return with_program_names(CATALOG, lines, skus)


def _partner_types(count: int, rng: random.Random) -> list[PartnerType]:
    """Largest-remainder apportionment of the type mix, at least one of each type where possible."""
    shares = [(t, share * count) for t, share in PARTNER_TYPE_MIX]
    counts = {t: int(x) for t, x in shares}
    if count >= len(shares):
        counts = {t: max(n, 1) for t, n in counts.items()}
    by_remainder = sorted(shares, key=lambda s: -(s[1] - int(s[1])))
    for t, _ in itertools.cycle(by_remainder):
        if sum(counts.values()) >= count:
            break
        counts[t] += 1
    while sum(counts.values()) > count:  # the "at least one" floor overshot: trim the largest
        largest = max(counts, key=lambda t: counts[t])
        counts[largest] -= 1
    types = [t for t, _ in PARTNER_TYPE_MIX for _ in range(counts[t])]
    rng.shuffle(types)
    return types


def _partners(
    config: DatagenConfig,
    types: list[PartnerType],
    programs: tuple[Program, ...],
    catalog: tuple[ProductLine, ...],
    rng: random.Random,
    start_ms: int,
) -> tuple[PartnerProfile, ...]:
    count = len(types)
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    weights = [TYPE_VOLUME_FACTOR[t] / rank**_ZIPF_EXPONENT for t, rank in zip(types, ranks, strict=True)]
    territories = _territories(types, rng)
    order = sorted(range(count), key=lambda i: -weights[i])
    tier_of = {i: tier_for_rank(pos, count) for pos, i in enumerate(order)}
    offboarded = _offboarded(config, types, weights, rng, start_ms)
    stems = list(NAME_STEMS)
    rng.shuffle(stems)
    partners: list[PartnerProfile] = []
    for i, ptype in enumerate(types):
        home = territories[i][0]
        suffix = next(t.legal_suffix for t in TERRITORIES if t.code == home)
        stem = stems[i % len(stems)]
        if i >= len(stems):  # more partners than stems: "Cedar Ridge", "Cedar Bay", ...
            stem += f" {NAME_QUALIFIERS[(i // len(stems) - 1) % len(NAME_QUALIFIERS)]}"
            if i >= len(stems) * (len(NAME_QUALIFIERS) + 1):
                stem += f" {i // (len(stems) * (len(NAME_QUALIFIERS) + 1)) + 1}"
        certs = tuple(
            (line.name, start_ms + rng.randint(150, 540) * MS_PER_DAY)
            for line in catalog
            if rng.random() < CERTIFICATION_SHARE[ptype]
        )
        quality = rng.betavariate(5, 2) * (0.8 if ptype is PartnerType.AFFILIATE else 1.0)
        partners.append(
            PartnerProfile(
                index=i,
                partner_id=f"PTR-{i + 1:04d}",
                name=f"{stem} {TYPE_NAME_SUFFIX[ptype]} {suffix}",
                partner_type=ptype,
                tier=tier_of[i],
                territories=territories[i],
                programs=tuple(p.program_id for p in programs if ptype in p.eligible_partner_types),
                weight=weights[i],
                quality=quality,
                order_size=TYPE_ORDER_SIZE[ptype],
                certifications=certs,
                offboard_ms=offboarded.get(i),
            )
        )
    return tuple(partners)


def tier_for_rank(position: int, count: int) -> PartnerTier:
    share = (position + 0.5) / count
    if share <= 0.08:
        return PartnerTier.PLATINUM
    if share <= 0.25:
        return PartnerTier.GOLD
    if share <= 0.60:
        return PartnerTier.SILVER
    return PartnerTier.REGISTERED


def _territories(types: list[PartnerType], rng: random.Random) -> list[tuple[str, ...]]:
    codes = [t.code for t in TERRITORIES]
    weights = [t.weight for t in TERRITORIES]
    region_of = {t.code: t.region for t in TERRITORIES}
    assigned: list[list[str]] = []
    for ptype in types:
        home = rng.choices(codes, weights=weights)[0]
        same_region = [c for c in codes if region_of[c] == region_of[home] and c != home]
        if ptype is PartnerType.DISTRIBUTOR:
            chosen = [home, *same_region]
        elif same_region and rng.random() < 0.35:
            chosen = [home, rng.choice(same_region)]
        else:
            chosen = [home]
        assigned.append(chosen)
    need = min(_MIN_COVER, len(types))
    for code in codes:
        covering = [i for i, ts in enumerate(assigned) if code in ts]
        candidates = [i for i, ts in enumerate(assigned) if code not in ts]
        # Prefer partners already in the region: a territory is extended, not invented.
        candidates.sort(key=lambda i: (region_of[assigned[i][0]] != region_of[code], rng.random()))
        for i in candidates[: max(0, need - len(covering))]:
            assigned[i].append(code)
    return [tuple(ts) for ts in assigned]


def _offboarded(
    config: DatagenConfig, types: list[PartnerType], weights: list[float], rng: random.Random, start_ms: int
) -> dict[int, int]:
    """One small partner leaves about two thirds into a long enough dataset."""
    if len(types) < 12 or config.days < 60:
        return {}
    candidates = [i for i, t in enumerate(types) if t is not PartnerType.DISTRIBUTOR]
    smallest = min(candidates, key=lambda i: weights[i])
    day = int(config.days * 0.7)
    return {smallest: start_ms + day * MS_PER_DAY + 10 * MS_PER_HOUR + rng.randrange(MS_PER_HOUR)}


def _customers(
    count: int, partners: tuple[PartnerProfile, ...], covering: dict[str, tuple[int, ...]], rng: random.Random
) -> Customers:
    codes = [t.code for t in TERRITORIES]
    territory_weights = [t.weight for t in TERRITORIES]
    ids: list[str] = []
    territory: list[str] = []
    sizes: list[float] = []
    assigned: list[tuple[int, ...]] = []
    for i in range(count):
        code = rng.choices(codes, weights=territory_weights)[0]
        candidates = covering[code]
        pull = [partners[p].weight for p in candidates]
        main = rng.choices(candidates, weights=pull)[0]
        chosen = [main]
        others = [p for p in candidates if p != main]
        if others and rng.random() < 0.3:
            chosen.append(rng.choices(others, weights=[partners[p].weight for p in others])[0])
        ids.append(f"CUST-{i + 1:06d}")
        territory.append(code)
        sizes.append(min(rng.paretovariate(1.3), 200.0))
        assigned.append(tuple(chosen))
    cum = list(itertools.accumulate(sizes))
    by_size = sorted(range(count), key=lambda i: -sizes[i])
    return Customers(
        ids=tuple(ids),
        territory=tuple(territory),
        cum_weights=tuple(cum),
        partners=tuple(assigned),
        big=tuple(sorted(by_size[: max(1, count // 20)])),
    )


def volume_thresholds(program: Program) -> tuple[Decimal, ...]:
    """Tier thresholds of the program's unfiltered volume rebates (where a crossing re-rates)."""
    out: set[Decimal] = set()
    for rule in program.sale_rules:
        if isinstance(rule, VolumeRebate) and not rule.filter.product_lines and not rule.filter.skus:
            out.update(t.threshold for t in rule.tiers if t.threshold > 0)
    return tuple(sorted(out))
