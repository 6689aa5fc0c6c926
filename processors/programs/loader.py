"""Loading program versions from TOML or YAML files, refusing bad ones with a clear message.

Every refusal is a ``ProgramError`` whose message starts with ``<file>: <field>:`` so an
operator can fix the file without reading code. Unknown keys are refused too: a typo such as
``requires_certificaton`` must not silently turn a gate off.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

import yaml

from processors.programs.book import ProgramBook, ProgramError
from processors.programs.model import (
    AllowanceAccrual,
    CareBonus,
    GrowthRebate,
    Program,
    RegistrationBonus,
    Rule,
    SaleFilter,
    Spiff,
    Tier,
    TierMode,
    VolumeRebate,
)
from processors.programs.periods import PeriodKind
from schemas.events import Allowance, PartnerType

PROGRAM_SUFFIXES = (".toml", ".yaml", ".yml")
MAX_CLOSE_GRACE_DAYS = 31
"""Keeps every period closed within the partner processor's late-event horizon."""

_PROGRAM_KEYS = frozenset(
    {
        "program_id",
        "version",
        "name",
        "currency",
        "effective_from",
        "effective_to",
        "eligible_partner_types",
        "period",
        "close_grace_days",
        "rules",
    }
)
_FILTER_KEYS = frozenset({"product_lines", "skus", "requires_certification"})
_RULE_KEYS: dict[str, frozenset[str]] = {
    "volume_rebate": frozenset({"mode", "tiers", "cap"}) | _FILTER_KEYS,
    "growth_rebate": frozenset({"threshold", "rate", "cap"}) | _FILTER_KEYS,
    "spiff": frozenset({"amount_per_unit", "window_start", "window_end"}) | _FILTER_KEYS,
    "registration_bonus": frozenset({"rate"}) | _FILTER_KEYS,
    "allowance": frozenset({"allowance", "per_unit", "rate", "expiry_days"}) | _FILTER_KEYS,
    "care_bonus": frozenset({"min_csat", "max_avg_resolution_hours", "min_rated_cases", "amount", "rate"}),
}


def load_programs(path_or_dir: str | Path) -> ProgramBook:
    """Every program version in a file, or in the ``*.toml``/``*.yaml`` files of a directory."""
    root = Path(path_or_dir)
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix in PROGRAM_SUFFIXES and p.is_file())
        if not files:
            raise ProgramError(f"{root}: no program files (*.toml, *.yaml) in this directory")
    elif root.is_file():
        files = [root]
    else:
        raise ProgramError(f"{root}: no such file or directory")
    programs = [parse_program(_read(f), str(f)) for f in files]
    currencies: dict[str, tuple[str, str]] = {}
    for program in programs:
        seen = currencies.setdefault(program.program_id, (program.currency, program.source))
        if seen[0] != program.currency:
            raise ProgramError(
                f"{program.source}: currency: {program.currency} differs from {seen[0]} in {seen[1]}; "
                "all versions of a program pay in one currency"
            )
    return ProgramBook(programs)


