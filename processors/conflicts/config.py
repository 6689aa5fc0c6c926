"""Configuration of channel-conflict detection: thresholds, windows, lateness, SOP rows.

Everything a vendor may tune lives in one frozen, validated object. Durations are whole
days because the rules are stated to channel managers in days ("3 partners in 30 days"),
and the contention window is counted in UTC calendar days (see docs/conflicts.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta

from processors.sop import DEFAULT_SOP, SopRow, SopTable
from schemas.outputs import AlertRule, AlertSeverity


class ConfigError(ValueError):
    """A configuration value is missing, of the wrong type or out of range; names the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictConfig:
    """Validated settings of the customer processor; the defaults are the product defaults."""

    contention_min_partners: int = 3
    """CUSTOMER_CONTENTION fires when this many different partners sell one customer + line..."""
    contention_window_days: int = 30
    """...within this many consecutive UTC calendar days."""
    registration_ttl_days: int = 90
    """Protection of an approval without ``expires_at`` ends this long after registration."""
    allowed_lateness_days: int = 45
    """How far behind the customer's business clock an event may be and still be judged
    exactly; older ones are refused (``LATE_EVENT``). Also sets how long facts are kept."""
    max_evidence_per_alert: int = 100
    """Bound on the evidence ids one alert carries; further evidence adds no revision."""
    vendor_party_id: str = "VENDOR"
    """The party id that stands for the vendor's direct sales team in VENDOR_BYPASS alerts."""
    sop: SopTable = field(default_factory=lambda: DEFAULT_SOP)
    ttl: timedelta = field(init=False, repr=False, compare=False)
    """``registration_ttl_days`` as a duration (derived; the hot path needs it per event)."""
    lateness: timedelta = field(init=False, repr=False, compare=False)
    """``allowed_lateness_days`` as a duration (derived)."""
    sales_kept_days: int = field(init=False, repr=False, compare=False)
    """Days of sales a customer state keeps: a sale still acceptable (up to the lateness
    behind the clock) may fall into a contention window reaching this far back (derived)."""

    def __post_init__(self) -> None:
        _check_int("contention_min_partners", self.contention_min_partners, 2, 1000)
        _check_int("contention_window_days", self.contention_window_days, 1, 3660)
        _check_int("registration_ttl_days", self.registration_ttl_days, 1, 3660)
        _check_int("allowed_lateness_days", self.allowed_lateness_days, 0, 3660)
        _check_int(
            "max_evidence_per_alert",
            self.max_evidence_per_alert,
            max(4, self.contention_min_partners),
            100_000,
        )
        if not isinstance(self.vendor_party_id, str) or not self.vendor_party_id.strip():
            raise ConfigError("conflicts.vendor_party_id: expected a non-empty string")
        if not isinstance(self.sop, SopTable):
            raise ConfigError("conflicts.sop: expected an SopTable")
        object.__setattr__(self, "ttl", timedelta(days=self.registration_ttl_days))
        object.__setattr__(self, "lateness", timedelta(days=self.allowed_lateness_days))
        object.__setattr__(self, "sales_kept_days", self.contention_window_days + self.allowed_lateness_days)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object]) -> ConflictConfig:
        """Build from a parsed TOML table (``[conflicts]``); every error names the offending key.

        Keys are the field names; ``sop`` is a table of rule name to
        ``{severity = "high", recommended_action = "..."}`` overriding the default SOP rows.
        """
        if not isinstance(raw, Mapping):
            raise ConfigError(f"conflicts: expected a table, got {type(raw).__name__}")
        allowed = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise ConfigError(
                f"conflicts: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
            )
        defaults = cls()
        party = raw.get("vendor_party_id", defaults.vendor_party_id)
        if not isinstance(party, str):
            raise ConfigError(f"conflicts.vendor_party_id: expected a string, got {party!r}")
        return cls(
            contention_min_partners=_int(raw, "contention_min_partners", defaults.contention_min_partners),
            contention_window_days=_int(raw, "contention_window_days", defaults.contention_window_days),
            registration_ttl_days=_int(raw, "registration_ttl_days", defaults.registration_ttl_days),
            allowed_lateness_days=_int(raw, "allowed_lateness_days", defaults.allowed_lateness_days),
            max_evidence_per_alert=_int(raw, "max_evidence_per_alert", defaults.max_evidence_per_alert),
            vendor_party_id=party,
            sop=_sop_from_mapping(raw["sop"]) if "sop" in raw else DEFAULT_SOP,
        )


def _int(raw: Mapping[str, object], name: str, default: int) -> int:
    value = raw.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"conflicts.{name}: expected an integer, got {value!r}")
    return value


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"conflicts.{name}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"conflicts.{name}: must be between {low} and {high}, got {value}")


def _sop_from_mapping(raw: object) -> SopTable:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"conflicts.sop: expected a table of rules, got {raw!r}")
    overrides: dict[AlertRule, SopRow] = {}
    for rule_name, row in raw.items():
        where = f"conflicts.sop.{rule_name}"
        try:
            rule = AlertRule(rule_name)
        except ValueError:
            known = ", ".join(r.value for r in AlertRule)
            raise ConfigError(f"{where}: unknown rule; known rules: {known}") from None
        if not isinstance(row, Mapping):
            raise ConfigError(f"{where}: expected a table with severity and recommended_action")
        extra = sorted(set(row) - {"severity", "recommended_action"})
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(extra)}")
        default = DEFAULT_SOP.row(rule)
        severity_raw = row.get("severity", default.severity.value)
        try:
            severity = AlertSeverity(severity_raw)
        except ValueError:
            known = ", ".join(s.value for s in AlertSeverity)
            raise ConfigError(f"{where}.severity: {severity_raw!r} is not one of {known}") from None
        action = row.get("recommended_action", default.recommended_action)
        if not isinstance(action, str) or not action.strip():
            raise ConfigError(f"{where}.recommended_action: expected a non-empty string")
        overrides[rule] = SopRow(severity, action)
    return DEFAULT_SOP.with_overrides(overrides)
