"""Throughput of the customer (conflict) processor on one core.

    python benchmarks/customer_processor.py [--events 300000] [--customers 3000] [--repeat 3]

Generates a deterministic year of customer traffic and folds it through ``apply`` with the
states held in memory, the way the embedded runner does. The mix: 7 % deal registrations,
most decided within days (80 % approved, 10 % rejected, 10 % withdrawn); 75 % partner sales
and 6 % direct sales over five product lines; 3 % returns; 3 % of events arrive hours to
ten days late. A customer buys from one to three "home" partners (so two in five customers
with three partners contend whenever all three sell within 30 days), 2 % of sales come from
some other partner, and one customer in fifty is openly contended by many partners.

Printed next to it, measured in the same run on the same events:

* baseline: routing only (``customer_key`` plus a state lookup and store), the floor any
  processor pays;
* apply, collector off: the same with Python's cyclic garbage collector disabled, to show
  what the collector costs (a worker may tune it: ``gc.freeze()`` after start-up, a larger
  first-generation threshold);
* apply + to_bytes: also encoding the new state after every event, as a table-backed
  adapter that writes each change would (on a fifth of the events).

The generated input is frozen out of the collector's sight (``gc.freeze()``): a streaming
worker never holds the whole input in memory, and a 300k-event list would otherwise make
every full collection here slower than in production. Each figure is the best of
``--repeat`` runs (the machine may be shared). Target: >= 100k events/s for ``apply``.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench_data import core_build

from processors.conflicts import ConflictConfig, CustomerState, apply, customer_key
from schemas.events import (
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    InputEvent,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
)
from schemas.outputs import ConflictAlert

START = datetime(2025, 1, 1, tzinfo=UTC)
LINES = ("storage", "compute", "network", "security", "software")
PENDING_DAYS = 30  # registrations still undecided after this are left to lapse


def generate(count: int, customers: int, seed: int) -> list[InputEvent]:
    """``count`` events over a year, roughly in business-time order, a few arriving late."""
    rng = random.Random(seed)
    partners = [f"P{n:03d}" for n in range(60)]
    home = {f"C{c:05d}": rng.sample(partners, rng.choice((1, 1, 2, 2, 3))) for c in range(customers)}
    contended = set(rng.sample(sorted(home), max(1, customers // 50)))
    pending: dict[str, list[tuple[str, str, datetime]]] = {c: [] for c in home}
    events: list[InputEvent] = []
    span_ms = 365 * 86_400_000
    for n in range(count):
        customer = f"C{rng.randrange(customers):05d}"
        when = START + timedelta(milliseconds=span_ms * n // count)
        if rng.random() < 0.03:
            when -= timedelta(hours=rng.uniform(1, 24 * 10))
        roll = rng.random()
        line = rng.choice(LINES[:3]) if rng.random() < 0.8 else rng.choice(LINES)
        if customer in contended or rng.random() < 0.02:
            partner = rng.choice(partners)
        else:
            partner = rng.choice(home[customer])
        eid = f"ev-{n}"
        queue = pending[customer]
        while queue and queue[0][2] < when - timedelta(days=PENDING_DAYS):
            queue.pop(0)
        if roll < 0.07:
            rid = f"R-{n}"
            queue.append((rid, partner, when))
            events.append(registration(eid, when, rid, partner, customer, line))
        elif roll < 0.12 and queue:
            rid, owner, _ = queue.pop(0)
            events.append(decision(rng.random(), eid, when, rid, owner, customer))
        elif roll < 0.15:
            events.append(sale_return(eid, when, n, partner, customer))
        else:
            events.append(sale(eid, when, n, None if roll > 0.93 else partner, customer, line))
    return events


def registration(eid: str, when: datetime, rid: str, partner: str, customer: str, line: str) -> InputEvent:
    return DealRegistered(
        event_id=eid,
        occurred_at=when,
        source="prm",
        registration_id=rid,
        partner_id=partner,
        customer_id=customer,
        customer_territory="DE",
        product_line=line,
        estimated_amount=Decimal("50000"),
        currency="EUR",
    )


def decision(roll: float, eid: str, when: datetime, rid: str, partner: str, customer: str) -> InputEvent:
    if roll < 0.8:
        return DealRegistrationApproved(
            event_id=eid,
            occurred_at=when,
            source="prm",
            registration_id=rid,
            partner_id=partner,
            customer_id=customer,
        )
    if roll < 0.9:
        return DealRegistrationRejected(
            event_id=eid,
            occurred_at=when,
            source="prm",
            registration_id=rid,
            partner_id=partner,
            customer_id=customer,
            reason="no budget",
        )
    return DealRegistrationWithdrawn(
        event_id=eid,
        occurred_at=when,
        source="prm",
        registration_id=rid,
        partner_id=partner,
        customer_id=customer,
    )


def sale(eid: str, when: datetime, n: int, partner: str | None, customer: str, line: str) -> InputEvent:
    return SaleRecorded(
        event_id=eid,
        occurred_at=when,
        source="erp",
        sale_id=f"S-{n}",
        channel=SaleChannel.PARTNER if partner else SaleChannel.DIRECT,
        partner_id=partner,
        customer_id=customer,
        customer_territory="DE",
        sku="SKU-1",
        product_line=line,
        quantity=1,
        unit_price=Decimal("100"),
        amount=Decimal("100"),
        currency="EUR",
    )


def sale_return(eid: str, when: datetime, n: int, partner: str, customer: str) -> InputEvent:
    return SaleReturned(
        event_id=eid,
        occurred_at=when,
        source="erp",
        return_id=f"RET-{n}",
        sale_id=f"S-{n - 1}",
        partner_id=partner,
        customer_id=customer,
        quantity=1,
        amount=Decimal("100"),
        currency="EUR",
        reason="damaged",
    )


def routing_only(events: Sequence[InputEvent], config: ConflictConfig) -> Counter[str]:
    states: dict[str, CustomerState | None] = {}
    for event in events:
        key = customer_key(event)
        assert key is not None
        states[key] = states.get(key)
    return Counter()


def fold(events: Sequence[InputEvent], config: ConflictConfig) -> Counter[str]:
    states: dict[str, CustomerState] = {}
    produced: Counter[str] = Counter()
    for event in events:
        key = customer_key(event)
        assert key is not None
        states[key], outputs = apply(states.get(key), event, config)
        for output in outputs:
            produced[output.rule_id.value if isinstance(output, ConflictAlert) else output.reason_code] += 1
    return produced


def fold_and_encode(events: Sequence[InputEvent], config: ConflictConfig) -> Counter[str]:
    states: dict[str, CustomerState] = {}
    encoded = 0
    for event in events:
        key = customer_key(event)
        assert key is not None
        states[key], _ = apply(states.get(key), event, config)
        encoded += len(states[key].to_bytes())
    return Counter({"bytes encoded": encoded})


def measure(
    name: str,
    run: Callable[[Sequence[InputEvent], ConflictConfig], Counter[str]],
    events: Sequence[InputEvent],
    config: ConflictConfig,
    repeat: int,
    collector: bool = True,
) -> tuple[float, Counter[str]]:
    best, result = float("inf"), Counter[str]()
    for _ in range(repeat):
        gc.collect()
        if not collector:
            gc.disable()
        started = time.process_time()
        try:
            result = run(events, config)
        finally:
            gc.enable()
        best = min(best, time.process_time() - started)
    rate = len(events) / best
    print(f"{name:<26} {len(events):>9,} events  {best:7.2f} s  {rate:>11,.0f} events/s")
    return rate, result


def main() -> None:
    parser = argparse.ArgumentParser(description="Throughput of the customer (conflict) processor.")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    events = generate(args.events, args.customers, args.seed)
    gc.collect()
    gc.freeze()
    config = ConflictConfig()
    print(f"{len(events):,} events, {args.customers:,} customers, one core, CPU time, best of {args.repeat}")
    print(f"core: {core_build()}")
    measure("baseline (routing only)", routing_only, events, config, args.repeat)
    rate, produced = measure("apply", fold, events, config, args.repeat)
    measure("apply, collector off", fold, events, config, args.repeat, collector=False)
    sample = events[: max(len(events) // 5, 1)]
    _, encoded = measure("apply + to_bytes", fold_and_encode, sample, config, args.repeat)
    print(f"outputs: {dict(sorted(produced.items()))}")
    print(f"mean encoded state: {encoded['bytes encoded'] / len(sample):,.0f} bytes")
    print(f"target 100,000 events/s for apply: {'met' if rate >= 100_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