def _read(path: Path) -> Mapping[str, object]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data: object = tomllib.loads(text, parse_float=Decimal)
        else:
            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ProgramError(f"{path}: (file): not valid {path.suffix[1:].upper()}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ProgramError(f"{path}: (file): expected a table of program fields at the top level")
    return data


class _Fields:
    """Typed access to one table of a program file, with the path used in error messages."""

    def __init__(self, data: object, source: str, where: str, allowed: frozenset[str]) -> None:
        if not isinstance(data, Mapping):
            raise ProgramError(f"{source}: {where}: expected a table")
        self.data: Mapping[str, object] = data
        self.source = source
        self.where = where
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.fail(unknown[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def fail(self, key: str, message: str) -> NoReturn:
        path = f"{self.where}.{key}" if self.where else key
        raise ProgramError(f"{self.source}: {path}: {message}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> object:
        if key not in self.data or self.data[key] is None:
            self.fail(key, "missing")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"expected a non-empty string, got {value!r}")
        return str(value).strip()

    def integer(self, key: str, default: int | None = None) -> int:
        if default is not None and not self.has(key):
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected an integer, got {value!r}")
        return int(str(value))

    def decimal(self, key: str) -> Decimal:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            self.fail(key, f"expected a number, got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(key, f"expected a number, got {value!r}")
        if not number.is_finite():
            self.fail(key, f"expected a finite number, got {value!r}")
        return number

    def optional_decimal(self, key: str) -> Decimal | None:
        return self.decimal(key) if self.has(key) else None

    def rate(self, key: str) -> Decimal:
        value = self.decimal(key)
        if value < 0:
            self.fail(key, f"negative rate {value}")
        if value > 1:
            self.fail(key, f"rate {value} is above 1 (rates are fractions: 0.03 means 3 %)")
        return value

    def positive(self, key: str) -> Decimal:
        value = self.decimal(key)
        if value <= 0:
            self.fail(key, f"must be positive, got {value}")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        if not self.has(key):
            return ()
        value = self.data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(key, f"expected a list of non-empty strings, got {value!r}")
        return tuple(str(v) for v in value)

    def flag(self, key: str) -> bool:
        if not self.has(key):
            return False
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return bool(value)

    def instant(self, key: str) -> datetime:
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            except ValueError:
                self.fail(key, f"expected a date (2026-01-01) or an aware datetime, got {value!r}")
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                self.fail(key, f"datetime {value.isoformat()} has no UTC offset")
            return value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        self.fail(key, f"expected a date (2026-01-01) or an aware datetime, got {value!r}")

    def table_list(self, key: str) -> list[object]:
        value = self.raw(key)
        if not isinstance(value, list) or not value:
            self.fail(key, "expected a non-empty list of tables")
        return list(value)


def parse_program(data: Mapping[str, object], source: str) -> Program:
    """One program version from its parsed file content; ``source`` names it in errors."""
    f = _Fields(data, source, "", _PROGRAM_KEYS)
    program_id = f.text("program_id")
    version = f.integer("version")
    if version < 1:
        f.fail("version", f"must be 1 or more, got {version}")
    currency = f.text("currency")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        f.fail("currency", f"expected an ISO-4217 code such as USD, got {currency!r}")
    effective_from = f.instant("effective_from")
    effective_to = f.instant("effective_to") if f.has("effective_to") else None
    if effective_to is not None and effective_to <= effective_from:
        f.fail(
            "effective_to",
            f"{effective_to.isoformat()} is not after effective_from {effective_from.isoformat()}",
        )
    types = f.strings("eligible_partner_types")
    if not types:
        f.fail("eligible_partner_types", "missing (list partner types such as VAR, DISTRIBUTOR)")
    eligible = set()
    for name in types:
        try:
            eligible.add(PartnerType(name.upper()))
        except ValueError:
            f.fail(
                "eligible_partner_types", f"unknown partner type {name!r} (known: {', '.join(PartnerType)})"
            )
    try:
        period = PeriodKind(f.text("period"))
    except ValueError:
        f.fail("period", f"expected 'month' or 'quarter', got {f.data['period']!r}")
    grace = f.integer("close_grace_days", default=0)
    if not 0 <= grace <= MAX_CLOSE_GRACE_DAYS:
        f.fail("close_grace_days", f"must be between 0 and {MAX_CLOSE_GRACE_DAYS}, got {grace}")
    rules = tuple(_parse_rule(r, source, f"rules[{i}]") for i, r in enumerate(f.table_list("rules")))
    _check_rule_set(rules, f)
    return Program(
        program_id=program_id,
        version=version,
        name=f.text("name") if f.has("name") else program_id,
        currency=currency,
        effective_from=effective_from,
        effective_to=effective_to,
        eligible_partner_types=frozenset(eligible),
        period=period,
        close_grace_days=grace,
        rules=rules,
        source=source,
    )


def _check_rule_set(rules: tuple[Rule, ...], f: _Fields) -> None:
    seen: set[str] = set()
    allowances: set[Allowance] = set()
    for i, rule in enumerate(rules):
        if rule.rule_id in seen:
            f.fail(f"rules[{i}].id", f"duplicate rule id {rule.rule_id!r}")
        seen.add(rule.rule_id)
        if isinstance(rule, AllowanceAccrual):
            if rule.allowance in allowances:
                f.fail(
                    f"rules[{i}].allowance",
                    f"a second {rule.allowance.value} allowance rule; claims "
                    "could not tell which fund to draw",
                )
            allowances.add(rule.allowance)


def _parse_rule(data: object, source: str, where: str) -> Rule:
    if not isinstance(data, Mapping):
        raise ProgramError(f"{source}: {where}: expected a table")
    kind = data.get("kind")
    if kind not in _RULE_KEYS:
        raise ProgramError(
            f"{source}: {where}.kind: unknown rule kind {kind!r} (known: {', '.join(_RULE_KEYS)})"
        )
    f = _Fields(data, source, where, _RULE_KEYS[str(kind)] | {"id", "kind"})
    rule_id = f.text("id")
    if kind == "care_bonus":
        return _care_bonus(f, rule_id)
    sale_filter = SaleFilter(
        product_lines=frozenset(f.strings("product_lines")),
        skus=frozenset(f.strings("skus")),
        requires_certification=f.flag("requires_certification"),
    )
    if kind == "volume_rebate":
        return _volume_rebate(f, rule_id, sale_filter)
    if kind == "growth_rebate":
        threshold = f.decimal("threshold")
        if threshold < 0:
            f.fail("threshold", f"growth threshold must not be negative, got {threshold}")
        cap = f.positive("cap") if f.has("cap") else None
        return GrowthRebate(
            rule_id=rule_id, threshold=threshold, rate=f.rate("rate"), cap=cap, filter=sale_filter
        )
    if kind == "spiff":
        if not sale_filter.skus and not sale_filter.product_lines:
            f.fail("skus", "a SPIFF names the SKUs or product_lines it rewards")
        start, end = f.instant("window_start"), f.instant("window_end")
        if end <= start:
            f.fail("window_end", f"{end.isoformat()} is not after window_start {start.isoformat()}")
        return Spiff(
            rule_id=rule_id,
            amount_per_unit=f.positive("amount_per_unit"),
            window_start=start,
            window_end=end,
            filter=sale_filter,
        )
    if kind == "registration_bonus":
        return RegistrationBonus(rule_id=rule_id, rate=f.rate("rate"), filter=sale_filter)
    return _allowance(f, rule_id, sale_filter)


def _volume_rebate(f: _Fields, rule_id: str, sale_filter: SaleFilter) -> VolumeRebate:
    try:
        mode = TierMode(f.text("mode"))
    except ValueError:
        f.fail("mode", f"expected 'retroactive' or 'marginal', got {f.data['mode']!r}")
    tiers: list[Tier] = []
    for i, raw in enumerate(f.table_list("tiers")):
        t = _Fields(raw, f.source, f"{f.where}.tiers[{i}]", frozenset({"name", "from", "rate"}))
        tier = Tier(name=t.text("name"), threshold=t.decimal("from"), rate=t.rate("rate"))
        if tier.threshold < 0:
            t.fail("from", f"negative threshold {tier.threshold}")
        if not tiers and tier.threshold != 0:
            t.fail("from", f"the first tier must start at 0, got {tier.threshold}")
        if tiers and tier.threshold <= tiers[-1].threshold:
            t.fail(
                "from",
                f"tiers overlap: {tier.threshold} is not above the previous tier's "
                f"{tiers[-1].threshold} (list tiers in ascending order)",
            )
        if any(prev.name == tier.name for prev in tiers):
            t.fail("name", f"duplicate tier name {tier.name!r}")
        tiers.append(tier)
    cap = f.positive("cap") if f.has("cap") else None
    return VolumeRebate(rule_id=rule_id, mode=mode, tiers=tuple(tiers), cap=cap, filter=sale_filter)


def _allowance(f: _Fields, rule_id: str, sale_filter: SaleFilter) -> AllowanceAccrual:
    try:
        allowance = Allowance(f.text("allowance").upper())
    except ValueError:
        f.fail("allowance", f"expected warehousing, transport or marketing, got {f.data['allowance']!r}")
    if f.has("per_unit") == f.has("rate"):
        f.fail("per_unit", "give exactly one of per_unit (amount per unit) or rate (fraction of the sale)")
    per_unit = f.positive("per_unit") if f.has("per_unit") else None
    rate = f.rate("rate") if f.has("rate") else None
    expiry_days = f.integer("expiry_days")
    if not 1 <= expiry_days <= 3650:
        f.fail("expiry_days", f"must be between 1 and 3650, got {expiry_days}")
    return AllowanceAccrual(
        rule_id=rule_id,
        allowance=allowance,
        per_unit=per_unit,
        rate=rate,
        expiry_days=expiry_days,
        filter=sale_filter,
    )


def _care_bonus(f: _Fields, rule_id: str) -> CareBonus:
    min_csat = f.decimal("min_csat")
    if not 1 <= min_csat <= 5:
        f.fail("min_csat", f"CSAT is 1 to 5, got {min_csat}")
    if f.has("amount") == f.has("rate"):
        f.fail("amount", "give exactly one of amount (fixed bonus) or rate (fraction of period revenue)")
    min_rated = f.integer("min_rated_cases", default=1)
    if min_rated < 1:
        f.fail("min_rated_cases", f"must be 1 or more, got {min_rated}")
    return CareBonus(
        rule_id=rule_id,
        min_csat=min_csat,
        max_avg_resolution_hours=f.positive("max_avg_resolution_hours"),
        min_rated_cases=min_rated,
        amount=f.positive("amount") if f.has("amount") else None,
        rate=f.rate("rate") if f.has("rate") else None,
    )
