"""schemas/examples: one realistic, valid example per event type, in the canonical JSON form."""

from __future__ import annotations

import json

import pytest

from schemas.codec import decode, encode
from schemas.events import EVENT_TYPES
from schemas.jsonform import to_json
from tests.unit.schemas.examples import EXAMPLES_DIR, example, example_json


def test_one_example_per_event_type() -> None:
    assert {path.stem for path in EXAMPLES_DIR.glob("*.json")} == set(EVENT_TYPES)


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_example_is_in_canonical_form_and_decodes(type_name: str) -> None:
    data = example_json(type_name)
    event = example(type_name)
    assert type(event).__name__ == type_name == data["event_type"]
    assert to_json(event) == data  # what to_json writes, field for field
    assert decode(encode(event)) == event


def test_example_files_are_pretty_printed_json() -> None:
    for path in EXAMPLES_DIR.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), indent=2) + "\n", path.name
