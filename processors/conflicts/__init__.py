"""Channel-conflict detection keyed by customer: DUPLICATE_REGISTRATION, REGISTRATION_BREACH,
VENDOR_BYPASS and CUSTOMER_CONTENTION, plus the alert lifecycle (docs/conflicts.md).

The stream adapters need only this: route each event with ``customer_key``, then
``state, outputs = apply(state, event, config)``; persist ``state.to_bytes()`` and restore
with ``CustomerState.from_bytes``. ``fold_alerts`` (``alert_book.fold``) turns the alert
topic into open alerts and the mean time to resolve.
"""

from processors.conflicts.alert_book import AlertBook, AlertTrack
from processors.conflicts.alert_book import fold as fold_alerts
from processors.conflicts.alerts import alert_id_for
from processors.conflicts.config import ConfigError, ConflictConfig
from processors.conflicts.processor import CustomerEvent, Output, apply, customer_key
from processors.conflicts.registrations import RegistrationStatus
from processors.conflicts.state import CustomerState

__all__ = [
    "AlertBook",
    "AlertTrack",
    "ConfigError",
    "ConflictConfig",
    "CustomerEvent",
    "CustomerState",
    "Output",
    "RegistrationStatus",
    "alert_id_for",
    "apply",
    "customer_key",
    "fold_alerts",
]
