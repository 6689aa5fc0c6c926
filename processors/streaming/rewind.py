"""A Faust consumer that does not lose stream records around a rebalance.

Read from Faust 0.15.3 (``faust/transport/consumer.py``), two ways records were lost after a
worker died and the survivors took over its partitions (the scale-out stall: the survivors
log "Worker ready" and consume nothing more):

1. During a rebalance's recovery ``Consumer.getmany`` takes records from aiokafka and drops
   those of partitions that are not active yet (paused for recovery), or all of them when the
   flow stops or the generation changes; aiokafka's position has already moved past them. At
   the end of recovery Faust seeks every stream partition back to its committed offset, which
   undoes the drop, but a partition with no committed offset (or offset 0) is not sought at
   all. A partition taken over from a worker killed before its first commit kept its position
   after the dropped records, which were never processed.
2. ``_drain_messages`` delivers a record only if its offset is at least the partition's "read
   offset", the last one delivered. A batch fetched before that final seek but delivered after
   it raises the read offset past records that the seek makes aiokafka fetch again, and those
   are then dropped as already delivered although they never were.

So this consumer, after Faust's seek, seeks every stream partition (not a changelog) that has
no committed offset to its beginning, what the ``earliest`` reset policy means anyway; and it
keeps no read offset for stream partitions, so every record fetched is delivered. Both only
cause records to be read again, never skipped. That costs time, not correctness: the
processors skip the source positions they already applied, outputs carry derived ids, and Faust
acknowledges an offset once. Changelog partitions keep Faust's read offsets: table recovery
must not apply an older value after a newer one.

It also delivers records without four tasks each (``wait_first`` below, ``eager``): the
per-record race against "flow suspended" only matters for a delivery that has to wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from faust.transport.drivers.aiokafka import Consumer
from mode.services import WaitResults

from processors.streaming.eager import first_step, resume

_EVENT_WAIT = asyncio.Event.wait.__code__


class StreamReadOffsets(dict[Any, int | None]):
    """Faust's per-partition read offsets, where a stream partition's always reads as unknown."""

    def __init__(self, is_changelog: Callable[[Any], bool]) -> None:
        super().__init__()
        self._is_changelog = is_changelog

    def __getitem__(self, tp: Any) -> int | None:
        return self.get(tp) if self._is_changelog(tp) else None


class RewindingConsumer(Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = StreamReadOffsets(self._is_changelog_tp)

    async def seek_to_committed(self) -> Mapping[Any, int]:
        committed: Mapping[Any, int | None] = await super().seek_to_committed()
        never = [tp for tp, offset in committed.items() if not offset and not self._is_changelog_tp(tp)]
        if never:
            self.log.info("Reading %d partitions without a committed offset from their beginning", len(never))
            await self._thread.seek_to_beginning(*never)
        return committed  # type: ignore[return-value]

    async def wait_first(self, *coros: Any, timeout: Any = None) -> WaitResults:
        """``Service.wait_first``, with a fast path for the consumer's per-record delivery.

        Faust's ``_drain_messages`` calls ``wait_first(callback(message), suspend_flow.wait())``
        for every record. While the flow runs and the service is up, the delivery is started
        here: if it completes without waiting (the usual case), that is the race's outcome,
        with no task made; if it waits, the race goes on as before with the delivery continued
        from where it stopped. A suspended flow, a stopping service and every other call take
        the original path unchanged.
        """
        if (
            len(coros) == 2
            and timeout is None
            and asyncio.iscoroutine(coros[0])
            and getattr(coros[1], "cr_code", None) is _EVENT_WAIT
            and not self.suspend_flow.is_set()
            and not self._stopped.is_set()
            and not self._crashed.is_set()
        ):
            delivery, suspended = coros
            finished, outcome = first_step(delivery)
            if finished:
                suspended.close()  # never started: closing it is all it needs
                return WaitResults([delivery], [outcome], False)
            return await super().wait_first(resume(delivery, outcome), suspended)
        return await super().wait_first(*coros, timeout=timeout)


def install(app: Any) -> None:
    """Make ``app`` (a ``faust.App`` on the aiokafka transport) create a ``RewindingConsumer``.

    The transport object only chooses classes; creating it here does no I/O.
    """
    app.transport.Consumer = RewindingConsumer
