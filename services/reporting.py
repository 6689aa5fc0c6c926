"""Placeholder replaced when the report renderer lands."""

from __future__ import annotations

from pathlib import Path

from projections.settings import WarehouseSettings


def write_report(settings: WarehouseSettings, path: Path) -> Path:
    del settings
    return path
