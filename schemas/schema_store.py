"""The Avro schemas on disk: the current schema of every record type and all its past versions.

Layout under ``schemas/avro/``: ``events/<Type>.avsc`` and ``outputs/<Type>.avsc`` hold the
current schemas, ``history/<Type>/v<N>.avsc`` every version ever released (the newest equals
the current one, docs aside), ``envelope.avsc`` the fields every input event starts with.
A writer schema is identified by its CRC-64-AVRO fingerprint over the Parsing Canonical Form,
stored little-endian as Avro single-object encoding writes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from fastavro.schema import fingerprint as _fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form

AVRO_ROOT = Path(__file__).parent / "avro"
NAMESPACE = "channel_ledger"

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.avsc$")

JsonSchema = Mapping[str, object]


class SchemaStoreError(Exception):
    """The schema files are inconsistent (unreadable JSON, a misnamed file, a gap in versions)."""


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """One schema file. ``version`` is None for a current schema, N for ``history/<Type>/vN``."""

    type_name: str
    version: int | None
    definition: JsonSchema
    path: Path
    canonical_form: str
    fingerprint: bytes
    """8 bytes, little-endian, exactly as they follow ``C3 01`` in a single-object encoding."""


@dataclass(frozen=True, slots=True)
class SchemaStore:
    current: Mapping[str, StoredSchema]
    """Current schema per record type name."""
    history: Mapping[str, tuple[StoredSchema, ...]]
    """Every released version per record type name, oldest first."""
    envelope: StoredSchema

    def versions(self) -> tuple[StoredSchema, ...]:
        """Every schema a writer may have used: all history versions and the current ones."""
        found: list[StoredSchema] = []
        for versions in self.history.values():
            found.extend(versions)
        found.extend(self.current.values())
        return tuple(found)


def _read(path: Path, type_name: str, version: int | None) -> StoredSchema:
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SchemaStoreError(f"{path}: {exc}") from exc
    if not isinstance(definition, dict) or definition.get("name") != type_name:
        raise SchemaStoreError(f"{path}: expected a record schema named {type_name!r}")
    canonical_form = to_parsing_canonical_form(definition)
    fingerprint = bytes.fromhex(_fastavro_fingerprint(canonical_form, "CRC-64-AVRO"))
    return StoredSchema(type_name, version, MappingProxyType(definition), path, canonical_form, fingerprint)


def _read_history(directory: Path) -> tuple[StoredSchema, ...]:
    numbered: list[tuple[int, Path]] = []
    for path in directory.iterdir():
        match = _VERSION_FILE.match(path.name)
        if match is None:
            raise SchemaStoreError(f"{path}: history files are named v<N>.avsc")
        numbered.append((int(match.group(1)), path))
    numbered.sort()
    if [n for n, _ in numbered] != list(range(1, len(numbered) + 1)):
        raise SchemaStoreError(f"{directory}: versions must run v1, v2, ... without gaps")
    return tuple(_read(path, directory.name, n) for n, path in numbered)


def load_store(root: Path = AVRO_ROOT) -> SchemaStore:
    """Read every schema file under ``root`` (no caching: see ``default_store``)."""
    current: dict[str, StoredSchema] = {}
    for group in ("events", "outputs"):
        for path in sorted((root / group).glob("*.avsc")):
            current[path.stem] = _read(path, path.stem, None)
    history_root = root / "history"
    history = {
        directory.name: _read_history(directory)
        for directory in sorted(history_root.iterdir())
        if directory.is_dir()
    }
    return SchemaStore(
        current=MappingProxyType(current),
        history=MappingProxyType(history),
        envelope=_read(root / "envelope.avsc", "Envelope", None),
    )


@cache
def default_store() -> SchemaStore:
    """The packaged schemas, read once per process."""
    return load_store()
