"""A model as the plain record an independent Avro implementation reads or writes."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum

from schemas.events import Event
from schemas.money import MONEY_SCALE

_SCALE = Decimal(1).scaleb(-MONEY_SCALE)


def wire_view(model: object) -> dict[str, object]:
    """Enums by symbol, tuples as lists, nested records as dicts, ``event_type`` for events.

    Decimals are quantized to the schema's scale: the ``avro`` library writes a Decimal's own
    digits without rescaling, so it must be handed values already at scale 6.
    """
    record: dict[str, object] = {"event_type": type(model).__name__} if isinstance(model, Event) else {}
    for field in dataclasses.fields(model):  # type: ignore[arg-type]
        record[field.name] = _value(getattr(model, field.name))
    return record


def _value(value: object) -> object:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, Decimal):
        return value.quantize(_SCALE)
    if isinstance(value, tuple):
        return [_value(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return wire_view(value)
    if isinstance(value, datetime):
        return value
    return value
