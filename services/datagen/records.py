"""What the generator yields: a valid event (with what was staged in it) or an invalid payload.

Tags let tests and the demo count what was injected without re-deriving it: a late delivery,
the conflict rule a record was staged to trigger, and for invalid payloads the reason code
validation must refuse them with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.events import InputEvent
from schemas.outputs import AlertRule
from schemas.reasons import ReasonCode


class InvalidKind(StrEnum):
    """The defects injected into invalid payloads, each refused for one known reason."""

    NEGATIVE_QUANTITY = "NEGATIVE_QUANTITY"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    DIRECT_WITH_PARTNER = "DIRECT_WITH_PARTNER"
    CSAT_OUT_OF_RANGE = "CSAT_OUT_OF_RANGE"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    GARBAGE = "GARBAGE"
    UNKNOWN_EVENT_TYPE = "UNKNOWN_EVENT_TYPE"

    @property
    def reason(self) -> ReasonCode:
        """The reason code validation refuses this defect with, in JSONL and in Avro alike."""
        return _REASONS[self]


_REASONS: dict[InvalidKind, ReasonCode] = {
    InvalidKind.NEGATIVE_QUANTITY: ReasonCode.NON_POSITIVE_QUANTITY,
    InvalidKind.UNKNOWN_CURRENCY: ReasonCode.UNKNOWN_CURRENCY,
    InvalidKind.DIRECT_WITH_PARTNER: ReasonCode.DIRECT_SALE_WITH_PARTNER,
    InvalidKind.CSAT_OUT_OF_RANGE: ReasonCode.CSAT_OUT_OF_RANGE,
    InvalidKind.AMOUNT_MISMATCH: ReasonCode.AMOUNT_MISMATCH,
    InvalidKind.GARBAGE: ReasonCode.UNDECODABLE,
    InvalidKind.UNKNOWN_EVENT_TYPE: ReasonCode.UNKNOWN_EVENT_TYPE,
}


@dataclass(frozen=True, slots=True)
class ValidRecord:
    """A valid input event as it is delivered.

    ``late``: delivered after events with a later business time. ``staged``: the conflict
    rule this event was generated to trigger (one situation may span several events; only
    the event that completes it is tagged).
    """

    event: InputEvent
    late: bool = False
    staged: AlertRule | None = None


@dataclass(frozen=True, slots=True)
class InvalidRecord:
    """A payload validation must refuse with ``kind.reason``.

    ``model`` is the event the defect is carried in (for GARBAGE, the event the bytes were
    meant to be; for UNKNOWN_EVENT_TYPE, a valid event whose type name the writers replace).
    ``noise`` are the random bytes of a GARBAGE payload. Rendering to JSONL or Avro is the
    writers' job (``services.datagen.payloads``).
    """

    kind: InvalidKind
    model: InputEvent
    noise: bytes = b""

    @property
    def reason(self) -> ReasonCode:
        return self.kind.reason


GeneratedRecord = ValidRecord | InvalidRecord
