"""Worked examples with hand-computed figures (the same ones docs/ledger.md walks through)."""

from __future__ import annotations

from decimal import Decimal

from processors.ledger import balances, partner_bucket, partner_payable, statement
from schemas.events import Allowance
from schemas.outputs import AlertRule, AlertSeverity, Bucket, EntryKind, PartyRole
from tests.unit.ledger.builders import (
    MARGINAL_TIERS,
    PARTNER,
    RETRO_TIERS,
    Events,
    alerts,
    amounts,
    book,
    credited,
    entries,
    forgone,
    money,
    program,
    rejections,
    run,
)

RETRO = {"id": "volume", "kind": "volume_rebate", "mode": "retroactive", "tiers": RETRO_TIERS}
MDF = {"id": "mdf", "kind": "allowance", "allowance": "marketing", "rate": "0.01", "expiry_days": 90}


def test_retroactive_tier_crossing_books_the_sale_and_a_true_up() -> None:
    # 60,000 at 2 % = 1,200.00. Then 50,000 takes the quarter to 110,000: silver, 3 %.
    # The new sale earns 50,000 x 3 % = 1,500.00; the first 60,000 is re-rated from 2 % to
    # 3 %: TRUE_UP 600.00. Quarter total 3,300.00 = 110,000 x 3 %.
    ev = Events()
    _, out = run(
        [ev.onboarded("2026-01-01"), ev.sale("2026-01-10", 60000), ev.sale("2026-02-05", 50000)],
        book(program([RETRO])),
    )
    booked = [(e.kind, e.tier, credited(e)) for e in entries(out)]
    assert booked == [
        (EntryKind.ACCRUAL, "registered", money("1200.00")),
        (EntryKind.ACCRUAL, "silver", money("1500.00")),
        (EntryKind.TRUE_UP, "silver", money("600.00")),
    ]
    true_up = entries(out, EntryKind.TRUE_UP)[0]
    assert true_up.source_event_ids == ("e3",)
    assert (true_up.program_id, true_up.program_version, true_up.rule_id, true_up.period) == (
        "prog",
        1,
        "volume",
        "2026-Q1",
    )


def test_marginal_tiers_rate_each_band_at_its_own_rate() -> None:
    # 400,000 at 1 % = 4,000.00. Then 700,000 brings the quarter to 1,100,000:
    # 500,000 x 1 % + 500,000 x 1.5 % + 100,000 x 2 % = 5,000 + 7,500 + 2,000 = 14,500.00,
    # so the second sale earns 10,500.00 and nothing earlier is re-rated (no TRUE_UP).
    rule = {"id": "volume", "kind": "volume_rebate", "mode": "marginal", "tiers": MARGINAL_TIERS}
    ev = Events()
    _, out = run(
        [ev.onboarded("2026-01-01"), ev.sale("2026-01-10", 400000), ev.sale("2026-01-20", 700000)],
        book(program([rule])),
    )
    assert [(e.kind, e.tier, credited(e)) for e in entries(out)] == [
        (EntryKind.ACCRUAL, "band-1", money("4000.00")),
        (EntryKind.ACCRUAL, "band-3", money("10500.00")),
    ]


def test_return_after_tier_crossing_claws_back_at_the_tier_the_sale_earned() -> None:
    # After the crossing above (1,200 + 1,500 + 600 = 3,300.00), the first sale (60,000) is
    # returned in full. It earned 1,200.00 at "registered": CLAWBACK -1,200.00. The quarter
    # drops to 50,000, back to 2 %: target 1,000.00, accrued 3,300 - 1,200 = 2,100.00, so
    # TRUE_UP -1,100.00. Net 1,000.00 = 50,000 x 2 %.
    ev = Events()
    first = ev.sale("2026-01-10", 60000)
    _, out = run(
        [ev.onboarded("2026-01-01"), first, ev.sale("2026-02-05", 50000), ev.returned("2026-02-20", first)],
        book(program([RETRO])),
    )
    tail = entries(out)[3:]
    assert [(e.kind, e.tier, credited(e)) for e in tail] == [
        (EntryKind.CLAWBACK, "registered", money("-1200.00")),
        (EntryKind.TRUE_UP, "registered", money("-1100.00")),
    ]
    assert sum((credited(e) for e in entries(out)), Decimal(0)) == money("1000.00")


