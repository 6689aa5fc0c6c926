"""The dataset looks like a vendor's channel: every partner type, the example programs, skew,
seasonality, and every kind of activity the ledger and the conflict rules act on."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from processors.programs import load_programs
from schemas.events import (
    AllowanceClaimApproved,
    AllowanceClaimed,
    AllowanceClaimRejected,
    ClockTicked,
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    InputEvent,
    PartnerCertified,
    PartnerOffboarded,
    PartnerOnboarded,
    PartnerTier,
    PartnerTierChanged,
    PartnerType,
    PayoutIssued,
    SaleChannel,
    SaleRecorded,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.outputs import AlertRule
from services.datagen import DEFAULT_PROGRAMS_DIR, DatagenConfig, GeneratedRecord, ValidRecord, generate
from services.datagen.catalog import TERRITORIES
from services.datagen.generator import resolve_start

YEAR = DatagenConfig(seed=21, daily_rate=400, partners=60, customers=3000)
"""A full default-shaped year at a modest rate."""


@pytest.fixture(scope="module")
def year() -> list[InputEvent]:
    return list(generate(YEAR))


def _events_of(records: list[GeneratedRecord]) -> list[InputEvent]:
    return [r.event for r in records if isinstance(r, ValidRecord)]


def test_partners_of_every_type_with_tiers_territories_and_certifications(
    small_records: list[GeneratedRecord],
) -> None:
    onboarded = [e for e in _events_of(small_records) if isinstance(e, PartnerOnboarded)]
    assert len(onboarded) == 24
    assert {p.partner_type for p in onboarded} == set(PartnerType)
    assert len({p.tier for p in onboarded}) >= 3
    codes = {t.code for t in TERRITORIES}
    assert all(p.territories and set(p.territories) <= codes for p in onboarded)
    certified = {
        (e.partner_id, e.product_line) for e in _events_of(small_records) if isinstance(e, PartnerCertified)
    }
    assert len({line for _, line in certified}) >= 5


def test_enrolment_follows_the_example_programs() -> None:
    book = load_programs(DEFAULT_PROGRAMS_DIR)
    onboarded = [e for e in generate(DatagenConfig(seed=1, events=200)) if isinstance(e, PartnerOnboarded)]
    assert len(onboarded) == 60
    for partner in onboarded:
        for program_id in partner.programs:
            assert program_id in book.program_ids
        eligible = {
            pid
            for pid in book.program_ids
            if partner.partner_type in book.versions(pid)[0].eligible_partner_types
        }
        assert set(partner.programs) == eligible
    assert {pid for p in onboarded for pid in p.programs} == set(book.program_ids)


def test_the_default_start_is_when_the_example_programs_take_effect() -> None:
    book = load_programs(DEFAULT_PROGRAMS_DIR)
    first = min(v.effective_from for pid in book.program_ids for v in book.versions(pid)).date()
    assert resolve_start(DatagenConfig()) == first
    assert resolve_start(DatagenConfig(programs_dir=None)) == date(2025, 1, 1)
    assert resolve_start(DatagenConfig(start=date(2024, 6, 1))) == date(2024, 6, 1)


def test_a_year_is_skewed_seasonal_and_complete(year: list[InputEvent]) -> None:
    events = year
    types = Counter(type(e).__name__ for e in events)
    for needed in (
        SaleRecorded, DealRegistered, DealRegistrationApproved, DealRegistrationRejected,
        DealRegistrationWithdrawn, SupportCaseOpened, SupportCaseResolved, SupportCaseRated,
        AllowanceClaimed, AllowanceClaimApproved, AllowanceClaimRejected, PayoutIssued, PartnerOffboarded,
    ):  # fmt: skip
        assert types[needed.__name__] > 0, needed.__name__
    assert 0.85 * 400 * 365 < len(events) < 1.15 * 400 * 365

    revenue: Counter[str] = Counter()
    per_day: Counter[date] = Counter()
    for e in events:
        if isinstance(e, SaleRecorded):
            per_day[e.occurred_at.date()] += 1
            if e.partner_id is not None:
                revenue[e.partner_id] += int(e.amount)
    top = sum(v for _, v in revenue.most_common(6))
    assert top > 0.4 * sum(revenue.values()), "a few big partners carry the channel"

    quarter_ends = [date(2026, m, d) for m, d in ((3, 30), (3, 31), (6, 29), (6, 30), (9, 29), (9, 30))]
    mid_quarter = [date(2026, m, 14) + timedelta(days=k) for m in (2, 5, 8) for k in range(2)]
    busy = sum(per_day[d] for d in quarter_ends) / len(quarter_ends)
    quiet = sum(per_day[d] for d in mid_quarter if d.weekday() < 5) / sum(
        1 for d in mid_quarter if d.weekday() < 5
    )
    assert busy > 1.6 * quiet, (busy, quiet)


def test_registration_outcomes_and_wins(small_records: list[GeneratedRecord]) -> None:
    events = _events_of(small_records)
    registered = {e.registration_id: e for e in events if isinstance(e, DealRegistered)}
    approved = {e.registration_id: e for e in events if isinstance(e, DealRegistrationApproved)}
    ended = {
        e.registration_id
        for e in events
        if isinstance(e, DealRegistrationRejected | DealRegistrationWithdrawn)
    }
    wins = [e for e in events if isinstance(e, SaleRecorded) and e.registration_id is not None]
    assert wins
    for sale in wins:
        assert sale.registration_id is not None
        reg, approval = registered[sale.registration_id], approved[sale.registration_id]
        assert (sale.partner_id, sale.customer_id, sale.product_line) == (
            reg.partner_id,
            reg.customer_id,
            reg.product_line,
        )
        expires = approval.expires_at or reg.occurred_at + timedelta(days=90)
        assert approval.occurred_at < sale.occurred_at < expires
    won = {s.registration_id for s in wins}
    last = max(e.occurred_at for e in events if isinstance(e, SaleRecorded))
    expired = [
        r for r, a in approved.items()
        if r not in won and r not in ended
        and (a.expires_at or registered[r].occurred_at + timedelta(days=90)) < last
    ]  # fmt: skip
    assert expired, "some approved registrations are left to expire"


def test_support_cases_resolve_after_opening_and_csat_is_one_to_five(
    small_records: list[GeneratedRecord],
) -> None:
    events = _events_of(small_records)
    opened = {e.case_id: e for e in events if isinstance(e, SupportCaseOpened)}
    resolved = {e.case_id: e for e in events if isinstance(e, SupportCaseResolved)}
    rated = [e for e in events if isinstance(e, SupportCaseRated)]
    assert 0.8 * len(opened) < len(resolved) < len(opened)
    for case_id, done in resolved.items():
        assert done.occurred_at > opened[case_id].occurred_at
        assert done.partner_id == opened[case_id].partner_id
    assert rated and all(1 <= r.csat <= 5 and r.occurred_at > resolved[r.case_id].occurred_at for r in rated)
    assert len({r.csat for r in rated}) >= 4


def test_partners_only_act_between_onboarding_and_offboarding(small_records: list[GeneratedRecord]) -> None:
    joined: dict[str, PartnerOnboarded] = {}
    left: set[str] = set()
    for event in _events_of(small_records):
        partner_id = getattr(event, "partner_id", None)
        if isinstance(event, PartnerOnboarded):
            joined[event.partner_id] = event
        elif partner_id is not None:
            assert partner_id in joined, event
            assert partner_id not in left, event
        if isinstance(event, PartnerOffboarded):
            left.add(event.partner_id)


def test_every_active_partner_gets_a_clock_tick_at_each_month_end(
    small_records: list[GeneratedRecord],
) -> None:
    events = _events_of(small_records)
    partners = {e.partner_id for e in events if isinstance(e, PartnerOnboarded)}
    offboarded = {e.partner_id for e in events if isinstance(e, PartnerOffboarded)}
    ticks: defaultdict[datetime, set[str]] = defaultdict(set)
    for e in events:
        if isinstance(e, ClockTicked):
            ticks[e.occurred_at].add(e.partner_id)
    assert ticks
    for at, ticked in ticks.items():
        assert (at.day, at.hour, at.minute, at.second) == (1, 0, 0, 0)
        assert partners - offboarded <= ticked


def test_staged_conflicts_of_every_rule(small_records: list[GeneratedRecord]) -> None:
    staged = Counter(r.staged for r in small_records if isinstance(r, ValidRecord) and r.staged)
    assert set(staged) == set(AlertRule)
    sales = sum(1 for e in _events_of(small_records) if isinstance(e, SaleRecorded))
    situations = sum(n for rule, n in staged.items() if rule is not AlertRule.OVERPAYMENT)
    assert 0.6 * 0.03 * sales < situations < 1.4 * 0.03 * sales


def test_staged_sales_break_the_rule_they_are_tagged_with(small_records: list[GeneratedRecord]) -> None:
    onboarded = {e.partner_id: e for e in _events_of(small_records) if isinstance(e, PartnerOnboarded)}
    for record in small_records:
        if not isinstance(record, ValidRecord) or not isinstance(record.event, SaleRecorded):
            continue
        sale = record.event
        if record.staged is AlertRule.TERRITORY_VIOLATION:
            assert sale.partner_id is not None
            assert sale.customer_territory not in onboarded[sale.partner_id].territories
        elif record.staged is AlertRule.VENDOR_BYPASS:
            assert sale.channel is SaleChannel.DIRECT


def test_overpayments_are_staged_on_payouts_and_claims(small_records: list[GeneratedRecord]) -> None:
    staged = [
        r.event for r in small_records if isinstance(r, ValidRecord) and r.staged is AlertRule.OVERPAYMENT
    ]
    assert any(isinstance(e, PayoutIssued) for e in staged)
    assert any(isinstance(e, AllowanceClaimed) for e in staged)
    assert all(isinstance(e, PayoutIssued | AllowanceClaimed) and e.amount > Decimal(500) for e in staged)


def test_tiers_change_at_quarterly_reviews(year: list[InputEvent]) -> None:
    changes = [e for e in year if isinstance(e, PartnerTierChanged)]
    assert changes
    assert all(e.occurred_at.month in (1, 4, 7, 10) and e.occurred_at.day <= 3 for e in changes)
    assert all(e.tier in PartnerTier for e in changes)
