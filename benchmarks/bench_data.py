"""What the pipeline benchmarks share: the cached dataset and the bare-decode baseline's schemas."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import fastavro

from schemas.schema_store import default_store
from services.datagen import DatagenConfig, generate_records, write_avro

SINGLE_OBJECT_HEADER = 10
"""C3 01 and the 8-byte schema fingerprint before every Avro body."""


def core_build() -> str:
    """How the pure core runs in this interpreter: compiled by ``deploy/build-native.sh`` (mypyc)
    or interpreted. Worker processes started from the same checkout run the same build."""
    import processors.conflicts.processor
    import processors.partner.sales

    modules = (processors.partner.sales, processors.conflicts.processor)
    compiled = sum(str(module.__file__).endswith(".so") for module in modules)
    return (
        "compiled (mypyc)" if compiled == len(modules) else "partly compiled" if compiled else "interpreted"
    )


def dataset(workdir: Path, events: int, seed: int) -> Path:
    """A generated Avro dataset for 2026 (as the demo makes it), written once and reused."""
    path = workdir / f"bench-{seed}-{events}.avro"
    if not path.exists():
        config = DatagenConfig(seed=seed, start=date(2026, 1, 1), days=330, events=events)
        write_avro(generate_records(config), path)
    return path


def parsed_schemas() -> dict[bytes, Any]:
    """fastavro-parsed writer schemas by fingerprint, for a decode with no models at all."""
    return {
        stored.fingerprint: fastavro.parse_schema(json.loads(json.dumps(stored.definition, default=dict)))
        for stored in default_store().versions()
    }
