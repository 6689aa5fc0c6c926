"""Versioned schema migrations: ordered ``NNNN_name.sql`` files applied once each, in order.

Statements in a file are idempotent (``IF NOT EXISTS``, ``OR REPLACE``), so a file that was
interrupted half-way is simply applied again; a file is recorded in ``schema_migrations``
only after all of its statements ran. A file changed after it was applied is refused:
the database would no longer match the code, and a rebuild is the way forward.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import pyarrow as pa

from projections.sql import split_statements

if TYPE_CHECKING:
    from projections.warehouse import Warehouse

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

MIGRATIONS_TABLE_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version
"""


class MigrationError(RuntimeError):
    """The migrations on disk and the ones recorded in the database disagree."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def statements(self) -> list[str]:
        return split_statements(self.sql)


def load_migrations() -> tuple[Migration, ...]:
    """The migration files shipped in ``projections/migrations``, by version."""
    found: list[Migration] = []
    for entry in resources.files("projections.migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration versions must run 1, 2, 3... without gaps, found {versions}")
    return tuple(found)


def applied_migrations(warehouse: Warehouse) -> dict[int, str]:
    """Version -> checksum of the migrations recorded in the database."""
    result = warehouse.query("SELECT version, checksum FROM schema_migrations FINAL ORDER BY version")
    return {int(str(version)): str(checksum) for version, checksum in result.rows}


def apply_migrations(warehouse: Warehouse) -> tuple[str, ...]:
    """Apply the pending migrations in order; returns the names of those applied now."""
    warehouse.command(MIGRATIONS_TABLE_DDL)
    applied = applied_migrations(warehouse)
    ran: list[str] = []
    for migration in load_migrations():
        recorded = applied.get(migration.version)
        if recorded is not None:
            if recorded != migration.checksum:
                raise MigrationError(
                    f"{migration.name}.sql changed after it was applied to database {warehouse.database}; "
                    "add a new migration instead, or rebuild the projections"
                )
            continue
        for statement in migration.statements:
            warehouse.command(statement)
        warehouse.insert(
            "schema_migrations",
            pa.table(
                {
                    "version": pa.array([migration.version], pa.uint32()),
                    "name": [migration.name],
                    "checksum": [migration.checksum],
                }
            ),
        )
        ran.append(migration.name)
    return tuple(ran)
