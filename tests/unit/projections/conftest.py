"""Fixtures: an embedded chDB engine for the session, a fresh database per test or module.

chDB runs one data directory per process, so every test shares one directory and is
isolated by its own database, dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from projections.chdb_warehouse import ChdbWarehouse
from projections.projector import Projector
from projections.rows import Record
from projections.settings import EmbeddedSettings
from tests.unit.projections.dataset import generate


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


def open_fresh(chdb_dir: Path) -> ChdbWarehouse:
    warehouse = ChdbWarehouse.open(EmbeddedSettings(data_dir=chdb_dir, database=f"t_{uuid.uuid4().hex[:12]}"))
    warehouse.migrate()
    return warehouse


def drop(warehouse: ChdbWarehouse) -> None:
    warehouse.command(f"DROP DATABASE IF EXISTS {warehouse.database} SYNC")
    warehouse.close()


@pytest.fixture
def warehouse(chdb_dir: Path) -> Iterator[ChdbWarehouse]:
    """A migrated, empty database of its own."""
    opened = open_fresh(chdb_dir)
    try:
        yield opened
    finally:
        drop(opened)


@pytest.fixture(scope="session")
def dataset() -> list[Record]:
    return generate()


@pytest.fixture(scope="package")
def projected(chdb_dir: Path, dataset: list[Record]) -> Iterator[ChdbWarehouse]:
    """A database holding the whole data set, projected once for every read-only test here.

    Package scope: it is closed before tests elsewhere open a chDB directory of their own.
    """
    opened = open_fresh(chdb_dir)
    try:
        projector: Projector[int] = Projector(opened)
        projector.add_all(dataset)
        projector.flush()
        yield opened
    finally:
        drop(opened)
