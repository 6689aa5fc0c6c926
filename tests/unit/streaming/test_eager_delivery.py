"""Eager delivery: a record's delivery runs in place when it need not wait, and otherwise goes on
exactly where it stopped, with the consumer's race against "flow suspended" as before."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest

from processors.streaming import rewind
from processors.streaming.eager import Resumed, first_step, resume


async def _immediate(log: list[str]) -> int:
    log.append("ran")
    return 7


async def _waits_on(future: asyncio.Future[int], log: list[str], started: asyncio.Event | None = None) -> int:
    log.append("before")
    if started is not None:
        started.set()
    try:
        value = await future
    except asyncio.CancelledError:
        log.append("cancelled")
        raise
    log.append("after")
    return value * 2


def test_a_coroutine_that_does_not_wait_finishes_in_its_first_step() -> None:
    log: list[str] = []
    assert first_step(_immediate(log)) == (True, 7)
    assert log == ["ran"]


def test_an_error_in_the_first_step_propagates() -> None:
    async def broken() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        first_step(broken())


def test_a_coroutine_that_waits_is_continued_where_it_stopped() -> None:
    async def continued() -> tuple[int, list[str]]:
        log: list[str] = []
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        coro = _waits_on(future, log)
        finished, awaited = first_step(coro)
        assert not finished and awaited is future
        task = asyncio.ensure_future(resume(coro, awaited))
        await asyncio.sleep(0)
        assert not task.done() and log == ["before"]  # still waiting, not started again
        future.set_result(21)
        return await task, log

    value, log = asyncio.run(continued())
    assert value == 42
    assert log == ["before", "after"]


def test_cancelling_the_continuation_cancels_the_coroutine_and_errors_pass_through() -> None:
    async def cancelled() -> list[str]:
        log: list[str] = []
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        coro = _waits_on(future, log)
        _, awaited = first_step(coro)
        task = asyncio.ensure_future(resume(coro, awaited))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return log

    assert asyncio.run(cancelled()) == ["before", "cancelled"]

    async def failed() -> None:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        coro = _waits_on(future, [])
        _, awaited = first_step(coro)
        future.set_exception(ValueError("bad"))
        await Resumed(coro, awaited)

    with pytest.raises(ValueError, match="bad"):
        asyncio.run(failed())


def _consumer() -> Any:
    app = faust.App("test-eager", broker="kafka://127.0.0.1:1", store="memory://")
    rewind.install(app)
    return app.consumer  # built lazily; no I/O until started


def test_consumer_delivers_in_place_when_the_delivery_does_not_wait() -> None:
    async def scenario() -> tuple[Any, list[str], int]:
        consumer = _consumer()
        log: list[str] = []
        delivery = _immediate(log)
        before = len(asyncio.all_tasks())
        result = await consumer.wait_first(delivery, consumer.suspend_flow.wait())
        return result, log, len(asyncio.all_tasks()) - before

    result, log, new_tasks = asyncio.run(scenario())
    assert (result.results, result.stopped, log) == ([7], False, ["ran"])
    assert new_tasks == 0


async def _race_a_waiting_delivery() -> tuple[Any, asyncio.Future[Any], asyncio.Future[int], list[str]]:
    """A consumer, its per-record race over a delivery now waiting on a future, that future, the log."""
    consumer = _consumer()
    log: list[str] = []
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    started = asyncio.Event()
    delivery = _waits_on(future, log, started)
    race = asyncio.ensure_future(consumer.wait_first(delivery, consumer.suspend_flow.wait()))
    await started.wait()
    return consumer, race, future, log


def test_consumer_races_a_waiting_delivery_against_flow_suspension_as_before() -> None:
    async def delivered() -> tuple[Any, list[str]]:
        _, race, future, log = await _race_a_waiting_delivery()
        assert not race.done() and log == ["before"]
        future.set_result(5)
        return await race, log

    result, log = asyncio.run(delivered())
    assert (result.results, result.stopped, log) == ([10], False, ["before", "after"])

    async def suspended() -> list[str]:
        consumer, race, _, log = await _race_a_waiting_delivery()
        consumer.suspend_flow.set()  # a rebalance: the waiting delivery is abandoned
        await race
        return log

    assert asyncio.run(suspended()) == ["before", "cancelled"]


def test_a_suspended_flow_takes_the_original_path_and_delivers_nothing_new() -> None:
    async def scenario() -> list[str]:
        consumer = _consumer()
        consumer.suspend_flow.set()
        log: list[str] = []
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await consumer.wait_first(_waits_on(future, log), consumer.suspend_flow.wait())
        return log

    log = asyncio.run(scenario())
    assert "after" not in log  # the delivery did not complete: the flow was suspended
