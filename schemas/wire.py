"""Field converters between the typed models and the plain records fastavro reads and writes.

A ``RecordPlan`` is derived once per record type by walking its Avro schema beside the
dataclass's type hints, so the schema decides the wire shape and the model only supplies the
Python classes (enums, nested records). fastavro then runs on a copy of the schema with logical
types removed, and these converters do decimals and timestamps themselves: the binary layout is
identical, the values are checked on the way out (scale, precision, int ranges, aware times),
and decoding is faster than fastavro's own logical-type readers.
"""

from __future__ import annotations

import dataclasses
import keyword
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from enum import Enum
from typing import cast

from schemas.models import field_hints
from schemas.money import MONEY_PRECISION, MONEY_SCALE, money_problem

Convert = Callable[[object], object]
"""One value from model to wire form or back; raises ``WireValueError`` on a bad value."""

ENVELOPE_TYPE_FIELD = "event_type"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""Decimal context wide enough that rescaling wire money never rounds."""
_INT_BOUNDS = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})


class WireValueError(ValueError):
    """A model value the schema cannot carry; ``path`` says where in the record."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

    def under(self, prefix: str) -> WireValueError:
        path = f"{prefix}.{self.path}" if self.path and not self.path.startswith("[") else prefix + self.path
        return WireValueError(path, self.message)


class SchemaModelMismatchError(Exception):
    """An Avro schema and its Python model disagree (a programming error, found at startup)."""


@dataclass(frozen=True, slots=True)
class _Converters:
    to_wire: Convert | None
    from_wire: Convert | None
    value_checked: bool = False
    """True when ``to_wire`` can refuse a value of the right Python type (an int out of range,
    money beyond the scale, a naive time); plain type checks are the type checker's job."""
    accepts: str | None = None
    """For a value-checked converter: a Python expression over ``v`` that is true only for
    values ``to_wire`` takes (a sufficient condition, cheap; see ``_compile_accepts``). None
    when there is no such shortcut: the value is then checked by calling ``to_wire``."""


# --- leaf converters --------------------------------------------------------------------


def _check_type(expected: type, label: str) -> Convert:
    def to_wire(value: object) -> object:
        if not isinstance(value, expected):
            raise WireValueError("", f"expected {label}, got {value!r}")
        return value

    return to_wire


def _integer_accepts(avro_type: str) -> str:
    low, high = _INT_BOUNDS[avro_type]
    return f"(type(v) is int and {low} <= v <= {high})"


_MONEY_ACCEPTS = "(type(v) is _Decimal and v.same_quantum(_MICRO) and _MONEY_LOW < v < _MONEY_HIGH)"
"""Money with exactly the wire's scale (every decoded amount) and fewer digits than its
precision allows before the point: ``money_problem`` finds nothing, ``_money_to_wire`` converts.
``same_quantum`` goes first: it is false for NaN and infinities, which cannot be ordered."""
_TIMESTAMP_ACCEPTS = "(type(v) is _datetime and v.tzinfo is _UTC)"
"""A UTC time (every decoded time): aware, so ``_timestamp_to_wire`` converts it."""


def _integer(avro_type: str) -> Convert:
    low, high = _INT_BOUNDS[avro_type]

    def to_wire(value: object) -> object:
        if type(value) is not int:
            raise WireValueError("", f"expected an integer, got {value!r}")
        if not low <= value <= high:
            raise WireValueError("", f"{value} does not fit an Avro {avro_type}")
        return value

    return to_wire


def _money_to_wire(value: object) -> object:
    if not isinstance(value, Decimal):
        raise WireValueError("", f"expected a Decimal, got {value!r}")
    problem = money_problem(value)
    if problem is not None:
        raise WireValueError("", problem)
    unscaled = int(value.scaleb(MONEY_SCALE, _EXACT))
    magnitude = unscaled if unscaled >= 0 else ~unscaled
    # Shortest two's complement, as Java's BigInteger.toByteArray writes it.
    return unscaled.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)


_MONEY_READ: dict[object, Decimal] = {}
"""Wire bytes -> amount, for amounts read before: prices and amounts repeat across a stream,
and a ``Decimal`` is immutable, so the same bytes may share one. Emptied when full."""
_MONEY_READ_MAX = 1 << 16


def _money_from_wire(value: object) -> object:
    money = _MONEY_READ.get(value)
    if money is None:
        money = Decimal(int.from_bytes(cast(bytes, value), "big", signed=True)).scaleb(-MONEY_SCALE, _EXACT)
        if len(_MONEY_READ) >= _MONEY_READ_MAX:
            _MONEY_READ.clear()
        _MONEY_READ[value] = money
    return money


