"""Rebuild: drop every projection and re-materialize it from the event log.

The log is whatever iterable of records the caller reads: a file of events run through
the processors, or Kafka topics consumed from the beginning. Projections hold nothing the
log does not, so dropping the database loses nothing. Stop projectors writing to the same
database first: rows they write during the rebuild would be dropped with it or mixed in.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from projections.projector import Projector
from projections.rows import Record
from projections.warehouse import Warehouse
from projections.writer import BatchLimits


@dataclass(frozen=True, slots=True)
class RebuildReport:
    migrations: tuple[str, ...]
    records: int
    rows: int
    seconds: float


def rebuild(
    warehouse: Warehouse,
    records: Iterable[Record],
    *,
    limits: BatchLimits | None = None,
    progress: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> RebuildReport:
    """Drop the database, apply every migration, project ``records``; one call, nothing left over."""
    started = clock()
    warehouse.reset()
    migrations = warehouse.migrate()
    with Projector[None](warehouse, limits=limits, clock=clock) as projector:
        for record in records:
            projector.add(record)
            if progress is not None and projector.records_taken % 10_000 == 0:
                progress(projector.records_taken)
    if progress is not None:
        progress(projector.records_taken)
    return RebuildReport(migrations, projector.records_taken, projector.stats.rows_written, clock() - started)
