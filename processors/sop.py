"""The vendor's standard operating procedures for channel conflict: severity and action per rule.

Both processors (partner: TERRITORY_VIOLATION, OVERPAYMENT; customer: the registration and
contention rules) build alerts from one table so every alert reads the same way. The table is
configuration: a deployment may override any row (``SopTable.with_overrides``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from schemas.outputs import AlertRule, AlertSeverity


@dataclass(frozen=True, slots=True)
class SopRow:
    severity: AlertSeverity
    recommended_action: str


_DEFAULT_ROWS: Mapping[AlertRule, SopRow] = MappingProxyType(
    {
        AlertRule.DUPLICATE_REGISTRATION: SopRow(
            AlertSeverity.MEDIUM,
            "Reject the later registration and tell its partner which registration protects the deal.",
        ),
        AlertRule.REGISTRATION_BREACH: SopRow(
            AlertSeverity.HIGH,
            "Credit the protected partner with the registration bonus and review the offender's "
            "deal with its channel manager.",
        ),
        AlertRule.VENDOR_BYPASS: SopRow(
            AlertSeverity.CRITICAL,
            "Escalate to the channel chief: credit the protected partner in full for the direct "
            "sale and brief the direct sales team on the registration.",
        ),
        AlertRule.TERRITORY_VIOLATION: SopRow(
            AlertSeverity.MEDIUM,
            "Ask the partner's channel manager to confirm the customer's territory; hand the "
            "account to the territory's partner if it stands.",
        ),
        AlertRule.CUSTOMER_CONTENTION: SopRow(
            AlertSeverity.MEDIUM,
            "Assign an account owner among the contending partners and record it as a deal registration.",
        ),
        AlertRule.OVERPAYMENT: SopRow(
            AlertSeverity.HIGH,
            "Hold further payouts to the partner and have finance reconcile or recover the excess.",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class SopTable:
    rows: Mapping[AlertRule, SopRow] = field(default_factory=lambda: _DEFAULT_ROWS)

    def row(self, rule: AlertRule) -> SopRow:
        return self.rows[rule]

    def with_overrides(self, overrides: Mapping[AlertRule, SopRow]) -> SopTable:
        merged = dict(self.rows)
        merged.update(overrides)
        return replace(self, rows=MappingProxyType(merged))


DEFAULT_SOP = SopTable()
