"""The shipped examples (``schemas/examples``), one valid event per type, as test fixtures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas.jsonform import from_json

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "schemas" / "examples"
REFERENCE_TIME = datetime(2027, 6, 1, tzinfo=UTC)
"""Later than every example, so none is in the future."""
SKEW = timedelta(minutes=5)


def example_json(type_name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES_DIR / f"{type_name}.json").read_text(encoding="utf-8"))
    return data


def example(type_name: str) -> Any:
    """The example as a model (typed ``Any`` so tests can ``dataclasses.replace`` freely)."""
    return from_json(example_json(type_name))
