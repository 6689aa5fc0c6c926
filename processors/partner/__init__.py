"""The partner processor: incentives, settlement and territory checks per partner, pure."""

from processors.partner.apply import apply, event_digest, partner_key
from processors.partner.config import DEFAULT_CONFIG, ProcessorConfig
from processors.partner.draft import Output
from processors.partner.state import PartnerState

__all__ = [
    "DEFAULT_CONFIG",
    "Output",
    "PartnerState",
    "ProcessorConfig",
    "apply",
    "event_digest",
    "partner_key",
]
