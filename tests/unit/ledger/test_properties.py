"""Property tests over generated partner event sequences (shipped programs, all rule kinds).

Sequences mix sales (in and out of territory, certified lines, registered deals), partial and
full returns, returns before their sales, claims, payouts and reversals, support cases and
clock ticks, with some events arriving up to three days late, and acknowledgements and
resolutions of the partner's alerts (some of alerts never raised), stamped up to two days
before and 200 days after the fact they follow.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.ledger import (
    CASH_BUCKETS,
    balances,
    canonical_bytes,
    partner_bucket,
    partner_payable,
    statement,
)
from processors.ledger.entry_ids import fast_derived_id
from processors.partner import PartnerState, apply
from processors.programs import load_programs
from schemas.events import (
    AlertAcknowledged,
    AlertResolved,
    Allowance,
    DealRegistered,
    DealRegistrationApproved,
    InputEvent,
    PartnerType,
    Resolution,
    SaleRecorded,
    Severity,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.outputs import AlertRule, Bucket, LedgerEntry
from tests.unit.ledger.builders import PARTNER, Events, entries, run

BOOK = load_programs(Path(__file__).resolve().parents[3] / "deploy" / "programs")
START = datetime(2026, 1, 1, tzinfo=UTC)
PROGRAMS = ("var-advantage", "distributor-growth")
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ACTIONS = ["sale"] * 8 + [
    "return",
    "return",
    "early_return",
    "certify",
    "register",
    "claim",
    "payout",
    "reverse",
    "support",
    "tick",
    "lifecycle",
]


@st.composite
def sequences(draw: st.DrawFn) -> list[InputEvent]:
    ev = Events()
    partner_type = draw(st.sampled_from([PartnerType.VAR, PartnerType.DISTRIBUTOR]))
    program_id = PROGRAMS[0] if partner_type is PartnerType.VAR else PROGRAMS[1]
    t = START
    events: list[InputEvent] = []
    onboard_at = draw(st.integers(0, 3))  # sometimes events come before the onboarding
    sales: list[SaleRecorded] = []
    payouts: list[str] = []
    n = draw(st.integers(4, 35))
    for i in range(n):
        if i == onboard_at:
            events.append(ev.onboarded(START.isoformat(), programs=PROGRAMS, partner_type=partner_type))
        t += timedelta(hours=draw(st.integers(0, 24 * 9)))
        when = (t - timedelta(hours=draw(st.integers(0, 72)))) if draw(st.integers(0, 5)) == 0 else t
        stamp = when.isoformat()
        action = draw(st.sampled_from(ACTIONS))
        if action == "sale":
            security = draw(st.booleans())
            sale = ev.sale(
                stamp,
                Decimal(draw(st.integers(100, 300000_00))) / 100,
                quantity=draw(st.integers(1, 20)),
                sku="FW-200" if security else "SKU-1",
                product_line="security" if security else "network",
                territory=draw(st.sampled_from(["US-CA", "US-NY", "DE-BY"])),
                registration_id="REG-1" if draw(st.booleans()) else None,
            )
            sales.append(sale)
            events.append(sale)
        elif action in ("return", "early_return") and sales:
            sale = draw(st.sampled_from(sales))
            full = draw(st.booleans())
            qty = sale.quantity if full else draw(st.integers(1, sale.quantity))
            amount = sale.amount if full else (sale.amount * qty / sale.quantity).quantize(Decimal("0.01"))
            ret = ev.returned(max(when, sale.occurred_at).isoformat(), sale, amount, quantity=qty)
            if action == "early_return":
                events.insert(events.index(sale), ret)
            else:
                events.append(ret)
        elif action == "certify":
            events.append(ev.certified(stamp, "security", (when + timedelta(days=120)).isoformat()))
        elif action == "register":
            base = {"source": "crm", "registration_id": "REG-1", "partner_id": PARTNER, "customer_id": "C-1"}
            events.append(
                DealRegistered(
                    event_id=f"reg-{i}",
                    occurred_at=when,
                    customer_territory="US-CA",
                    product_line="network",
                    estimated_amount=Decimal(1000),
                    currency="USD",
                    **base,
                )
            )
            events.append(DealRegistrationApproved(event_id=f"ok-{i}", occurred_at=when, **base))
        elif action == "claim":
            allowance = draw(st.sampled_from(list(Allowance)))
            claim = ev.claimed(stamp, f"CL-{i}", draw(st.integers(1, 5000)), allowance, program_id=program_id)
            events.append(claim)
            if draw(st.booleans()):
                events.append(ev.approved(stamp, claim.claim_id))
        elif action == "payout":
            payouts.append(f"PO-{i}")
            events.append(
                ev.payout(stamp, f"PO-{i}", draw(st.integers(1, 8000)), "2026-Q1", program_id=program_id)
            )
        elif action == "lifecycle" and i > onboard_at:
            # Acknowledge and/or resolve a territory alert raised just before (a customer of its
            # own: raised once, so a redelivery meets the same alert or none), or the overpayment
            # alert of an earlier payout, which exists only if that payout overpaid.
            if payouts and draw(st.booleans()):
                situation = f"payout:{draw(st.sampled_from(payouts))}"
                alert_id = fast_derived_id("alert", AlertRule.OVERPAYMENT.value, PARTNER, situation)
            else:
                customer = f"C-T{i}"
                events.append(ev.sale(stamp, 100, territory="DE-BY", customer=customer))
                alert_id = fast_derived_id(
                    "alert", AlertRule.TERRITORY_VIOLATION.value, PARTNER, customer, "DE-BY"
                )
            life_at = (when + timedelta(hours=draw(st.integers(-48, 24 * 200)))).isoformat()
            steps = draw(st.sampled_from(["ack", "resolve", "ack+resolve"]))
            if "ack" in steps:
                events.append(ev.acknowledged(life_at, alert_id))
            if "resolve" in steps:
                events.append(ev.resolved(life_at, alert_id))
        elif action == "reverse" and payouts:
            events.append(ev.payout_reversed(stamp, draw(st.sampled_from(payouts))))
        elif action == "support":
            base2 = {"source": "desk", "partner_id": PARTNER, "case_id": f"K-{i}"}
            events.append(
                SupportCaseOpened(
                    event_id=f"ko-{i}",
                    occurred_at=when,
                    customer_id="C-1",
                    sku="SKU-1",
                    severity=Severity.P3,
                    **base2,
                )
            )
            done = when + timedelta(hours=draw(st.integers(1, 96)))
            events.append(
                SupportCaseResolved(
                    event_id=f"kr-{i}", occurred_at=done, resolution=Resolution.FIXED, **base2
                )
            )
            events.append(
                SupportCaseRated(event_id=f"ks-{i}", occurred_at=done, csat=draw(st.integers(1, 5)), **base2)
            )
        else:
            events.append(ev.tick(stamp))
    if onboard_at >= n:
        events.append(ev.onboarded(START.isoformat(), programs=PROGRAMS, partner_type=partner_type))
    return events


def _ledger(outputs: list[object]) -> list[LedgerEntry]:
    return [o for o in outputs if isinstance(o, LedgerEntry)]


@PROPERTY_SETTINGS
@given(sequences())
def test_postings_of_every_entry_sum_to_zero_per_currency(events: list[InputEvent]) -> None:
    _, out = run(events, BOOK)
    for entry in entries(out):
        per_currency: dict[str, Decimal] = defaultdict(Decimal)
        for posting in entry.postings:
            per_currency[posting.currency] += posting.amount
            assert posting.amount == posting.amount.quantize(Decimal("0.01")) or posting.amount == int(
                posting.amount
            )
        assert all(total == 0 for total in per_currency.values())


@PROPERTY_SETTINGS
@given(sequences(), st.data())
def test_processing_any_event_twice_changes_nothing(events: list[InputEvent], data: st.DataObject) -> None:
    state: PartnerState | None = None
    for i, event in enumerate(events):
        state, _ = apply(state, event, BOOK)
        before = state.to_bytes()
        again = events[data.draw(st.integers(0, i))]  # the event itself or any earlier one
        after, out = apply(state, again, BOOK)
        assert after.to_bytes() == before
        assert not any(isinstance(o, LedgerEntry) for o in out)


@PROPERTY_SETTINGS
@given(sequences(), st.data())
def test_replay_and_restart_from_snapshot_give_identical_bytes(
    events: list[InputEvent], data: st.DataObject
) -> None:
    first_state, first = run(events, BOOK)
    second_state, second = run(events, BOOK)
    assert canonical_bytes(first) == canonical_bytes(second)
    assert first_state is not None and second_state is not None
    assert first_state.to_bytes() == second_state.to_bytes()
    cut = data.draw(st.integers(0, len(events)))
    head_state, head = run(events[:cut], BOOK)
    restored = PartnerState.from_bytes(head_state.to_bytes()) if head_state is not None else None
    tail_state, tail = run(events[cut:], BOOK, restored)
    assert canonical_bytes(head + tail) == canonical_bytes(first)
    assert tail_state is not None and tail_state.to_bytes() == first_state.to_bytes()


@PROPERTY_SETTINGS
@given(sequences(), st.data())
def test_balances_are_the_fold_of_entries_and_match_the_state(
    events: list[InputEvent], data: st.DataObject
) -> None:
    state, out = run(events, BOOK)
    ledger = entries(out)
    cut = data.draw(st.integers(0, len(ledger)))
    totals = balances(ledger)
    assert balances(ledger[cut:], balances(ledger[:cut])) == totals
    assert state is not None
    for program_id in PROGRAMS:
        owed = -(
            totals.get((partner_payable(PARTNER, program_id), "USD"), Decimal(0))
            + sum(
                (
                    totals.get((partner_bucket(PARTNER, program_id, b), "USD"), Decimal(0))
                    for b in CASH_BUCKETS
                ),
                Decimal(0),
            )
        )
        assert state.payable.get(program_id, Decimal(0)) == owed
        assert statement(ledger, PARTNER).owed.get((program_id, "USD"), Decimal(0)) == owed
        for bucket in (Bucket.MDF, Bucket.WAREHOUSING, Bucket.TRANSPORT):
            fund = state.funds.get(f"{program_id}|{bucket.value}")
            held = fund.available if fund is not None else Decimal(0)
            assert -totals.get((partner_bucket(PARTNER, program_id, bucket), "USD"), Decimal(0)) == held


@PROPERTY_SETTINGS
@given(sequences(), st.integers(1, 400000_00), st.integers(1, 20), st.booleans())
def test_a_sale_followed_by_its_full_return_nets_to_zero_in_every_bucket(
    events: list[InputEvent], cents_amount: int, quantity: int, security: bool
) -> None:
    state, _ = run(events, BOOK)
    ev = Events()
    ev.n = 10_000
    # The partner's latest business time (alert lifecycle events do not move its clock).
    last = max(e.occurred_at for e in events if not isinstance(e, AlertAcknowledged | AlertResolved))
    sale = ev.sale(
        last.isoformat(),
        Decimal(cents_amount) / 100,
        quantity=quantity,
        sku="FW-200" if security else "SKU-1",
        product_line="security" if security else "network",
        registration_id="REG-1",
    )
    _, out = run([sale, ev.returned(last.isoformat(), sale)], BOOK, state)
    net: dict[tuple[str, Bucket | None], Decimal] = defaultdict(Decimal)
    for entry in entries(out):
        for posting in entry.postings:
            net[(posting.account, entry.bucket)] += posting.amount
    assert all(total == 0 for total in net.values()), dict(net)
    lost = [o for o in out if not isinstance(o, LedgerEntry) and hasattr(o, "forgone_id")]
    assert sum((o.amount for o in lost), Decimal(0)) == 0  # type: ignore[attr-defined]
