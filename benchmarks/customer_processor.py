"""Throughput of the customer (conflict) processor on one core.

    python benchmarks/customer_processor.py [--events 300000] [--customers 3000] [--seed 7]

Generates a deterministic, realistic mix of registrations and sales (most customers are
served by one or two partners; a few are contended, some registrations protect deals others
breach, some sales arrive hours or days late) and folds it through ``apply`` with states
held in memory. Printed next to it, measured in the same run on the same events:

* baseline: routing only (``customer_key`` plus a state lookup and store), the floor any
  processor pays;
* apply + to_bytes: also encoding the new state per event, as a table-backed adapter would.

Target: >= 100k events/s for ``apply``.
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


def generate(count: int, customers: int, seed: int) -> list[InputEvent]:
    """``count`` events over a year, roughly in business-time order, a few arriving late."""
    rng = random.Random(seed)
    partners = [f"P{n:03d}" for n in range(60)]
    home = {f"C{c:05d}": rng.sample(partners, rng.choice((1, 1, 2, 2, 3))) for c in range(customers)}
    contended = set(rng.sample(sorted(home), max(1, customers // 50)))
    open_registrations: dict[str, list[tuple[str, str, str]]] = {c: [] for c in home}
    events: list[InputEvent] = []
    span_ms = 365 * 86_400_000
    for n in range(count):
        customer = f"C{rng.randrange(customers):05d}"
        when = START + timedelta(milliseconds=span_ms * n // count)
        if rng.random() < 0.03:  # late by hours to days
            when -= timedelta(hours=rng.uniform(1, 24 * 10))
        roll = rng.random()
        line = rng.choice(LINES[:3]) if rng.random() < 0.8 else rng.choice(LINES)
        if contended.__contains__(customer) or rng.random() < 0.02:
            partner = rng.choice(partners)
        else:
            partner = rng.choice(home[customer])
        eid = f"ev-{n}"
        if roll < 0.07:
            rid = f"R-{n}"
            open_registrations[customer].append((rid, partner, line))
            events.append(
                DealRegistered(
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
            )
        elif roll < 0.12 and open_registrations[customer]:
            rid, owner, _ = open_registrations[customer].pop(0)
            outcome = rng.random()
            common = {
                "event_id": eid,
                "occurred_at": when,
                "source": "prm",
                "registration_id": rid,
                "partner_id": owner,
                "customer_id": customer,
            }
            if outcome < 0.8:
                events.append(DealRegistrationApproved(**common))  # type: ignore[arg-type]
            elif outcome < 0.9:
                events.append(DealRegistrationRejected(reason="no budget", **common))  # type: ignore[arg-type]
            else:
                events.append(DealRegistrationWithdrawn(**common))  # type: ignore[arg-type]
        elif roll < 0.15:
            events.append(
                SaleReturned(
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
            )
        else:
            direct = roll > 0.93
            events.append(
                SaleRecorded(
                    event_id=eid,
                    occurred_at=when,
                    source="erp",
                    sale_id=f"S-{n}",
                    channel=SaleChannel.DIRECT if direct else SaleChannel.PARTNER,
                    partner_id=None if direct else partner,
                    customer_id=customer,
                    customer_territory="DE",
                    sku="SKU-1",
                    product_line=line,
                    quantity=1,
                    unit_price=Decimal("100"),
                    amount=Decimal("100"),
                    currency="EUR",
                )
            )
    return events


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
) -> tuple[float, Counter[str]]:
    gc.collect()
    started = time.perf_counter()
    result = run(events, config)
    elapsed = time.perf_counter() - started
    rate = len(events) / elapsed
    print(f"{name:<26} {len(events):>9,} events  {elapsed:7.2f} s  {rate:>11,.0f} events/s")
    return rate, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    events = generate(args.events, args.customers, args.seed)
    config = ConflictConfig()
    print(f"{len(events):,} events, {args.customers:,} customers, one core, Python in-process")
    measure("baseline (routing only)", routing_only, events, config)
    rate, produced = measure("apply", fold, events, config)
    encode_sample = events[: max(len(events) // 5, 1)]
    _, encoded = measure("apply + to_bytes", fold_and_encode, encode_sample, config)
    print(f"outputs: {dict(sorted(produced.items()))}")
    print(f"mean encoded state: {encoded['bytes encoded'] / len(encode_sample):,.0f} bytes")
    print(f"target 100,000 events/s for apply: {'met' if rate >= 100_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
