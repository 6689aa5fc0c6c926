"""The projector: records in, warehouse rows out, positions acknowledged once stored.

It joins the pure mapping (``projections.rows``) to the batching writer. The position type
is the caller's: a Kafka ``(topic, partition, offset)``, a line number of an event file,
or nothing at all for a rebuild.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar

from projections.rows import Record, rows_for
from projections.warehouse import Warehouse
from projections.writer import BatchingWriter, BatchLimits, RetryPolicy, WriterStats

P = TypeVar("P")


class Projector(Generic[P]):
    """Projects input events and the core's outputs into the warehouse, idempotently.

    ``add`` hands a due batch to the writer thread and may raise ``BackpressureError``, in
    which case the record was not taken; ``flush`` writes everything taken and raises
    ``WarehouseUnavailableError`` if the warehouse stays down for a whole retry policy.
    ``on_ack`` receives the positions of each batch after it is stored, in order, on the
    caller's thread. ``close`` (or a ``with`` block) stops the writer thread.
    """

    def __init__(
        self,
        warehouse: Warehouse,
        *,
        limits: BatchLimits | None = None,
        retry: RetryPolicy | None = None,
        on_ack: Callable[[Sequence[P]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        concurrent: bool = True,
    ) -> None:
        self._writer: BatchingWriter[P] = BatchingWriter(
            warehouse,
            limits=limits,
            retry=retry,
            on_ack=on_ack,
            clock=clock,
            sleep=sleep,
            concurrent=concurrent,
        )
        self.records_taken = 0

    def add(self, record: Record, position: P | None = None) -> None:
        self._writer.add(rows_for(record), position)
        self.records_taken += 1

    def add_all(self, records: Iterable[Record]) -> None:
        """Take records that have no positions to acknowledge (a rebuild, a test)."""
        for record in records:
            self.add(record)

    def poll(self) -> None:
        """Write the open batch if it has waited its age limit; call it when no records come."""
        self._writer.poll()

    def flush(self) -> None:
        self._writer.flush()

    def close(self, *, flush: bool = True) -> None:
        """Flush and stop the writer thread; call it once, when done."""
        self._writer.close(flush=flush)

    def __enter__(self) -> Projector[P]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        # After an error, do not flush: the error must surface, not a second one from a write.
        self.close(flush=exc_type is None)

    @property
    def pending_rows(self) -> int:
        return self._writer.pending_rows

    @property
    def stats(self) -> WriterStats:
        return self._writer.stats
