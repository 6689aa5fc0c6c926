"""The vendor's world the generator draws from: territories, product catalog, partner names.

Fixed data rather than configuration: a dataset is reproduced by its seed and config alone.
Product lines and SKUs named by the incentive programs are merged in (``with_program_names``)
so every rule of the example programs has sales to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from schemas.events import PartnerType


@dataclass(frozen=True, slots=True)
class Territory:
    code: str
    region: str
    weight: float
    """Share of customers located here."""
    legal_suffix: str


TERRITORIES: tuple[Territory, ...] = (
    Territory("US-WEST", "NA", 0.15, "Inc."),
    Territory("US-EAST", "NA", 0.17, "Inc."),
    Territory("US-CENTRAL", "NA", 0.09, "LLC"),
    Territory("CA", "NA", 0.05, "Ltd."),
    Territory("LATAM-BR", "LATAM", 0.04, "Ltda."),
    Territory("EMEA-UK", "EMEA", 0.09, "Ltd"),
    Territory("EMEA-DACH", "EMEA", 0.10, "GmbH"),
    Territory("EMEA-FR", "EMEA", 0.06, "SAS"),
    Territory("EMEA-NORDICS", "EMEA", 0.04, "AB"),
    Territory("APAC-JP", "APAC", 0.08, "K.K."),
    Territory("APAC-ANZ", "APAC", 0.05, "Pty Ltd"),
    Territory("APAC-SG", "APAC", 0.04, "Pte. Ltd."),
)


@dataclass(frozen=True, slots=True)
class Sku:
    sku: str
    product_line: str
    list_price: Decimal
    weight: float
    """Relative popularity within its product line."""
    typical_quantity: float
    """Median units per order from a single-site customer."""
    hardware: bool
    """Hardware can fail: only hardware gets support cases and replacements."""


@dataclass(frozen=True, slots=True)
class ProductLine:
    name: str
    weight: float
    """Relative share of orders."""
    skus: tuple[Sku, ...]


def _line(name: str, weight: float, *skus: tuple[str, str, float, float, bool]) -> ProductLine:
    return ProductLine(
        name,
        weight,
        tuple(Sku(code, name, Decimal(price), w, qty, hw) for code, price, w, qty, hw in skus),
    )


CATALOG: tuple[ProductLine, ...] = (
    _line(
        "networking",
        0.26,
        ("SW-24P", "1450.00", 3.0, 4, True),
        ("SW-48P", "2890.00", 2.0, 3, True),
        ("RTR-EDGE", "4200.00", 1.0, 2, True),
        ("AP-6E", "389.00", 4.0, 12, True),
    ),
    _line(
        "security",
        0.20,
        ("FW-200", "2400.00", 3.0, 2, True),
        ("FW-400", "5900.00", 2.0, 1, True),
        ("FW-1000", "18500.00", 0.6, 1, True),
        ("EDR-SUB", "72.00", 4.0, 120, False),
    ),
    _line(
        "storage",
        0.16,
        ("NX-4800-48TB", "24800.00", 0.8, 1, True),
        ("NAS-8", "6900.00", 2.0, 1, True),
        ("DRV-16T", "410.00", 4.0, 16, True),
    ),
    _line(
        "compute",
        0.18,
        ("SRV-1U", "7800.00", 3.0, 2, True),
        ("SRV-2U", "12900.00", 2.0, 2, True),
        ("EDGE-MINI", "1650.00", 2.0, 5, True),
    ),
    _line(
        "software",
        0.12,
        ("MGMT-SUB", "240.00", 3.0, 50, False),
        ("BACKUP-SUB", "180.00", 2.0, 40, False),
    ),
    _line(
        "services",
        0.08,
        ("CARE-1Y", "350.00", 3.0, 10, False),
        ("INSTALL-PRO", "1200.00", 1.0, 1, False),
    ),
)

_GENERATED_SKU_PRICE = Decimal("990.00")


def with_program_names(
    catalog: tuple[ProductLine, ...], product_lines: set[str], skus: dict[str, str | None]
) -> tuple[ProductLine, ...]:
    """The catalog plus any product line or SKU an incentive program names.

    ``skus`` maps each named SKU to a product line named beside it in the same rule (or None);
    a SKU with no hint joins the line whose SKU prefix it shares, else the first line.
    """
    lines = {line.name: list(line.skus) for line in catalog}
    weights = {line.name: line.weight for line in catalog}
    for name in sorted(product_lines - set(lines)):
        lines[name] = [Sku(f"{name[:8].upper()}-STD", name, _GENERATED_SKU_PRICE, 1.0, 3, True)]
        weights[name] = 0.06
    known = {s.sku for skus_of_line in lines.values() for s in skus_of_line}
    for code in sorted(set(skus) - known):
        hint = skus[code]
        line_name = hint if hint in lines else _line_by_prefix(code, lines) or next(iter(lines))
        lines[line_name].append(Sku(code, line_name, _GENERATED_SKU_PRICE, 1.5, 3, True))
    return tuple(ProductLine(name, weights[name], tuple(skus_)) for name, skus_ in lines.items())


def _line_by_prefix(code: str, lines: dict[str, list[Sku]]) -> str | None:
    prefix = code.split("-", 1)[0]
    for name, skus in lines.items():
        if any(s.sku.split("-", 1)[0] == prefix for s in skus):
            return name
    return None


PARTNER_TYPE_MIX: tuple[tuple[PartnerType, float], ...] = (
    (PartnerType.DISTRIBUTOR, 0.10),
    (PartnerType.RESELLER, 0.27),
    (PartnerType.VAR, 0.23),
    (PartnerType.SYSTEM_INTEGRATOR, 0.14),
    (PartnerType.SOLUTION_PROVIDER, 0.13),
    (PartnerType.AFFILIATE, 0.13),
)
"""Share of the partner base by type (every type appears once there are six partners)."""

TYPE_VOLUME_FACTOR: dict[PartnerType, float] = {
    PartnerType.DISTRIBUTOR: 3.0,
    PartnerType.RESELLER: 1.0,
    PartnerType.VAR: 1.2,
    PartnerType.SYSTEM_INTEGRATOR: 1.1,
    PartnerType.SOLUTION_PROVIDER: 0.8,
    PartnerType.AFFILIATE: 0.3,
}
"""How much more business a partner of the type attracts, on top of its Zipf rank."""

TYPE_ORDER_SIZE: dict[PartnerType, float] = {
    PartnerType.DISTRIBUTOR: 6.0,
    PartnerType.RESELLER: 1.0,
    PartnerType.VAR: 1.3,
    PartnerType.SYSTEM_INTEGRATOR: 1.8,
    PartnerType.SOLUTION_PROVIDER: 1.0,
    PartnerType.AFFILIATE: 0.6,
}
"""Order size multiplier: distributors buy by the pallet."""

CERTIFICATION_SHARE: dict[PartnerType, float] = {
    PartnerType.DISTRIBUTOR: 0.25,
    PartnerType.RESELLER: 0.45,
    PartnerType.VAR: 0.85,
    PartnerType.SYSTEM_INTEGRATOR: 0.80,
    PartnerType.SOLUTION_PROVIDER: 0.60,
    PartnerType.AFFILIATE: 0.10,
}
"""Chance a partner of the type is certified for a given product line."""

TYPE_NAME_SUFFIX: dict[PartnerType, str] = {
    PartnerType.DISTRIBUTOR: "Distribution",
    PartnerType.RESELLER: "IT Supply",
    PartnerType.VAR: "Solutions",
    PartnerType.SYSTEM_INTEGRATOR: "Systems Integration",
    PartnerType.SOLUTION_PROVIDER: "Technology Partners",
    PartnerType.AFFILIATE: "Referrals",
}

NAME_STEMS: tuple[str, ...] = (
    "Northwind", "Bluepeak", "Ironbridge", "Cobalt", "Summit", "Meridian", "Harbor", "Redwood",
    "Atlas", "Vector", "Lumen", "Granite", "Keystone", "Sterling", "Orbit", "Pioneer", "Quantum",
    "Silverline", "Trident", "Zenith", "Aurora", "Basalt", "Cedar", "Delta", "Ember", "Fjord",
    "Glacier", "Helix", "Indigo", "Juniper", "Kestrel", "Lattice", "Monarch", "Nimbus", "Onyx",
    "Prism", "Quarry", "Riverside", "Sequoia", "Tundra", "Umber", "Vantage", "Willow", "Xenon",
    "Yarrow", "Zephyr",
)  # fmt: skip

NAME_QUALIFIERS: tuple[str, ...] = ("Ridge", "Bay", "Point", "Valley", "Harbour", "Gate", "Park", "Crest")
"""Second words that keep names distinct once every stem is taken."""