def _timestamp_to_wire(value: object) -> object:
    if not isinstance(value, datetime):
        raise WireValueError("", f"expected a datetime, got {value!r}")
    if value.utcoffset() is None:
        raise WireValueError("", f"{value.isoformat()} has no time zone; the contract carries UTC times")
    return (value - _EPOCH) // _ONE_MS


def _timestamp_from_wire(value: object) -> object:
    try:
        return _EPOCH + _ONE_MS * cast(int, value)  # the same time, without keyword parsing
    except OverflowError:
        return _EPOCH + timedelta(milliseconds=cast(int, value))  # raises as it always did


def _enum(symbols: list[str], enum_cls: type[Enum]) -> _Converters:
    by_symbol = {member.name: member for member in enum_cls}
    if list(by_symbol) != symbols:
        raise SchemaModelMismatchError(
            f"Avro enum {enum_cls.__name__} has symbols {symbols}, the model {list(by_symbol)}"
        )

    def to_wire(value: object) -> object:
        if not isinstance(value, enum_cls):
            raise WireValueError("", f"expected a {enum_cls.__name__}, got {value!r}")
        return value.name

    return _Converters(to_wire, cast(Convert, by_symbol.__getitem__))


def _array(items: _Converters) -> _Converters:
    item_to, item_from = items.to_wire, items.from_wire

    def to_wire(value: object) -> object:
        if not isinstance(value, tuple | list):
            raise WireValueError("", f"expected a tuple, got {value!r}")
        if item_to is None:
            return value
        converted = []
        for index, item in enumerate(value):
            try:
                converted.append(item_to(item))
            except WireValueError as exc:
                raise exc.under(f"[{index}]") from None
        return converted

    def from_wire(value: object) -> object:
        items_read = cast(list[object], value)
        if item_from is None:
            return tuple(items_read)
        return tuple([item_from(item) for item in items_read])

    return _Converters(to_wire, from_wire, items.value_checked)


def _optional(inner: _Converters) -> _Converters:
    inner_to, inner_from = inner.to_wire, inner.from_wire

    def to_wire(value: object) -> object:
        return None if value is None or inner_to is None else inner_to(value)

    def from_wire(value: object) -> object:
        return value if value is None else cast(Convert, inner_from)(value)

    accepts = None if inner.accepts is None else f"(v is None or {inner.accepts})"
    return _Converters(to_wire, None if inner_from is None else from_wire, inner.value_checked, accepts)


# --- walking a schema beside a model ----------------------------------------------------


def _unwrap_optional(hint: object) -> object:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


