"""Models to bytes and back: Avro binary bodies behind a framing that names the writer schema.

The default framing is Avro single-object encoding: ``C3 01``, the writer schema's 8-byte
little-endian CRC-64-AVRO fingerprint, then the body. Any Avro reader holding our schema files
can decode a record without a registry. The framing is a strategy (``Framing``): a Confluent
Schema Registry framing (``00`` + 4-byte schema id) can sit beside it by mapping ids to the
same fingerprints, which stay the codec's internal identity of a writer schema.

Every schema version under ``schemas/avro/history`` is registered, so records written by an
older writer are read through Avro schema resolution into the current model.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Protocol, cast

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.types import Schema as FastavroSchema

from schemas.models import MODEL_TYPES, Model
from schemas.problems import Problem
from schemas.reasons import ReasonCode
from schemas.schema_store import SchemaStore, StoredSchema, default_store
from schemas.wire import (
    ENVELOPE_TYPE_FIELD,
    RecordPlan,
    WireValueError,
    record_plan,
    strip_logical_types,
)

MAGIC = b"\xc3\x01"
"""Avro single-object encoding marker."""
FINGERPRINT_SIZE = 8


class DecodeError(Exception):
    """Bytes that do not decode into a model; ``reason_code`` is what the dead letter records."""

    def __init__(self, reason_code: ReasonCode, message: str) -> None:
        super().__init__(f"{reason_code.value}: {message}")
        self.reason_code = reason_code
        self.message = message


class EncodeError(ValueError):
    """A model value its schema cannot carry; ``field`` is the path inside the record."""

    def __init__(self, type_name: str, field: str, message: str) -> None:
        super().__init__(f"cannot encode {type_name}.{field}: {message}" if field else message)
        self.type_name = type_name
        self.field = field
        self.message = message


class Framing(Protocol):
    """Where the writer schema's identity goes around an Avro body."""

    def header(self, schema: StoredSchema) -> bytes:
        """The bytes written before a body written with ``schema``."""
        ...

    def split(self, data: bytes) -> tuple[bytes, int]:
        """The writer's fingerprint and where the body starts; raises ``DecodeError``."""
        ...


class SingleObjectFraming:
    """Avro single-object encoding: ``C3 01`` + fingerprint (little-endian) + body."""

    header_size = len(MAGIC) + FINGERPRINT_SIZE

    def header(self, schema: StoredSchema) -> bytes:
        return MAGIC + schema.fingerprint

    def split(self, data: bytes) -> tuple[bytes, int]:
        if data[:2] != MAGIC:
            raise DecodeError(
                ReasonCode.UNDECODABLE,
                f"not Avro single-object encoded: starts with {data[:2].hex() or 'nothing'}, expected c301",
            )
        if len(data) < self.header_size:
            raise DecodeError(ReasonCode.UNDECODABLE, f"{len(data)} bytes is shorter than the 10-byte header")
        return data[2 : self.header_size], self.header_size


@dataclass(frozen=True, slots=True)
class _Writer:
    header: bytes
    schema: FastavroSchema
    plan: RecordPlan


@dataclass(frozen=True, slots=True)
class _Reader:
    label: str
    writer_schema: FastavroSchema
    reader_schema: FastavroSchema | None
    """None when the writer is the current schema (no resolution needed)."""
    plan: RecordPlan


def _fastavro_schema(stored: StoredSchema) -> FastavroSchema:
    return parse_schema(cast(FastavroSchema, strip_logical_types(stored.definition)))


