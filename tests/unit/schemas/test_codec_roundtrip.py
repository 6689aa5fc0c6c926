"""Every model survives model -> bytes -> model unchanged, and re-encodes to the same bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codec import decode, encode
from schemas.digest import content_digest
from schemas.events import Event
from schemas.jsonform import from_json, to_json
from schemas.models import MODEL_TYPES
from tests.unit.schemas.strategies import any_model

ALL_TYPES = sorted(MODEL_TYPES)


def test_every_model_type_is_covered() -> None:
    # 22 input events and the output records; a new model without a schema fails here.
    assert len(ALL_TYPES) == 27


@pytest.mark.parametrize("type_name", ALL_TYPES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_bytes_round_trip_is_identity(type_name: str, data: st.DataObject) -> None:
    model = data.draw(any_model(type_name))
    encoded = encode(model)  # type: ignore[arg-type]
    decoded = decode(encoded)
    assert type(decoded) is type(model)
    assert decoded == model
    assert encode(decoded) == encoded  # a replay re-encodes byte for byte
    if isinstance(model, Event):
        assert isinstance(decoded, Event)
        assert content_digest(decoded) == content_digest(model)


@pytest.mark.parametrize("type_name", ALL_TYPES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_json_round_trip_is_identity(type_name: str, data: st.DataObject) -> None:
    model = data.draw(any_model(type_name))
    as_json = to_json(model)  # type: ignore[arg-type]
    type_key = "event_type" if isinstance(model, Event) else "record_type"
    assert as_json[type_key] == type_name
    reparsed = json.loads(json.dumps(as_json))  # survives real JSON text, not just dicts
    assert from_json(reparsed) == model