class _Walker:
    """Resolves named types while walking one schema (Avro defines a name once, then refers)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.named: dict[str, _Converters] = {}

    def fullname(self, name: str, namespace: str) -> str:
        return name if "." in name else f"{namespace}.{name}"

    def converters(self, avro_type: object, hint: object, namespace: str) -> _Converters:
        if isinstance(avro_type, str):
            if avro_type in _PRIMITIVES:
                return self._primitive(avro_type, hint)
            return self.named[self.fullname(avro_type, namespace)]
        if isinstance(avro_type, list):
            branches = [branch for branch in avro_type if branch != "null"]
            if len(branches) != 1 or len(avro_type) != 2:
                raise SchemaModelMismatchError(f"only [null, T] unions are supported, got {avro_type}")
            return _optional(self.converters(branches[0], _unwrap_optional(hint), namespace))
        schema = cast(Mapping[str, object], avro_type)
        kind = schema["type"]
        logical = schema.get("logicalType")
        if kind == "bytes" and logical == "decimal":
            if (schema.get("precision"), schema.get("scale")) != (MONEY_PRECISION, MONEY_SCALE):
                raise SchemaModelMismatchError(f"money must be decimal({MONEY_PRECISION}, {MONEY_SCALE})")
            return _Converters(_money_to_wire, _money_from_wire, value_checked=True, accepts=_MONEY_ACCEPTS)
        if kind == "long" and logical == "timestamp-millis":
            return _Converters(
                _timestamp_to_wire, _timestamp_from_wire, value_checked=True, accepts=_TIMESTAMP_ACCEPTS
            )
        if kind == "array":
            item_hint = typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else None
            return _array(self.converters(schema["items"], item_hint, namespace))
        if kind in ("enum", "record"):
            return self._named(schema, hint, namespace)
        if isinstance(kind, str) and kind in _PRIMITIVES:
            return self._primitive(kind, hint)
        raise SchemaModelMismatchError(f"unsupported Avro type {schema}")

    def _primitive(self, avro_type: str, hint: object) -> _Converters:
        if avro_type in _INT_BOUNDS:
            return _Converters(
                _integer(avro_type), None, value_checked=True, accepts=_integer_accepts(avro_type)
            )
        if avro_type == "string":
            return _Converters(_check_type(str, "a string"), None)
        if avro_type == "bytes":
            return _Converters(_check_type(bytes, "bytes"), None)
        raise SchemaModelMismatchError(f"Avro {avro_type} has no model counterpart (hint {hint})")

    def _named(self, schema: Mapping[str, object], hint: object, namespace: str) -> _Converters:
        own_namespace = cast(str, schema.get("namespace", namespace))
        fullname = self.fullname(cast(str, schema["name"]), own_namespace)
        if not isinstance(hint, type):
            raise SchemaModelMismatchError(f"{fullname} has no model class (hint {hint})")
        if schema["type"] == "enum":
            if not issubclass(hint, Enum):
                raise SchemaModelMismatchError(f"{fullname} is an enum, the model has {hint}")
            found = _enum(cast(list[str], schema["symbols"]), hint)
        else:
            plan = self.record(schema, hint, own_namespace)
            found = _Converters(plan.to_wire, plan.from_wire_value, value_checked=bool(plan.value_checks))
        self.named[fullname] = found
        return found

    def record(self, schema: Mapping[str, object], cls: type, namespace: str) -> RecordPlan:
        if cls.__name__ != schema["name"]:
            raise SchemaModelMismatchError(f"schema {schema['name']} is mapped to model {cls.__name__}")
        hints = field_hints(cls)
        model_fields = [f.name for f in dataclasses.fields(cls)]
        avro_fields = cast(list[Mapping[str, object]], schema["fields"])
        names = [cast(str, f["name"]) for f in avro_fields]
        has_event_type = ENVELOPE_TYPE_FIELD in names and ENVELOPE_TYPE_FIELD not in model_fields
        if sorted(n for n in names if not (has_event_type and n == ENVELOPE_TYPE_FIELD)) != sorted(
            model_fields
        ):
            raise SchemaModelMismatchError(
                f"{cls.__name__}: Avro fields {names} vs model fields {model_fields}"
            )
        fields: list[tuple[str, _Converters]] = []
        for avro_field in avro_fields:
            name = cast(str, avro_field["name"])
            if has_event_type and name == ENVELOPE_TYPE_FIELD:
                continue
            fields.append((name, self.converters(avro_field["type"], hints[name], namespace)))
        return RecordPlan(cls.__name__, cls, tuple(fields), has_event_type)


class RecordPlan:
    """How one record type's fields travel; ``to_wire`` and ``from_wire`` are the hot paths."""

    __slots__ = (
        "_accepts",
        "_from_wire",
        "_to_wire",
        "cls",
        "fields",
        "has_event_type",
        "type_name",
        "value_checks",
    )

    def __init__(
        self, type_name: str, cls: type, fields: tuple[tuple[str, _Converters], ...], has_event_type: bool
    ) -> None:
        self.type_name = type_name
        self.cls = cls
        self.fields = tuple(name for name, _ in fields)
        self.has_event_type = has_event_type
        self._to_wire = tuple((name, conv.to_wire) for name, conv in fields)
        checked = tuple(item for item in fields if item[1].value_checked and item[1].to_wire is not None)
        self.value_checks = tuple((name, cast(Convert, conv.to_wire)) for name, conv in checked)
        self._from_wire = _compile_from_wire(cls, fields)
        self._accepts = _compile_accepts(cls, checked)

    def to_wire(self, model: object) -> dict[str, object]:
        """The record fastavro writes; raises ``WireValueError`` naming the first bad field."""
        if type(model) is not self.cls:
            raise WireValueError("", f"expected a {self.type_name}, got {type(model).__name__}")
        record: dict[str, object] = {ENVELOPE_TYPE_FIELD: self.type_name} if self.has_event_type else {}
        for name, convert in self._to_wire:
            value = getattr(model, name)
            if convert is not None:
                try:
                    value = convert(value)
                except WireValueError as exc:
                    raise exc.under(name) from None
            record[name] = value
        return record

    def problems(self, model: object) -> list[WireValueError]:
        """Every field whose value the schema cannot carry (``to_wire`` stops at the first).

        Only value constraints are checked (int ranges, money scale and precision, aware
        times): a model built by ``decode``, ``from_json`` or type-checked code has the
        declared Python types already.
        """
        if self._accepts(model):  # the usual case: every value fits, found cheaply
            return []
        found: list[WireValueError] = []
        for name, convert in self.value_checks:
            try:
                convert(getattr(model, name))
            except WireValueError as exc:
                found.append(exc.under(name))
        return found

    def from_wire(self, record: dict[str, object]) -> object:
        """The model from a record fastavro read (its ``event_type`` is not looked at)."""
        return self._from_wire(record)

    def from_wire_value(self, value: object) -> object:
        return self.from_wire(cast(dict[str, object], value))