class Codec:
    """Encodes and decodes every model; schemas parsed once, at construction."""

    def __init__(self, store: SchemaStore, framing: Framing) -> None:
        self._framing = framing
        self._writers: dict[type, _Writer] = {}
        self._plans: dict[str, RecordPlan] = {}
        self._readers: dict[bytes, _Reader] = {}
        current_parsed: dict[str, FastavroSchema] = {}
        for type_name, stored in store.current.items():
            plan = record_plan(stored.definition, MODEL_TYPES[type_name])
            parsed = _fastavro_schema(stored)
            current_parsed[type_name] = parsed
            self._plans[type_name] = plan
            self._writers[plan.cls] = _Writer(framing.header(stored), parsed, plan)
            self._readers[stored.fingerprint] = _Reader(f"{type_name} (current)", parsed, None, plan)
        for type_name, versions in store.history.items():
            for stored in versions:
                if stored.fingerprint in self._readers:
                    continue  # same canonical form as the current schema
                self._readers[stored.fingerprint] = _Reader(
                    f"{type_name} v{stored.version}",
                    _fastavro_schema(stored),
                    current_parsed[type_name],
                    self._plans[type_name],
                )

    def encode(self, model: Model) -> bytes:
        writer = self._writers.get(type(model))
        if writer is None:
            raise EncodeError(type(model).__name__, "", f"{type(model).__name__} has no wire schema")
        try:
            record = writer.plan.to_wire(model)
        except WireValueError as exc:
            raise EncodeError(writer.plan.type_name, exc.path, exc.message) from None
        out = io.BytesIO()
        out.write(writer.header)
        schemaless_writer(out, writer.schema, record)
        return out.getvalue()

    def decode(self, data: bytes) -> Model:
        fingerprint, offset = self._framing.split(data)
        reader = self._readers.get(fingerprint)
        if reader is None:
            raise DecodeError(
                ReasonCode.UNKNOWN_FINGERPRINT,
                f"no known schema has fingerprint {fingerprint.hex()} (written by a newer or foreign writer)",
            )
        body = io.BytesIO(data)
        body.seek(offset)
        try:
            record = schemaless_reader(body, reader.writer_schema, reader.reader_schema)
        except Exception as exc:  # any failure here means the bytes are not what the schema says
            raise DecodeError(
                ReasonCode.UNDECODABLE, f"body does not match {reader.label}: {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(record, dict):
            raise DecodeError(ReasonCode.UNDECODABLE, f"{reader.label} did not decode to a record")
        if body.tell() != len(data):
            raise DecodeError(
                ReasonCode.UNDECODABLE,
                f"{len(data) - body.tell()} bytes left over after a {reader.label} record",
            )
        plan = reader.plan
        if plan.has_event_type:
            declared = record.pop(ENVELOPE_TYPE_FIELD)
            if declared != plan.type_name:
                code = (
                    ReasonCode.SCHEMA_VIOLATION if declared in MODEL_TYPES else ReasonCode.UNKNOWN_EVENT_TYPE
                )
                raise DecodeError(code, f"event_type {declared!r} in a record written as {plan.type_name}")
        try:
            return cast(Model, plan.from_wire(record))
        except (OverflowError, KeyError) as exc:  # a time beyond datetime's range, say
            raise DecodeError(ReasonCode.UNDECODABLE, f"{reader.label}: {exc!r}") from exc
        except ValueError as exc:  # the model's own invariant (a ledger entry's balance)
            raise DecodeError(ReasonCode.SCHEMA_VIOLATION, f"{reader.label}: {exc}") from exc

    def wire_problems(self, model: object) -> list[Problem]:
        """Every field of ``model`` its schema cannot carry, as SCHEMA_VIOLATION problems."""
        plan = self._plans.get(type(model).__name__)
        if plan is None or plan.cls is not type(model):
            return [Problem(ReasonCode.UNKNOWN_EVENT_TYPE, "", f"{type(model).__name__} has no wire schema")]
        return [Problem(ReasonCode.SCHEMA_VIOLATION, exc.path, exc.message) for exc in plan.problems(model)]

    def fingerprints(self) -> Mapping[bytes, str]:
        """Every fingerprint this codec reads, with the schema version it stands for."""
        return {fingerprint: reader.label for fingerprint, reader in self._readers.items()}


@cache
def default_codec() -> Codec:
    """The codec over the packaged schemas with single-object framing, built on first use."""
    return Codec(default_store(), SingleObjectFraming())


def encode(model: Model) -> bytes:
    """``model`` as Avro single-object encoded bytes; raises ``EncodeError``."""
    return default_codec().encode(model)


def decode(data: bytes) -> Model:
    """The model in ``data``; raises ``DecodeError`` with a reason code for a dead letter."""
    return default_codec().decode(data)
