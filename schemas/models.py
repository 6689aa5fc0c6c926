"""Every model that has a wire schema, by the name its Avro record and JSON form carry.

The codec and the JSON form look classes up here, so an input event and an output record are
encoded, decoded and validated through one path.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from types import MappingProxyType

from schemas.events import EVENT_TYPES, Event, InputEvent
from schemas.outputs import (
    AccrualForgone,
    AlertParty,
    ConflictAlert,
    DeadLetter,
    LedgerEntry,
    Posting,
    Rejected,
)

OutputRecord = LedgerEntry | ConflictAlert | AccrualForgone | DeadLetter | Rejected
Model = InputEvent | OutputRecord
"""Anything ``schemas.codec.encode`` accepts and ``decode`` returns."""

NestedRecord = Posting | AlertParty

OUTPUT_TYPES: Mapping[str, type[OutputRecord]] = MappingProxyType(
    {cls.__name__: cls for cls in (LedgerEntry, ConflictAlert, AccrualForgone, DeadLetter, Rejected)}
)
"""Output records with a top-level schema of their own."""

NESTED_TYPES: Mapping[str, type[NestedRecord]] = MappingProxyType(
    {cls.__name__: cls for cls in (Posting, AlertParty)}
)
"""Records that only appear inside another record (a ledger entry's postings, an alert's parties)."""

MODEL_TYPES: Mapping[str, type[Event] | type[OutputRecord]] = MappingProxyType(
    {**EVENT_TYPES, **OUTPUT_TYPES}
)
"""Every top-level model: the input events and the output records."""


def is_input_event(model: object) -> bool:
    return isinstance(model, Event) and EVENT_TYPES.get(type(model).__name__) is type(model)


_HINTS: dict[type, Mapping[str, object]] = {}


def field_hints(cls: type) -> Mapping[str, object]:
    """The resolved type hint of each dataclass field (the models use postponed annotations)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = MappingProxyType(typing.get_type_hints(cls))
    return hints
