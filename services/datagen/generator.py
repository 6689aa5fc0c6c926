"""The day loop: a deterministic, streaming simulation of a vendor's channel over a period.

Each simulated day: period ends first (clock ticks, payouts and claims, quarterly reviews),
then the day's new activity at random times (sales, registrations, support cases, staged
conflicts) with every follow-up decided and queued at its business time, then everything due
that day is delivered in business-time order. Volume is steered, not just drawn: each day's
activity makes up the gap between the events scheduled so far and the cumulative seasonal
target, so the dataset lands on the requested size whatever the mix of follow-ups.

Invalid payloads are interleaved afterwards from their own random stream, at exact positions
(record ``i`` is invalid when ``floor((i + 1) r) > floor(i r)``), so among any first ``n``
records ``floor(n r)`` are invalid and the valid events do not depend on the invalid rate.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from datetime import date, timedelta

from processors.programs import ProgramBook, load_programs
from schemas.events import InputEvent
from services.datagen import conflicts, partners, registrations, sales, settlement, support
from services.datagen.clock import MS_PER_DAY, day_ms, month_starts, to_ms
from services.datagen.config import FALLBACK_START, DatagenConfig
from services.datagen.invalid import make_invalid
from services.datagen.records import GeneratedRecord, ValidRecord
from services.datagen.season import day_factor
from services.datagen.state import Sim
from services.datagen.world import World, build_world

COUNT_MARGIN = 1.03
"""With ``events`` set, aim a little past it so the stream is cut rather than left short."""


def generate_records(config: DatagenConfig) -> Iterator[GeneratedRecord]:
    """Every record of the dataset in delivery order: valid events and injected invalid payloads."""
    book = _programs(config)
    start = resolve_start(config, book)
    world = build_world(config, book, day_ms(start))
    records = _with_invalid(config, world, day_ms(start), _simulate(config, world, start))
    if config.events is not None:
        return itertools.islice(records, config.events)
    return records


def generate(config: DatagenConfig) -> Iterator[InputEvent]:
    """The valid events of the dataset in delivery order (invalid payloads left out)."""
    for record in generate_records(config):
        if isinstance(record, ValidRecord):
            yield record.event


def _programs(config: DatagenConfig) -> ProgramBook | None:
    if config.programs_dir is None:
        return None
    return load_programs(config.programs_dir)


def resolve_start(config: DatagenConfig, book: ProgramBook | None = None) -> date:
    """The dataset's first day: ``config.start``, else when the first program takes effect."""
    if config.start is not None:
        return config.start
    if book is None and config.programs_dir is not None:
        book = _programs(config)
    if book is None or not book.program_ids:
        return FALLBACK_START
    return min(p.effective_from for pid in book.program_ids for p in book.versions(pid)).date()


def events_per_unit(config: DatagenConfig) -> float:
    """Events one unit of daily activity (one sale and its share of the rest) schedules."""
    return (
        1
        + sales.TYPICAL_RETURN_RATE
        + registrations.REGISTRATIONS_PER_SALE * registrations.EVENTS_PER_REGISTRATION
        + support.CASES_PER_SALE * support.EVENTS_PER_CASE
        + config.conflict_rate * conflicts.EVENTS_PER_STAGING
    )


def _simulate(config: DatagenConfig, world: World, start: date) -> Iterator[ValidRecord]:
    start_ms = day_ms(start)
    end_ms = start_ms + config.days * MS_PER_DAY
    sim = Sim(config, world, start_ms, end_ms)
    days = [start + timedelta(days=d) for d in range(config.days)]
    boundaries = set(month_starts(start, days[-1] + timedelta(days=1)))
    if config.events is not None:  # the count includes the invalid records
        target = config.events * (1 - config.invalid_rate) * COUNT_MARGIN
    else:  # the daily rate is of valid events; invalid payloads come on top
        target = config.target_records
    factors = list(itertools.accumulate(day_factor(d, start) for d in days))
    per_unit = events_per_unit(config)
    rng = sim.rng

    partners.onboard_all(sim)
    for index, day in enumerate(days):
        day_start = start_ms + index * MS_PER_DAY
        if day in boundaries:
            _period_end(sim, day_start, quarter=day.month % 3 == 1)
        sim.registry.prune(day_start)
        sim.products.set_day(day_start)
        due = target * factors[index] / factors[-1] - sim.scheduled
        units = _round(rng, max(0.0, due) / per_unit)
        # Registrations first: a sale later in the generation of the same day, but earlier in
        # its business time than a registration, must still see that registration.
        for _ in range(_round(rng, units * registrations.REGISTRATIONS_PER_SALE)):
            registrations.register(sim, day_start + rng.randrange(MS_PER_DAY))
        for _ in range(units):
            at_ms = day_start + rng.randrange(MS_PER_DAY)
            if rng.random() < sales.P_DIRECT:
                sales.direct_sale(sim, at_ms)
            else:
                sales.partner_sale(sim, at_ms)
        for _ in range(_round(rng, units * support.CASES_PER_SALE)):
            support.open_case(sim, day_start + rng.randrange(MS_PER_DAY))
        for _ in range(_round(rng, units * config.conflict_rate)):
            conflicts.stage(sim, day_start + rng.randrange(MS_PER_DAY))
        sim.run_deferred(day_start + MS_PER_DAY)
        yield from sim.queue.pop_until(day_start + MS_PER_DAY)
    # The closing clock ticks, so the last period can close for partners with no later events.
    if days[-1] + timedelta(days=1) in boundaries:
        _period_end(sim, end_ms, quarter=(days[-1] + timedelta(days=1)).month % 3 == 1)
    else:
        partners.tick_all(sim, end_ms)
    yield from sim.queue.pop_until(end_ms + 1)


def _period_end(sim: Sim, boundary_ms: int, *, quarter: bool) -> None:
    partners.tick_all(sim, boundary_ms)
    settlement.close_periods(sim, boundary_ms)
    if quarter:
        partners.quarterly_review(sim, boundary_ms)


def _round(rng: random.Random, expected: float) -> int:
    """An integer with mean ``expected`` (stochastic rounding): deterministic, low variance."""
    whole = math.floor(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _with_invalid(
    config: DatagenConfig, world: World, start_ms: int, valid: Iterator[ValidRecord]
) -> Iterator[GeneratedRecord]:
    rate = config.invalid_rate
    if not rate:
        yield from valid
        return
    rng = random.Random(f"{config.seed}:invalid")
    position = 0
    last_ms = start_ms
    for record in valid:
        while math.floor((position + 1) * rate) > math.floor(position * rate):
            yield make_invalid(rng, world, last_ms)
            position += 1
        yield record
        position += 1
        last_ms = to_ms(record.event.occurred_at)
    while math.floor((position + 1) * rate) > math.floor(position * rate):
        yield make_invalid(rng, world, last_ms)
        position += 1
