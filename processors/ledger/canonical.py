"""Canonical JSON form of the core's dataclasses: one byte string per value, and back.

Used for partner-state snapshots (``PartnerState.to_bytes``) and to compare replays byte for
byte. Canonical means: keys sorted, no whitespace, ``Decimal`` as its exact string (scale
kept), datetimes as ISO-8601, enums by value, tuples as lists (named tuples as objects, like
dataclasses), input events tagged with their
``event_type`` so a union can be decoded. Decoding is driven by the dataclasses' type hints.

A class may give its own form: ``canonical_form()`` returns a value encoded in its place, and
the classmethod ``from_canonical_form(data)`` rebuilds it (used by persistent structures whose
canonical form is their contents, not their layout).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import TypeVar, Union, cast

from schemas.events import EVENT_TYPES, Event

JsonValue = None | bool | int | str | list["JsonValue"] | dict[str, "JsonValue"]
T = TypeVar("T")


class CanonicalError(ValueError):
    """A value cannot be encoded, or bytes do not decode to the requested type."""


def to_json(value: object) -> JsonValue:
    """The canonical JSON-able form of ``value``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        return cast(str, value.value)
    if isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise CanonicalError(f"naive datetime {value!r} has no canonical form")
        return value.isoformat()
    if isinstance(value, tuple | list):
        fields = getattr(type(value), "_fields", None)
        if fields is not None:  # a named tuple: a record, encoded like a dataclass
            return {name: to_json(v) for name, v in zip(fields, value, strict=True)}
        return [to_json(v) for v in value]
    canonical_form = getattr(value, "canonical_form", None)
    if canonical_form is not None:
        return to_json(canonical_form())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, JsonValue] = {
            f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
        if isinstance(value, Event):
            out["event_type"] = value.event_type
        return out
    if isinstance(value, Mapping):
        return {_key(k): to_json(v) for k, v in value.items()}
    raise CanonicalError(f"no canonical form for {type(value).__name__}")


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    raise CanonicalError(f"mapping key {key!r} is not a string")


def canonical_bytes(value: object) -> bytes:
    """Deterministic UTF-8 JSON bytes of ``value``."""
    return json.dumps(to_json(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode(cls: type[T], data: JsonValue) -> T:
    """Rebuild a value of ``cls`` from its canonical JSON form."""
    return cast(T, _decode(cls, data))


def from_bytes(cls: type[T], raw: bytes) -> T:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise CanonicalError(f"not canonical JSON: {exc}") from exc
    return decode(cls, data)


@cache
def _hints(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def _decode(tp: object, data: JsonValue) -> object:
    if tp is type(None):
        return None
    if tp in (str, int, bool):
        if not isinstance(data, cast(type, tp)):
            raise CanonicalError(f"expected {cast(type, tp).__name__}, got {data!r}")
        return data
    if tp is Decimal:
        return Decimal(_as_str(data))
    if tp is datetime:
        return datetime.fromisoformat(_as_str(data))
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return _decode_union(args, data)
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in _as_list(data))
    if origin is dict or origin is Mapping:
        return {k: _decode(args[1], v) for k, v in _as_dict(data).items()}
    if origin is not None and hasattr(origin, "from_dict"):
        # A string-keyed mapping type; its last type argument is the value type.
        decoded = {k: _decode(args[-1], v) for k, v in _as_dict(data).items()}
        return origin.from_dict(decoded)
    if isinstance(tp, type) and hasattr(tp, "from_canonical_form"):
        return tp.from_canonical_form(data)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, data)
    if isinstance(tp, type) and issubclass(tp, tuple) and hasattr(tp, "_fields"):
        return _decode_named_tuple(tp, data)
    raise CanonicalError(f"cannot decode type {tp!r}")


def _decode_union(args: tuple[object, ...], data: JsonValue) -> object:
    if data is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:
        return _decode(options[0], data)
    fields = _as_dict(data)
    event_type = fields.get("event_type")
    if isinstance(event_type, str) and event_type in EVENT_TYPES:
        return _decode(EVENT_TYPES[event_type], data)
    raise CanonicalError(f"cannot tell which of {options!r} {data!r} is")


def _decode_dataclass(cls: type, data: JsonValue) -> object:
    fields = _as_dict(data)
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in fields:
            raise CanonicalError(f"{cls.__name__}: field {f.name!r} missing")
        kwargs[f.name] = _decode(hints[f.name], fields[f.name])
    return cls(**kwargs)


def _decode_named_tuple(cls: type, data: JsonValue) -> object:
    """A missing field takes its default, if it has one: a field added last with a default
    (``PartnerState.alerts``) leaves the bytes written before it readable."""
    fields = _as_dict(data)
    hints = _hints(cls)
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    defaults: dict[str, object] = cls._field_defaults  # type: ignore[attr-defined]
    values = []
    for name in names:
        if name in fields:
            values.append(_decode(hints[name], fields[name]))
        elif name in defaults:
            values.append(defaults[name])
        else:
            raise CanonicalError(f"{cls.__name__}: field {name!r} missing")
    return cls(*values)


def _as_str(data: JsonValue) -> str:
    if not isinstance(data, str):
        raise CanonicalError(f"expected a string, got {data!r}")
    return data


def _as_list(data: JsonValue) -> list[JsonValue]:
    if not isinstance(data, list):
        raise CanonicalError(f"expected a list, got {data!r}")
    return data


def _as_dict(data: JsonValue) -> dict[str, JsonValue]:
    if not isinstance(data, dict):
        raise CanonicalError(f"expected an object, got {data!r}")
    return data
