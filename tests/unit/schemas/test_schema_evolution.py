"""Schema evolution is BACKWARD transitive: the current schema reads data from every past writer.

``schemas/avro/history/<Type>/v<N>.avsc`` keeps every released version; the newest must equal
the current schema, so changing a schema without adding a version fails here, and so does a
change an older writer's data could not be read through.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from collections.abc import Mapping
from typing import Any

import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from fastavro import parse_schema, schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codec import decode
from schemas.events import EVENT_TYPES, SaleRecorded
from schemas.models import MODEL_TYPES
from schemas.money import MONEY_PRECISION, MONEY_SCALE
from schemas.schema_store import StoredSchema, default_store
from schemas.wire import SchemaModelMismatchError, record_plan
from tests.unit.schemas.strategies import any_model
from tests.unit.schemas.wireview import wire_view

STORE = default_store()
ALL_VERSIONS = [version for versions in STORE.history.values() for version in versions]


def _without_docs(schema: object) -> object:
    if isinstance(schema, list):
        return [_without_docs(item) for item in schema]
    if isinstance(schema, Mapping):
        return {key: _without_docs(value) for key, value in schema.items() if key != "doc"}
    return schema


def _json(stored: StoredSchema) -> Any:
    """A mutable copy of a stored schema, typed loosely for poking at in tests."""
    return copy.deepcopy(dict(stored.definition))


def _official(stored: StoredSchema | Mapping[str, Any]) -> avro.schema.Schema:
    definition = stored.definition if isinstance(stored, StoredSchema) else stored
    return avro.schema.parse(json.dumps(dict(definition)))


def _compatible(reader: avro.schema.Schema, writer: avro.schema.Schema) -> tuple[bool, set[str]]:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(reader=reader, writer=writer)
    return result.compatibility is SchemaCompatibilityType.compatible, result.messages


def test_every_type_has_a_history_and_no_history_is_orphaned() -> None:
    assert set(STORE.history) == set(STORE.current) == set(MODEL_TYPES)


@pytest.mark.parametrize("type_name", sorted(STORE.current))
def test_newest_version_is_the_current_schema(type_name: str) -> None:
    newest = STORE.history[type_name][-1]
    assert _without_docs(dict(newest.definition)) == _without_docs(
        dict(STORE.current[type_name].definition)
    ), f"{type_name} changed: add history/{type_name}/v{len(STORE.history[type_name]) + 1}.avsc"


@pytest.mark.parametrize("stored", ALL_VERSIONS, ids=lambda s: f"{s.type_name}-v{s.version}")
def test_current_schema_reads_every_older_writer(stored: StoredSchema) -> None:
    ok, messages = _compatible(_official(STORE.current[stored.type_name]), _official(stored))
    assert ok, messages


def test_sale_recorded_has_a_real_past_version() -> None:
    versions = STORE.history["SaleRecorded"]
    assert len(versions) >= 2
    v1_fields = [f["name"] for f in _json(versions[0])["fields"]]
    assert "registration_id" not in v1_fields
    assert versions[0].fingerprint != STORE.current["SaleRecorded"].fingerprint


def _logical_types(schema: object, path: str = "") -> dict[str, tuple[object, ...]]:
    """Every logical type in a schema by field path: the Parsing Canonical Form (and so the
    fingerprint) ignores them, so only this test keeps a writer from changing them silently."""
    found: dict[str, tuple[object, ...]] = {}
    if isinstance(schema, list):
        for branch in schema:
            found.update(_logical_types(branch, path))
    elif isinstance(schema, Mapping):
        if "logicalType" in schema:
            found[path] = (schema["logicalType"], schema.get("precision"), schema.get("scale"))
        for field in schema.get("fields", []):
            found.update(_logical_types(field["type"], f"{path}.{field['name']}"))
        if "items" in schema:
            found.update(_logical_types(schema["items"], f"{path}[]"))
    return found


@pytest.mark.parametrize("stored", ALL_VERSIONS, ids=lambda s: f"{s.type_name}-v{s.version}")
def test_logical_types_never_change_between_versions(stored: StoredSchema) -> None:
    old = _logical_types(dict(stored.definition))
    new = _logical_types(dict(STORE.current[stored.type_name].definition))
    for path, logical in old.items():
        if path in new:
            assert new[path] == logical, path
        if logical[0] == "decimal":
            assert logical[1:] == (MONEY_PRECISION, MONEY_SCALE), path


@pytest.mark.parametrize("stored", ALL_VERSIONS, ids=lambda s: f"{s.type_name}-v{s.version}")
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_codec_decodes_bytes_from_every_older_writer(stored: StoredSchema, data: st.DataObject) -> None:
    # Write with the old schema what an old producer would have sent (the fields it knew),
    # frame it with the old fingerprint, and read it into today's model.
    model = data.draw(any_model(stored.type_name))
    old_fields = {f["name"] for f in _json(stored)["fields"]}
    record = {name: value for name, value in wire_view(model).items() if name in old_fields}
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(dict(stored.definition)), record)
    decoded = decode(b"\xc3\x01" + stored.fingerprint + body.getvalue())
    # A field the old writer did not know reads as its default (None for an optional one).
    defaults = {f.name: f.default for f in dataclasses.fields(decoded) if f.name not in old_fields}
    assert decoded == dataclasses.replace(model, **defaults)  # type: ignore[type-var]


def test_sale_written_before_registration_id_existed() -> None:
    v1 = STORE.history["SaleRecorded"][0]
    record = {
        "event_id": "9b2f4c1e-6a3d-4e8f-b1c2-d3e4f5a6b7c8",
        "event_type": "SaleRecorded",
        "occurred_at": 1_767_225_600_000,
        "source": "erp",
        "schema_version": 1,
        "sale_id": "SO-2025-000001",
        "channel": "PARTNER",
        "partner_id": "P-DE-0042",
        "customer_id": "C-DE-81544",
        "customer_territory": "DE",
        "sku": "NX-4800-48TB",
        "product_line": "storage",
        "quantity": 1,
        "unit_price": (18_450_000_000).to_bytes(5, "big", signed=True),  # 18450.000000 at scale 6
        "amount": (18_450_000_000).to_bytes(5, "big", signed=True),
        "currency": "EUR",
    }
    plain = parse_schema(json.loads(json.dumps(dict(v1.definition)).replace('"logicalType"', '"_lt"')))
    body = io.BytesIO()
    schemaless_writer(body, plain, record)
    sale = decode(b"\xc3\x01" + v1.fingerprint + body.getvalue())
    assert isinstance(sale, SaleRecorded)
    assert sale.registration_id is None
    assert str(sale.amount) == "18450.000000"
    assert sale.occurred_at.isoformat() == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize("type_name", ["AlertAcknowledged", "AlertResolved"])
def test_lifecycle_event_written_before_partner_id_existed(type_name: str) -> None:
    v1 = STORE.history[type_name][0]
    assert "partner_id" not in {f["name"] for f in _json(v1)["fields"]}
    record = {
        "event_id": "8648268c-aea2-5abc-840a-0a44aebb38a4",
        "event_type": type_name,
        "occurred_at": 1_767_225_600_000,
        "source": "alert-console",
        "schema_version": 1,
        "alert_id": "7d3f0a8e-3c55-5b8f-9f3e-2a1d4c6b8e90",
        "customer_id": "C-DE-81544",
        "acknowledged_by": "cm@vendor",
        "resolved_by": "cm@vendor",
        "resolution": "fixed",
    }
    body = io.BytesIO()
    schemaless_writer(body, parse_schema(dict(v1.definition)), record)
    event = decode(b"\xc3\x01" + v1.fingerprint + body.getvalue())
    assert type(event).__name__ == type_name
    assert event.partner_id == ""  # type: ignore[attr-defined]
    assert event.alert_id == record["alert_id"]  # type: ignore[attr-defined]


def _field(name: str, avro_type: object, **extra: object) -> dict[str, object]:
    return {"name": name, "type": avro_type, **extra}


def test_incompatible_changes_are_caught() -> None:
    # What the evolution test exists for: each of these must fail BACKWARD compatibility.
    current = _json(STORE.current["SaleRecorded"])
    required_field = copy.deepcopy(current)
    required_field["fields"].append(_field("discount_code", "string"))  # no default
    retyped = copy.deepcopy(current)
    next(f for f in retyped["fields"] if f["name"] == "quantity")["type"] = "int"  # long -> int
    fewer_symbols = copy.deepcopy(current)
    channel = next(f for f in fewer_symbols["fields"] if f["name"] == "channel")
    channel["type"]["symbols"] = ["PARTNER"]
    for changed in (required_field, retyped, fewer_symbols):
        ok, _ = _compatible(_official(changed), _official(STORE.current["SaleRecorded"]))
        assert not ok
    optional_field = copy.deepcopy(current)
    optional_field["fields"].append(_field("discount_code", ["null", "string"], default=None))
    assert _compatible(_official(optional_field), _official(STORE.current["SaleRecorded"]))[0]


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_event_schema_starts_with_the_envelope(type_name: str) -> None:
    envelope = _json(STORE.envelope)["fields"]
    fields = _json(STORE.current[type_name])["fields"]
    assert fields[: len(envelope)] == envelope


def test_a_schema_that_disagrees_with_its_model_is_refused_at_startup() -> None:
    changed = _json(STORE.current["SaleRecorded"])
    next(f for f in changed["fields"] if f["name"] == "channel")["type"]["symbols"].append("MARKETPLACE")
    with pytest.raises(SchemaModelMismatchError):
        record_plan(changed, SaleRecorded)
    missing = _json(STORE.current["SaleRecorded"])
    missing["fields"] = [f for f in missing["fields"] if f["name"] != "sku"]
    with pytest.raises(SchemaModelMismatchError):
        record_plan(missing, SaleRecorded)
