"""Partner processor throughput on one core, next to a bare decode loop over the same events.

Run: ``python benchmarks/partner_processor.py [--events N] [--partners P]``.

The mix imitates a vendor's week-to-week traffic over the shipped programs: half the
partners are VARs/resellers (quarterly retroactive rebate, growth, SPIFF with a certification
gate, registration bonus, MDF, care bonus), half distributors (monthly marginal bands and
three allowances). Events are ~55 % sales, 4 % returns, 20 % support, 8 % registrations,
5 % claims and decisions, 3 % payouts, 5 % clock ticks and master data. The baseline loop only
decodes the events from canonical JSON bytes (what an adapter must do anyway); the processor
loop applies already-decoded events to per-partner states kept in a dict.
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
) -> tuple[dict[str, PartnerState], int, int, float]:
    """Apply every event to per-partner states; ``freeze_every`` > 0 moves the long-lived
    states out of the cyclic GC's generations periodically (``gc.freeze()``), as a long-running
    worker holding many states would, so collections do not rescan them."""
    gc.collect()
    gc.unfreeze()
    states: dict[str, PartnerState] = {}
    n_outputs = n_entries = 0
    t0 = time.perf_counter()
    for i, event in enumerate(events):
        key = partner_key(event)
        assert key is not None
        state, outputs = apply(states.get(key), event, book)
        states[key] = state
        n_outputs += len(outputs)
        n_entries += sum(1 for o in outputs if isinstance(o, LedgerEntry))
        if freeze_every and i % freeze_every == freeze_every - 1:
            gc.freeze()
    elapsed = time.perf_counter() - t0
    gc.unfreeze()
    return states, n_outputs, n_entries, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--partners", type=int, default=200)
    args = parser.parse_args()
    book = load_programs(PROGRAMS)
    events = generate(args.events, args.partners)
    encoded = [canonical_bytes(e) for e in events]

    t0 = time.perf_counter()
    decoded = [decode(EVENT_TYPES[json.loads(raw)["event_type"]], json.loads(raw)) for raw in encoded]
    decode_s = time.perf_counter() - t0
    assert decoded == events

    states, n_outputs, n_entries, process_s = run(events, book, freeze_every=0)
    _, _, _, frozen_s = run(events, book, freeze_every=10_000)

    n = len(events)
    state_kib = sum(len(s.to_bytes()) for s in states.values()) / len(states) / 1024
    print(f"events: {n:,} over {len(states)} partners; outputs {n_outputs:,} ({n_entries:,} ledger entries)")
    print(f"baseline  decode only (JSON -> dataclasses): {n / decode_s:>10,.0f} events/s  ({decode_s:.2f} s)")
    print(
        f"processor apply() alone, one core:           {n / process_s:>10,.0f} events/s  ({process_s:.2f} s)"
    )
    print(f"processor, gc.freeze() every 10k events:    {n / frozen_s:>10,.0f} events/s  ({frozen_s:.2f} s)")
    print(f"decode + apply:                              {n / (decode_s + process_s):>10,.0f} events/s")
    print(f"mean partner state at the end: {state_kib:.1f} KiB (canonical JSON)")


if __name__ == "__main__":
    main()
