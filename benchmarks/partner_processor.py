"""Partner processor throughput on one core, next to a bare decode loop over the same events.

Run: ``python benchmarks/partner_processor.py [--events 100000,1000000] [--partners 200]``.

The mix imitates a vendor's week-to-week traffic over the shipped programs: half the
partners are VARs/resellers (quarterly retroactive rebate, growth, SPIFF with a certification
gate, registration bonus, MDF, care bonus), half distributors (monthly marginal bands and
three allowances). Events are ~55 % sales, 4 % returns, 20 % support, 8 % registrations,
5 % claims and decisions, 3 % payouts, 5 % clock ticks and master data. The baseline loop only
decodes the events from canonical JSON bytes (what an adapter must do anyway); the processor
loop applies already-decoded events to per-partner states kept in a dict, with the default
garbage collector. Each size runs from empty states, and the business-time span is the same
(180 days) whatever the size, so 1M events give each partner ten times the state of 100k:
the per-tenth figures show whether the cost per event grows with the state.

The decoded copies and the JSON bytes are dropped before the processor runs, and the input
events are moved out of the cyclic collector's reach (``gc.freeze()``) for the processor loop:
a worker decodes one event at a time and holds none, so a million input events held by this
script must not be rescanned on the processor's account. Everything the processor creates
(states, outputs) is collected as usual, with the default thresholds.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench_data import core_build

from processors.ledger.canonical import canonical_bytes, decode
from processors.partner import PartnerState, apply, partner_key
from processors.programs import ProgramBook, load_programs
from schemas.events import (
    EVENT_TYPES,
    Allowance,
    AllowanceClaimApproved,
    AllowanceClaimed,
    ClockTicked,
    DealRegistered,
    DealRegistrationApproved,
    InputEvent,
    PartnerCertified,
    PartnerOnboarded,
    PartnerTier,
    PartnerType,
    PayoutIssued,
    Resolution,
    SaleChannel,
    SaleRecorded,
    SaleReturned,
    Severity,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.outputs import LedgerEntry

PROGRAMS = Path(__file__).resolve().parent.parent / "deploy" / "programs"
START = datetime(2026, 1, 1, tzinfo=UTC)


def generate(n_events: int, n_partners: int, seed: int = 7) -> list[InputEvent]:
    rnd = random.Random(seed)
    events: list[InputEvent] = []
    partners = [f"P-{i:04d}" for i in range(n_partners)]
    kind = {p: (PartnerType.VAR if i % 2 == 0 else PartnerType.DISTRIBUTOR) for i, p in enumerate(partners)}
    for p in partners:
        events.append(
            PartnerOnboarded(
                event_id=f"on-{p}",
                occurred_at=START,
                source="erp",
                partner_id=p,
                name=p,
                partner_type=kind[p],
                tier=PartnerTier.GOLD,
                territories=("US",),
                programs=("var-advantage", "distributor-growth"),
            )
        )
    sales: dict[str, list[SaleRecorded]] = {p: [] for p in partners}
    cases: dict[str, list[str]] = {p: [] for p in partners}
    resolved: dict[str, str] = {}
    span_ms = 180 * 24 * 3600 * 1000
    for i in range(n_events - len(events)):
        p = partners[rnd.randrange(n_partners)]
        at = START + timedelta(milliseconds=span_ms * i // n_events + rnd.randrange(0, 3_600_000))
        eid = f"ev-{i}"
        roll = rnd.random()
        if roll < 0.55:
            qty = rnd.randint(1, 40)
            price = Decimal(rnd.randint(2000, 150000)) / 100
            sec = rnd.random() < 0.2
            sale = SaleRecorded(
                event_id=eid,
                occurred_at=at,
                source="erp",
                sale_id=f"S-{i}",
                channel=SaleChannel.PARTNER,
                partner_id=p,
                customer_id=f"C-{rnd.randrange(500)}",
                customer_territory="US-CA" if rnd.random() < 0.97 else "DE-BY",
                sku="FW-200" if sec else f"SKU-{rnd.randrange(50)}",
                product_line="security" if sec else "network",
                quantity=qty,
                unit_price=price,
                amount=price * qty,
                currency="USD",
                registration_id=f"REG-{p}" if rnd.random() < 0.1 else None,
            )
            sales[p].append(sale)
            events.append(sale)
        elif roll < 0.59 and sales[p]:
            s = rnd.choice(sales[p][-50:])
            events.append(
                SaleReturned(
                    event_id=eid,
                    occurred_at=max(at, s.occurred_at),
                    source="erp",
                    return_id=f"R-{i}",
                    sale_id=s.sale_id,
                    partner_id=p,
                    customer_id=s.customer_id,
                    quantity=1,
                    amount=s.unit_price,
                    currency="USD",
                    reason="defect",
                )
            )
        elif roll < 0.79:
            sub = rnd.random()
            if sub < 0.4 or not cases[p]:
                case = f"K-{i}"
                cases[p].append(case)
                events.append(
                    SupportCaseOpened(
                        event_id=eid,
                        occurred_at=at,
                        source="desk",
                        case_id=case,
                        partner_id=p,
                        customer_id="C-1",
                        sku="SKU-1",
                        severity=Severity.P3,
                    )
                )
            elif sub < 0.7:
                case = cases[p].pop()  # the partner's own latest open case, resolved once
                resolved[p] = case
                events.append(
                    SupportCaseResolved(
                        event_id=eid,
                        occurred_at=at,
                        source="desk",
                        case_id=case,
                        partner_id=p,
                        resolution=Resolution.FIXED,
                    )
                )
            else:
                case = resolved.get(p) or cases[p][-1]  # its latest resolved case, if any
                events.append(
                    SupportCaseRated(
                        event_id=eid,
                        occurred_at=at,
                        source="desk",
                        case_id=case,
                        partner_id=p,
                        csat=rnd.randint(3, 5),
                    )
                )
        elif roll < 0.87:
            reg = f"REG-{p}"
            if rnd.random() < 0.5:
                events.append(
                    DealRegistered(
                        event_id=eid,
                        occurred_at=at,
                        source="crm",
                        registration_id=reg,
                        partner_id=p,
                        customer_id="C-1",
                        customer_territory="US-CA",
                        product_line="network",
                        estimated_amount=Decimal(5000),
                        currency="USD",
                    )
                )
            else:
                events.append(
                    DealRegistrationApproved(
                        event_id=eid,
                        occurred_at=at,
                        source="crm",
                        registration_id=reg,
                        partner_id=p,
                        customer_id="C-1",
                    )
                )
        elif roll < 0.92:
            program = "var-advantage" if kind[p] is PartnerType.VAR else "distributor-growth"
            claim = f"CL-{i}"
            events.append(
                AllowanceClaimed(
                    event_id=eid,
                    occurred_at=at,
                    source="prm",
                    claim_id=claim,
                    partner_id=p,
                    program_id=program,
                    allowance=Allowance.MARKETING,
                    amount=Decimal(rnd.randint(10, 500)),
                    currency="USD",
                    evidence_ref="inv",
                )
            )
            events.append(
                AllowanceClaimApproved(
                    event_id=eid + "a", occurred_at=at, source="prm", claim_id=claim, partner_id=p
                )
            )
        elif roll < 0.95:
            program = "var-advantage" if kind[p] is PartnerType.VAR else "distributor-growth"
            events.append(
                PayoutIssued(
                    event_id=eid,
                    occurred_at=at,
                    source="erp",
                    payout_id=f"PO-{i}",
                    partner_id=p,
                    program_id=program,
                    amount=Decimal(rnd.randint(10, 2000)),
                    currency="USD",
                    period="2026-Q1",
                )
            )
        elif roll < 0.97:
            events.append(
                PartnerCertified(
                    event_id=eid,
                    occurred_at=at,
                    source="prm",
                    partner_id=p,
                    product_line="security",
                    valid_until=at + timedelta(days=365),
                )
            )
        else:
            events.append(ClockTicked(event_id=eid, occurred_at=at, source="scheduler", partner_id=p))
    return events[:n_events]


def run(
    events: list[InputEvent], book: ProgramBook, freeze_every: int
) -> tuple[dict[str, PartnerState], int, int, float, float, list[float]]:
    """Apply every event to per-partner states; returns the states, output and entry counts,
    the wall and CPU seconds taken and the CPU seconds per tenth of the stream (CPU time is the
    steadier measure on a shared machine). The input events are frozen out of the collector
    first; ``freeze_every`` > 0 also freezes the states periodically."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()  # the input: see the module docstring
    states: dict[str, PartnerState] = {}
    n_outputs = n_entries = 0
    tenth = max(1, len(events) // 10)
    tenths: list[float] = []
    t0, c0 = time.perf_counter(), time.process_time()
    mark = c0
    for i, event in enumerate(events):
        key = partner_key(event)
        assert key is not None
        state, outputs = apply(states.get(key), event, book)
        states[key] = state
        n_outputs += len(outputs)
        n_entries += sum(1 for o in outputs if isinstance(o, LedgerEntry))
        if freeze_every and i % freeze_every == freeze_every - 1:
            gc.freeze()
        if i % tenth == tenth - 1:
            now = time.process_time()
            tenths.append(now - mark)
            mark = now
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.unfreeze()
    return states, n_outputs, n_entries, elapsed, cpu, tenths


def measure(n_events: int, n_partners: int, book: ProgramBook, gc_freeze: bool) -> float:
    """Print the figures for one stream size; returns the processor's events/s."""
    events = generate(n_events, n_partners)
    encoded = [canonical_bytes(e) for e in events]
    t0, c0 = time.perf_counter(), time.process_time()
    decoded = []
    for raw in encoded:
        data = json.loads(raw)
        decoded.append(decode(EVENT_TYPES[data["event_type"]], data))
    decode_s, decode_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert decoded == events
    del decoded, encoded

    states, n_outputs, n_entries, process_s, process_cpu, tenths = run(events, book, freeze_every=0)
    n = len(events)
    decode_rate, process_rate = n / decode_s, n / process_s
    state_kib = sum(len(s.to_bytes()) for s in states.values()) / len(states) / 1024
    per_tenth = [len(events) // 10 / t for t in tenths]
    print(f"events: {n:,} over {len(states)} partners; outputs {n_outputs:,} ({n_entries:,} ledger entries)")
    print(
        f"  baseline, decode only (JSON -> dataclasses): {decode_rate:>9,.0f} events/s "
        f"({decode_s:.1f} s; CPU {n / decode_cpu:,.0f}/s)"
    )
    print(
        f"  processor apply() alone, one core:         {process_rate:>9,.0f} events/s "
        f"({process_s:.1f} s; CPU {n / process_cpu:,.0f}/s)"
    )
    print(f"  processor / decode baseline:               {process_rate / decode_rate:>9.2f}")
    print(f"  decode + apply:                            {n / (decode_s + process_s):>9,.0f} events/s")
    rates = " ".join(f"{r / 1000:.1f}" for r in per_tenth)
    print(f"  processor per tenth of the stream (k events/s, CPU): {rates}")
    print(f"  mean partner state at the end: {state_kib:.1f} KiB (canonical JSON)")
    del states
    if gc_freeze:
        *_, frozen_s, _, _ = run(events, book, freeze_every=10_000)
        rate = n / frozen_s
        print(f"  processor, gc.freeze() every 10k events:   {rate:>9,.0f} events/s ({frozen_s:.1f} s)")
    return process_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", default="100000,1000000", help="comma-separated stream sizes (default 100k and 1M)"
    )
    parser.add_argument("--partners", type=int, default=200)
    parser.add_argument(
        "--gc-freeze", action="store_true", help="also time a run that gc.freeze()s every 10k events"
    )
    args = parser.parse_args()
    sizes = [int(x) for x in args.events.split(",")]
    book = load_programs(PROGRAMS)
    print(f"partner core: {core_build()}")
    rates = [measure(n, args.partners, book, args.gc_freeze) for n in sizes]
    if len(rates) > 1:
        print(
            f"processor events/s at {sizes[-1]:,} / at {sizes[0]:,} events: {rates[-1] / rates[0]:.2f} "
            "(1.00 = no slowdown as states grow)"
        )


if __name__ == "__main__":
    main()