def test_partial_returns_claw_back_exactly_what_the_sale_earned() -> None:
    # 1,000.01 at 2 % earns 20.00 (20.0002 rounded). Returned in three parts of 333.33,
    # 333.33 and 333.35: clawbacks 6.67, 6.66, 6.67 sum to exactly 20.00 (cumulative
    # proration: round(20.00 x returned / sold) minus what was already clawed back).
    ev = Events()
    sale = ev.sale("2026-01-10", "1000.01", quantity=3)
    events = [
        ev.onboarded("2026-01-01"),
        sale,
        ev.returned("2026-01-11", sale, "333.33", quantity=1),
        ev.returned("2026-01-12", sale, "333.33", quantity=1),
        ev.returned("2026-01-13", sale, "333.35", quantity=1),
    ]
    _, out = run(events, book(program([RETRO])))
    assert amounts(out, EntryKind.ACCRUAL) == [money("20.00")]
    assert amounts(out, EntryKind.CLAWBACK) == [money("-6.67"), money("-6.66"), money("-6.67")]
    assert sum((credited(e) for e in entries(out)), Decimal(0)) == 0


def test_spiff_window_is_inclusive_at_start_and_exclusive_at_end() -> None:
    # 75.00 per unit of FW-200 in [2026-03-01T00:00Z, 2026-05-01T00:00Z).
    spiff = {
        "id": "fw",
        "kind": "spiff",
        "skus": ["FW-200"],
        "amount_per_unit": 75,
        "window_start": "2026-03-01T00:00:00+00:00",
        "window_end": "2026-05-01T00:00:00+00:00",
    }
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-02-28T23:59:59.999", 1000, quantity=4, sku="FW-200"),  # before: nothing
        ev.sale("2026-03-01T00:00:00", 1000, quantity=4, sku="FW-200"),  # first instant: 300.00
        ev.sale("2026-04-30T23:59:59.999", 1000, quantity=4, sku="FW-200"),  # last ms: 300.00
        ev.sale("2026-05-01T00:00:00", 1000, quantity=4, sku="FW-200"),  # end: nothing
        ev.sale("2026-04-10", 1000, quantity=4, sku="FW-400"),  # other SKU: nothing
    ]
    _, out = run(events, book(program([spiff])))
    spiffs = entries(out, EntryKind.ACCRUAL)
    assert [(e.source_event_ids, credited(e)) for e in spiffs] == [
        (("e3",), money("300.00")),
        (("e4",), money("300.00")),
    ]


def test_certification_gate_accrues_nothing_and_reports_the_forgone_amount() -> None:
    spiff = {
        "id": "fw",
        "kind": "spiff",
        "skus": ["FW-200"],
        "amount_per_unit": 75,
        "window_start": "2026-03-01",
        "window_end": "2026-05-01",
        "requires_certification": True,
    }
    ev = Events()
    uncertified = ev.sale("2026-03-05", 1000, quantity=2, sku="FW-200", product_line="security")
    events = [
        ev.onboarded("2026-01-01"),
        uncertified,
        ev.certified("2026-03-10", "security", "2027-03-10"),
        ev.sale("2026-03-12", 1000, quantity=2, sku="FW-200", product_line="security"),
        ev.returned("2026-03-20", uncertified),
    ]
    _, out = run(events, book(program([spiff])))
    assert [credited(e) for e in entries(out)] == [money("150.00")]  # only the certified sale
    lost = forgone(out)
    assert [(f.source_event_ids, f.amount, f.bucket) for f in lost] == [
        (("e1",), money("150.00"), Bucket.SPIFF),
        (("e5",), money("-150.00"), Bucket.SPIFF),  # its return reverses the lost amount
    ]


def test_mdf_claim_larger_than_the_fund_is_recorded_and_raises_overpayment() -> None:
    # Sale 100,000 accrues 1 % MDF = 1,000.00. A claim of 1,500.00 exceeds the fund: alert at
    # submission (revision 1) and at approval (revision 2, same alert id). The approval is
    # booked in full (fund -> payable 1,500.00); the fund is overdrawn by 500.00, which the
    # next accrual (80,000 x 1 % = 800.00) repays first, leaving 300.00 claimable.
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-01-10", 100000),
        ev.claimed("2026-01-20", "CL-1", 1500),
        ev.approved("2026-01-25", "CL-1"),
        ev.sale("2026-02-10", 80000),
    ]
    state, out = run(events, book(program([MDF])))
    raised = alerts(out)
    assert [(a.rule_id, a.revision, a.severity) for a in raised] == [
        (AlertRule.OVERPAYMENT, 1, AlertSeverity.HIGH),
        (AlertRule.OVERPAYMENT, 2, AlertSeverity.HIGH),
    ]
    assert raised[0].alert_id == raised[1].alert_id
    assert raised[1].evidence_event_ids == ("e3", "e4")
    assert raised[1].parties[0].partner_id == PARTNER and raised[1].parties[0].role is PartyRole.VENDOR
    claim = entries(out, EntryKind.CLAIM_APPROVED)[0]
    totals = balances(entries(out))
    assert claim.source_event_ids == ("e3", "e4")
    assert totals[(partner_payable(PARTNER, "prog"), "USD")] == money("-1500.00")
    assert totals[(partner_bucket(PARTNER, "prog", Bucket.MDF), "USD")] == money("-300.00")
    assert state is not None
    assert state.funds["prog|mdf"].available == money("300.00")


