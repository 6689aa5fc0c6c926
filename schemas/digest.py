"""A stable fingerprint of an event's content, for spotting a reused event id.

The partner processor keeps ``content_digest`` per seen ``event_id``: the same id with the same
digest is a redelivery (skip it), with another digest a DUPLICATE_EVENT_ID dead letter. The
digest is taken over a canonical text of the field values, not over the Avro bytes, so it stays
the same when a schema gains an optional field (null fields are left out), and equal values
hash equally however they were written (``10.5`` and ``10.500000``; a time with microseconds
hashes as the wire keeps it, at millisecond precision).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

from schemas.events import Event

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_SORTED_FIELDS: dict[type, tuple[str, ...]] = {}


def _text(value: object) -> str:
    # Strings carry their length and every other value a type tag, so no two different
    # contents give the same text (the string "1" and the integer 1, "10.5" and Decimal 10.5).
    if isinstance(value, str) and not isinstance(value, Enum):
        return f"s{len(value)}:{value}"
    if type(value) is int:
        return f"i{value};"
    if isinstance(value, Enum):
        return f"e{len(value.name)}:{value.name}"
    if isinstance(value, Decimal):
        digits = "0" if value.is_zero() else format(value.normalize(), "f")
        return f"d{digits};"
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            return f"n{value.isoformat()};"
        return f"t{(value - _EPOCH) // _ONE_MS};"
    if isinstance(value, tuple | list):
        return f"a{len(value)}[" + "".join(_text(item) for item in value) + "]"
    if isinstance(value, bytes):
        return f"y{value.hex()};"
    if isinstance(value, bool):
        return f"b{int(value)};"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _record_text(value)
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _record_text(model: DataclassInstance) -> str:
    cls = type(model)
    names = _SORTED_FIELDS.get(cls)
    if names is None:
        names = tuple(sorted(f.name for f in dataclasses.fields(cls)))
        _SORTED_FIELDS[cls] = names
    parts = [f"r{cls.__name__}{{"]
    for name in names:
        value = getattr(model, name)
        if value is not None:  # absent and null are the same content
            parts.append(f"{name}={_text(value)}")
    parts.append("}")
    return "".join(parts)


def content_digest(event: Event) -> str:
    """SHA-256 (hex) over the event's type and field values, independent of the wire schema."""
    return hashlib.sha256(_record_text(event).encode("utf-8")).hexdigest()
