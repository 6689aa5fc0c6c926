"""The JSON form of every model: examples, JSONL event files, CLI output, integrations.

Rules: an input event names its type in ``event_type``, an output record in ``record_type``
(a dead letter has an ``event_type`` field of its own: the refused event's type). Money is a
decimal string (``"2399.88"``; a JSON number would travel as a float); times are ISO-8601 with
an offset, written in UTC as ``2026-03-01T12:00:00.000Z``; enums by member name; tuples as
arrays; bytes as base64. Reading is strict: a missing, unknown or mistyped field is an error
naming the field, and every such problem is reported at once.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import cast

from schemas.events import EVENT_TYPES
from schemas.models import OUTPUT_TYPES, Model, field_hints
from schemas.problems import Problem
from schemas.reasons import ReasonCode

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject = dict[str, JsonValue]

TYPE_KEY = "event_type"
"""Names the type of an input event."""
RECORD_TYPE_KEY = "record_type"
"""Names the type of an output record."""


class JsonFormError(ValueError):
    """A JSON object that is not a valid model; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)

    @property
    def reason_code(self) -> ReasonCode:
        return self.problems[0].reason_code

    @property
    def field(self) -> str:
        return self.problems[0].field

    @property
    def message(self) -> str:
        return self.problems[0].message


# --- writing ----------------------------------------------------------------------------


def format_time(value: datetime) -> str:
    """UTC, millisecond precision (what the wire keeps), ``Z`` suffix."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _value_to_json(value: object) -> JsonValue:
    if value is None or (isinstance(value, bool | int) and not isinstance(value, Enum)):
        return cast(JsonValue, value)
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return [_value_to_json(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields_to_json(value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _fields_to_json(model: object) -> JsonObject:
    return {f.name: _value_to_json(getattr(model, f.name)) for f in dataclasses.fields(cast(type, model))}


def to_json(model: Model) -> JsonObject:
    """The JSON object for ``model``, its type key (``event_type`` or ``record_type``) first."""
    key = TYPE_KEY if type(model).__name__ in EVENT_TYPES else RECORD_TYPE_KEY
    return {key: type(model).__name__, **_fields_to_json(model)}


# --- reading ----------------------------------------------------------------------------


class _FieldError(Exception):
    def __init__(self, reason_code: ReasonCode, message: str, path: str = "") -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.path = path


def _type_error(expected: str, value: object) -> _FieldError:
    return _FieldError(ReasonCode.SCHEMA_VIOLATION, f"expected {expected}, got {_describe(value)}")


def _describe(value: object) -> str:
    if isinstance(value, float):
        return f"the number {value!r}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, float):
        raise _FieldError(
            ReasonCode.SCHEMA_VIOLATION,
            f'money must be a decimal string such as "12.50", not the number {value!r} (floats lose cents)',
        )
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _type_error("a decimal string", value)
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        raise _type_error("a decimal string", value) from None
    if not parsed.is_finite():
        raise _FieldError(ReasonCode.SCHEMA_VIOLATION, f"{value!r} is not a finite number")
    return parsed


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise _type_error("an ISO-8601 time string", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _type_error("an ISO-8601 time such as 2026-03-01T12:00:00.000Z", value) from None
    if parsed.utcoffset() is None:
        raise _FieldError(
            ReasonCode.SCHEMA_VIOLATION, f"{value!r} has no time zone; write UTC as ...Z or +00:00"
        )
    return parsed.astimezone(UTC)


def _parse_enum(value: object, enum_cls: type[Enum]) -> Enum:
    if not isinstance(value, str):
        raise _type_error(f"a {enum_cls.__name__} name", value)
    member = enum_cls.__members__.get(value)
    if member is None:
        allowed = ", ".join(enum_cls.__members__)
        raise _FieldError(
            ReasonCode.UNKNOWN_ENUM, f"{value!r} is not a {enum_cls.__name__} (one of {allowed})"
        )
    return member


def _parse_bytes(value: object) -> bytes:
    if not isinstance(value, str):
        raise _type_error("a base64 string", value)
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise _type_error("a base64 string", value) from None


def _parse(value: object, hint: object) -> object:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _parse(value, inner)
    if value is None:
        raise _FieldError(ReasonCode.SCHEMA_VIOLATION, "must not be null")
    if origin is tuple:
        if not isinstance(value, list):
            raise _type_error("an array", value)
        item_hint = typing.get_args(hint)[0]
        items = []
        for index, item in enumerate(value):
            try:
                items.append(_parse(item, item_hint))
            except _FieldError as exc:
                raise _FieldError(exc.reason_code, exc.message, f"[{index}]{_dotted(exc.path)}") from None
        return tuple(items)
    if hint is str:
        if not isinstance(value, str):
            raise _type_error("a string", value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error("an integer", value)
        return value
    if hint is Decimal:
        return _parse_decimal(value)
    if hint is datetime:
        return _parse_time(value)
    if hint is bytes:
        return _parse_bytes(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _parse_enum(value, hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _type_error("an object", value)
        problems: list[Problem] = []
        built = _build(hint, value, problems)
        if problems:
            first = problems[0]
            raise _FieldError(first.reason_code, first.message, _dotted(first.field))
        return built
    raise TypeError(f"no JSON reader for {hint}")


def _dotted(path: str) -> str:
    return path if not path or path.startswith(("[", ".")) else "." + path


def _build(cls: type, data: Mapping[str, object], problems: list[Problem], skip: str = "") -> object:
    hints = field_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    problems.extend(
        Problem(ReasonCode.SCHEMA_VIOLATION, key, f"unknown field for {cls.__name__}")
        for key in data
        if key not in known and key != skip
    )
    values: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            if not has_default:
                problems.append(Problem(ReasonCode.SCHEMA_VIOLATION, f.name, "missing"))
            continue
        try:
            values[f.name] = _parse(data[f.name], hints[f.name])
        except _FieldError as exc:
            problems.append(Problem(exc.reason_code, f.name + exc.path, exc.message))
    if problems:
        return None
    try:
        return cls(**values)
    except ValueError as exc:  # a model's own invariant, e.g. a ledger entry's balance
        problems.append(Problem(ReasonCode.SCHEMA_VIOLATION, "", str(exc)))
        return None


def from_json(data: Mapping[str, object]) -> Model:
    """The model for a JSON object; raises ``JsonFormError`` listing every problem."""
    if not isinstance(data, Mapping):
        raise JsonFormError(
            [Problem(ReasonCode.SCHEMA_VIOLATION, "", f"expected a JSON object, got {_describe(data)}")]
        )
    key = RECORD_TYPE_KEY if RECORD_TYPE_KEY in data else TYPE_KEY
    known: Mapping[str, type] = OUTPUT_TYPES if key == RECORD_TYPE_KEY else EVENT_TYPES
    type_name = data.get(key)
    if not isinstance(type_name, str) or type_name not in known:
        kind = "output record" if key == RECORD_TYPE_KEY else "event"
        message = "missing" if type_name is None else f"{_describe(type_name)} is not a known {kind} type"
        raise JsonFormError([Problem(ReasonCode.UNKNOWN_EVENT_TYPE, key, message)])
    problems: list[Problem] = []
    model = _build(known[type_name], data, problems, skip=key)
    if problems:
        raise JsonFormError(problems)
    return cast(Model, model)
