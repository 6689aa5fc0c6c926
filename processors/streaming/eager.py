"""Run a coroutine's first step in place; continue it as an awaitable only if it had to wait.

Faust's consumer delivers every fetched record by racing the delivery against its "flow
suspended" event with ``Service.wait_first`` (mode), which wraps the delivery, that event and the
service's stopped and crashed events in four tasks, waits with ``asyncio.wait`` and cancels the
three losers: per record. A delivery almost always completes without waiting (the stream's
queue has room), and then none of that is needed. ``first_step`` tells which case it is;
``resume`` continues a delivery that did wait exactly where it stopped, so the race can go on
as before with the same coroutine.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any


def first_step(coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Run ``coro`` until it first waits: ``(True, result)`` if it finished without waiting,
    ``(False, awaited)`` if it waits on ``awaited`` (what it yielded to the event loop).
    An exception it raises in that step propagates, as awaiting it would."""
    try:
        awaited = coro.send(None)
    except StopIteration as stop:
        return True, stop.value
    return False, awaited


class Resumed:
    """``coro`` after a ``first_step`` that stopped on ``awaited``: awaiting this continues it.

    Awaiting it behaves as ``yield from`` over the rest of ``coro``: what it yields goes to the
    task that awaits this, and what that task sends or throws back (a result, a cancellation)
    goes on into ``coro``."""

    __slots__ = ("awaited", "coro")

    def __init__(self, coro: Coroutine[Any, Any, Any], awaited: Any) -> None:
        self.coro = coro
        self.awaited = awaited

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, awaited = self.coro, self.awaited
        while True:
            try:
                sent = yield awaited
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # thrown in by the awaiting task: pass it on
                try:
                    awaited = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    awaited = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def resume(coro: Coroutine[Any, Any, Any], awaited: Any) -> Any:
    """A coroutine that finishes ``coro`` (see ``Resumed``), for APIs that want a coroutine."""
    return await Resumed(coro, awaited)