def _compile_from_wire(
    cls: type, fields: tuple[tuple[str, _Converters], ...]
) -> Callable[[dict[str, object]], object]:
    """A builder specialised to one record type: decoding's hot path.

    Generated like dataclasses generates ``__init__``: one straight line per field, converters
    bound as locals. It fills the frozen instance's slots directly, which skips keyword-argument
    matching and is the difference between reaching fastavro's raw decode speed and not. Only
    the field names of our own schemas go into the source. A model that defines
    ``__post_init__`` is built through its constructor instead, so its checks still run.
    """
    bindings: dict[str, object] = {"_cls": cls, "_new": object.__new__, "_set": object.__setattr__}
    values: list[tuple[str, str]] = []
    for index, (name, converters) in enumerate(fields):
        if not name.isidentifier():
            raise SchemaModelMismatchError(f"field name {name!r} is not an identifier")
        value = f"record[{name!r}]"
        if converters.from_wire is not None:
            bindings[f"_convert{index}"] = converters.from_wire
            value = f"_convert{index}({value})"
        values.append((name, value))
    if hasattr(cls, "__post_init__"):
        body = ["    return _cls(" + ", ".join(f"{name}={value}" for name, value in values) + ")"]
    else:
        body = ["    instance = _new(_cls)"]
        body += [f"    _set(instance, {name!r}, {value})" for name, value in values]
        body += ["    return instance"]
    source = "\n".join(["def from_wire(record):", *body])
    exec(compile(source, f"<from_wire {cls.__name__}>", "exec"), bindings)
    return cast(Callable[[dict[str, object]], object], bindings["from_wire"])


_ACCEPTS_BINDINGS: Mapping[str, object] = {
    "_Decimal": Decimal,
    "_MICRO": Decimal(1).scaleb(-MONEY_SCALE),
    "_MONEY_LOW": -(Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)),
    "_MONEY_HIGH": Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE),
    "_datetime": datetime,
    "_UTC": UTC,
}


def _compile_accepts(cls: type, checked: tuple[tuple[str, _Converters], ...]) -> Callable[[object], bool]:
    """A predicate true only when ``RecordPlan.problems`` would find nothing: validation's hot path.

    Each value-checked field is tested with its converter's ``accepts`` expression, inline (one
    line per field, as ``_compile_from_wire`` does); a field without one (a nested record, an
    array of checked items) is run through its ``to_wire``. The predicate may say False for a
    value that is fine (money with fewer decimals than the wire's scale, say): ``problems`` then
    checks every field the full way, so the answer, messages included, is the same as before.
    """
    bindings: dict[str, object] = {**_ACCEPTS_BINDINGS, "_Error": WireValueError}
    body: list[str] = []
    for index, (name, converters) in enumerate(checked):
        plain = name.isidentifier() and not keyword.iskeyword(name)
        body.append(f"    v = model.{name}" if plain else f"    v = getattr(model, {name!r})")
        if converters.accepts is not None:
            body.append(f"    if not {converters.accepts}:")
            body.append("        return False")
        else:
            bindings[f"_to_wire{index}"] = converters.to_wire
            body += [
                "    try:",
                f"        _to_wire{index}(v)",
                "    except _Error:",
                "        return False",
            ]
    source = "\n".join(["def accepts(model):", *body, "    return True"])
    exec(compile(source, f"<accepts {cls.__name__}>", "exec"), bindings)
    return cast(Callable[[object], bool], bindings["accepts"])


def record_plan(schema: Mapping[str, object], cls: type) -> RecordPlan:
    """The plan for a top-level record schema and its model class."""
    walker = _Walker(cast(str, schema.get("namespace", "")))
    return walker.record(schema, cls, walker.namespace)


def strip_logical_types(schema: object) -> object:
    """A copy of ``schema`` without logical types: same binary layout, plain values.

    Strings are interned: fastavro uses the field names as record keys, and interned keys make
    ``Model(**record)`` match keyword arguments by identity instead of by comparison.
    """
    if isinstance(schema, list):
        return [strip_logical_types(item) for item in schema]
    if isinstance(schema, Mapping):
        return {
            sys.intern(key): strip_logical_types(value)
            for key, value in schema.items()
            if key not in ("logicalType", "precision", "scale")
        }
    if isinstance(schema, str):
        return sys.intern(schema)
    return schema
