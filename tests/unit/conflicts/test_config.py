"""ConflictConfig: validated defaults, and clear errors for bad TOML values."""

from __future__ import annotations

import tomllib

import pytest

from processors.conflicts import ConfigError, ConflictConfig
from processors.sop import DEFAULT_SOP
from schemas.outputs import AlertRule, AlertSeverity


def test_defaults_are_the_documented_product_defaults() -> None:
    config = ConflictConfig()
    assert (config.contention_min_partners, config.contention_window_days) == (3, 30)
    assert config.registration_ttl_days == 90
    assert config.allowed_lateness_days == 45
    assert config.sop == DEFAULT_SOP
    assert config.sales_kept_days == 75


def test_from_mapping_reads_a_toml_table_with_sop_overrides() -> None:
    raw = tomllib.loads(
        """
        [conflicts]
        contention_min_partners = 4
        contention_window_days = 14
        registration_ttl_days = 60

        [conflicts.sop.CUSTOMER_CONTENTION]
        severity = "high"
        recommended_action = "Call a partner council."

        [conflicts.sop.VENDOR_BYPASS]
        severity = "high"
        """
    )
    config = ConflictConfig.from_mapping(raw["conflicts"])

    assert (config.contention_min_partners, config.contention_window_days) == (4, 14)
    assert config.registration_ttl_days == 60 and config.allowed_lateness_days == 45
    contention = config.sop.row(AlertRule.CUSTOMER_CONTENTION)
    assert (contention.severity, contention.recommended_action) == (
        AlertSeverity.HIGH,
        "Call a partner council.",
    )
    bypass = config.sop.row(AlertRule.VENDOR_BYPASS)
    assert bypass.severity is AlertSeverity.HIGH
    assert bypass.recommended_action == DEFAULT_SOP.row(AlertRule.VENDOR_BYPASS).recommended_action
    assert config.sop.row(AlertRule.REGISTRATION_BREACH) == DEFAULT_SOP.row(AlertRule.REGISTRATION_BREACH)


def test_an_empty_table_gives_the_defaults() -> None:
    assert ConflictConfig.from_mapping({}) == ConflictConfig()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"contention_window": 30}, r"unknown key\(s\) contention_window; allowed: "),
        (
            {"contention_window_days": "30d"},
            r"conflicts.contention_window_days: expected an integer, got '30d'",
        ),
        ({"contention_window_days": True}, r"contention_window_days: expected an integer"),
        ({"contention_window_days": 0}, r"contention_window_days: must be between 1 and 3660, got 0"),
        ({"contention_min_partners": 1}, r"contention_min_partners: must be between 2 and 1000, got 1"),
        ({"registration_ttl_days": -5}, r"registration_ttl_days: must be between 1"),
        ({"allowed_lateness_days": -1}, r"allowed_lateness_days: must be between 0"),
        ({"max_evidence_per_alert": 2}, r"max_evidence_per_alert: must be between 4"),
        ({"vendor_party_id": " "}, r"vendor_party_id: expected a non-empty string"),
        ({"vendor_party_id": 7}, r"vendor_party_id: expected a string, got 7"),
        ({"sop": {"NOT_A_RULE": {}}}, r"conflicts.sop.NOT_A_RULE: unknown rule; known rules: DUPLICATE_"),
        (
            {"sop": {"VENDOR_BYPASS": {"severity": "urgent"}}},
            r"VENDOR_BYPASS.severity: 'urgent' is not one of low",
        ),
        ({"sop": {"VENDOR_BYPASS": {"colour": "red"}}}, r"VENDOR_BYPASS: unknown key\(s\) colour"),
        ({"sop": {"VENDOR_BYPASS": {"recommended_action": ""}}}, r"recommended_action: expected a non-empty"),
        ({"sop": ["VENDOR_BYPASS"]}, r"conflicts.sop: expected a table of rules"),
    ],
)
def test_bad_values_are_refused_naming_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConflictConfig.from_mapping(raw)


def test_the_constructor_validates_too() -> None:
    with pytest.raises(ConfigError, match="contention_min_partners"):
        ConflictConfig(contention_min_partners=0)