def test_payout_larger_than_the_balance_is_recorded_and_raises_overpayment() -> None:
    # 90,000 at 2 % = 1,800.00 payable. A payout of 2,500.00 is booked in full (payable ->
    # cash) and raises OVERPAYMENT; the partner now owes 700.00 back (owed = -700.00).
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-01-10", 90000),
        ev.payout("2026-04-20", "PO-1", 2500),
    ]
    _, out = run(events, book(program([RETRO])))
    payout = entries(out, EntryKind.PAYOUT)[0]
    assert {(p.account, p.amount) for p in payout.postings} == {
        (partner_payable(PARTNER, "prog"), money("2500")),
        ("vendor:cash", money("-2500")),
    }
    (alert,) = alerts(out)
    assert alert.rule_id is AlertRule.OVERPAYMENT and alert.evidence_event_ids == ("e3",)
    assert "1800.00" in alert.message
    lines = statement(entries(out), PARTNER).lines
    assert [(line.period, line.owed) for line in lines] == [("2026-Q1", money("-700.00"))]
    assert lines[0].paid == money("2500") and lines[0].accrued == {Bucket.REBATE: money("1800.00")}


def test_payout_reversal_restores_what_is_owed() -> None:
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-01-10", 90000),
        ev.payout("2026-04-20", "PO-1", 1800),
        ev.payout_reversed("2026-04-22", "PO-1"),
    ]
    _, out = run(events, book(program([RETRO])))
    assert alerts(out) == []
    assert [e.kind for e in entries(out)] == [EntryKind.ACCRUAL, EntryKind.PAYOUT, EntryKind.PAYOUT_REVERSAL]
    assert statement(entries(out), PARTNER).owed == {("prog", "USD"): money("1800.00")}


def test_cap_limits_what_a_period_pays_and_a_return_under_the_cap_claws_nothing() -> None:
    # 2 % capped at 1,500.00: 60,000 earns 1,200.00; 30,000 would earn 600.00 but only
    # 300.00 fits under the cap. Returning 10,000 of the first sale claws back its share
    # (1,200 x 10/60 = 200.00) and the re-rate restores the cap (80,000 x 2 % = 1,600 -> 1,500).
    capped = dict(RETRO, cap=1500)
    ev = Events()
    first = ev.sale("2026-01-10", 60000)
    _, out = run(
        [
            ev.onboarded("2026-01-01"),
            first,
            ev.sale("2026-01-11", 30000),
            ev.returned("2026-01-12", first, 10000),
        ],
        book(program([capped])),
    )
    assert [(e.kind, credited(e)) for e in entries(out)] == [
        (EntryKind.ACCRUAL, money("1200.00")),
        (EntryKind.ACCRUAL, money("300.00")),
        (EntryKind.CLAWBACK, money("-200.00")),
        (EntryKind.TRUE_UP, money("200.00")),
    ]


def test_growth_rebate_needs_last_years_revenue_plus_threshold() -> None:
    # Q1 2025: 100,000. Q1 2026 must reach 110,000 (+10 %) for 1 % on the quarter.
    # 60,000 -> not yet; +55,000 = 115,000 -> qualifies: ACCRUAL 550.00 + TRUE_UP 600.00.
    growth = {"id": "growth", "kind": "growth_rebate", "threshold": "0.10", "rate": "0.01"}
    ev = Events()
    events = [
        ev.onboarded("2025-01-01"),
        ev.sale("2025-02-10", 100000),
        ev.tick("2025-12-01"),
        ev.sale("2026-01-10", 60000),
        ev.sale("2026-02-10", 55000),
    ]
    _, out = run(events, book(program([growth], effective_from="2025-01-01")))
    assert [(e.kind, e.tier, credited(e)) for e in entries(out)] == [
        (EntryKind.ACCRUAL, "growth", money("550.00")),
        (EntryKind.TRUE_UP, "growth", money("600.00")),
    ]


