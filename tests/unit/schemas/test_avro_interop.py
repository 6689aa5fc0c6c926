"""The official Apache Avro library (an independent implementation) reads what the codec writes,
and the codec reads what it writes."""

from __future__ import annotations

import io
import json
from functools import cache

import avro.io
import avro.schema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codec import decode, encode
from schemas.models import MODEL_TYPES
from schemas.schema_store import default_store
from tests.unit.schemas.strategies import any_model
from tests.unit.schemas.wireview import wire_view

ALL_TYPES = sorted(MODEL_TYPES)


@cache
def official_schema(type_name: str) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(dict(default_store().current[type_name].definition)))


@pytest.mark.parametrize("type_name", ALL_TYPES)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_avro_library_reads_codec_bytes(type_name: str, data: st.DataObject) -> None:
    model = data.draw(any_model(type_name))
    encoded = encode(model)  # type: ignore[arg-type]
    assert encoded[:2] == b"\xc3\x01"
    assert encoded[2:10] == default_store().current[type_name].fingerprint
    reader = avro.io.DatumReader(official_schema(type_name))
    body = io.BytesIO(encoded[10:])
    read = reader.read(avro.io.BinaryDecoder(body))
    assert body.tell() == len(encoded) - 10  # the whole body, nothing left over
    assert read == wire_view(model)


@pytest.mark.parametrize("type_name", ALL_TYPES)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_codec_reads_avro_library_bytes(type_name: str, data: st.DataObject) -> None:
    model = data.draw(any_model(type_name))
    body = io.BytesIO()
    avro.io.DatumWriter(official_schema(type_name)).write(wire_view(model), avro.io.BinaryEncoder(body))
    framed = b"\xc3\x01" + default_store().current[type_name].fingerprint + body.getvalue()
    assert decode(framed) == model