def test_registration_bonus_needs_the_partners_own_approved_unexpired_registration() -> None:
    from schemas.events import DealRegistered, DealRegistrationApproved

    bonus = {"id": "deal-reg", "kind": "registration_bonus", "rate": "0.02"}
    ev = Events()
    reg = DealRegistered(
        event_id="r1",
        occurred_at=ev.tick("2026-01-05").occurred_at,
        source="crm",
        registration_id="REG-1",
        partner_id=PARTNER,
        customer_id="C-1",
        customer_territory="US-CA",
        product_line="network",
        estimated_amount=money(50000),
        currency="USD",
    )
    ok = DealRegistrationApproved(
        event_id="r2",
        occurred_at=ev.tick("2026-01-06").occurred_at,
        source="crm",
        registration_id="REG-1",
        partner_id=PARTNER,
        customer_id="C-1",
    )
    events = [
        ev.onboarded("2026-01-01"),
        reg,
        ok,
        ev.sale("2026-02-01", 10000, registration_id="REG-1"),  # 200.00
        ev.sale("2026-02-02", 10000, registration_id="REG-1", customer="C-2"),  # other customer: none
        ev.sale("2026-04-06", 10000, registration_id="REG-1"),  # 90 days after registration: expired
    ]
    _, out = run(events, book(program([bonus])))
    assert [(e.source_event_ids, credited(e)) for e in entries(out)] == [(("e4",), money("200.00"))]


def test_unclaimed_mdf_expires_after_the_configured_days() -> None:
    # 1 % of 50,000 = 500.00 MDF in Q1; 200.00 claimed; the remaining 300.00 expires 90 days
    # after the quarter ends (2026-04-01 + 90 days = 2026-06-30T00:00Z), on the first event at
    # or after that time.
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-01-10", 50000),
        ev.claimed("2026-02-01", "CL-1", 200),
        ev.approved("2026-02-02", "CL-1"),
        ev.tick("2026-06-29T23:59:59"),
        ev.tick("2026-06-30T00:00:00"),
    ]
    _, out = run(events, book(program([MDF])))
    (expiry,) = entries(out, EntryKind.EXPIRY)
    assert credited(expiry) == money("-300.00") and expiry.period == "2026-Q1"
    assert expiry.occurred_at.isoformat() == "2026-06-30T00:00:00+00:00"
    assert expiry.source_event_ids == ("e6",)
    line = statement(entries(out), PARTNER).lines[0]
    assert line.expired == {Bucket.MDF: money("300.00")} and line.funds == {}


def test_care_bonus_is_accrued_when_the_period_closes() -> None:
    from schemas.events import Severity, SupportCaseOpened, SupportCaseRated, SupportCaseResolved

    care = {
        "id": "care",
        "kind": "care_bonus",
        "min_csat": "4.0",
        "max_avg_resolution_hours": 24,
        "min_rated_cases": 2,
        "amount": 1000,
    }
    ev = Events()
    base = {"source": "desk", "partner_id": PARTNER}
    t = ev.tick
    events = [
        ev.onboarded("2026-01-01"),
        SupportCaseOpened(
            event_id="c1o",
            occurred_at=t("2026-02-01").occurred_at,
            case_id="K1",
            customer_id="C-1",
            sku="SKU-1",
            severity=Severity.P2,
            **base,
        ),
        SupportCaseResolved(
            event_id="c1r",
            occurred_at=t("2026-02-01T10:00").occurred_at,
            case_id="K1",
            resolution=__import__("schemas.events", fromlist=["Resolution"]).Resolution.FIXED,
            **base,
        ),
        SupportCaseRated(
            event_id="c1s", occurred_at=t("2026-02-02").occurred_at, case_id="K1", csat=5, **base
        ),
        SupportCaseRated(
            event_id="c2s", occurred_at=t("2026-02-03").occurred_at, case_id="K2", csat=4, **base
        ),
        ev.tick("2026-04-10T23:59"),  # Q1 closes 10 days after its end: not yet
        ev.tick("2026-04-11"),
    ]
    _, out = run(events, book(program([care])))
    (bonus,) = entries(out)
    assert (bonus.kind, bonus.bucket, bonus.period, credited(bonus)) == (
        EntryKind.ACCRUAL,
        Bucket.CARE_BONUS,
        "2026-Q1",
        money("1000.00"),
    )
    assert "CSAT 4.50" in bonus.memo


def test_fund_accounts_equal_the_fund_state() -> None:
    alloc = [
        MDF,
        {"id": "wh", "kind": "allowance", "allowance": "warehousing", "per_unit": "0.40", "expiry_days": 180},
    ]
    ev = Events()
    events = [
        ev.onboarded("2026-01-01"),
        ev.sale("2026-01-10", 1000, quantity=10),
        ev.claimed("2026-01-11", "W-1", 10, allowance=Allowance.WAREHOUSING),
        ev.approved("2026-01-12", "W-1"),
    ]
    state, out = run(events, book(program(alloc)))
    totals = balances(entries(out))
    assert state is not None
    assert (
        totals[(partner_bucket(PARTNER, "prog", Bucket.WAREHOUSING), "USD")]
        == -state.funds["prog|warehousing"].available
    )
    assert state.funds["prog|warehousing"].available == money("-6.00")  # 4.00 accrued, 10 claimed
    assert rejections(out) == []
