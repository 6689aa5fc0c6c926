"""Period end for finance: payouts of what partners earned, allowance claims on their funds.

At a period end the period's accruals are estimated from the sales tally and the payout and
claims are planned; their amounts are decided on the day they happen, when month-to-date
activity is known too. An ordinary payout is a fraction of the lower bound of what is owed,
an ordinary claim a fraction of the fund left, so neither exceeds the ledger's balance. With
``overpayment_rate`` a payout or claim is staged above the upper bound of everything the
ledger can hold by then, month to date included (and tagged OVERPAYMENT).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from functools import partial

from processors.programs import Program
from processors.programs.model import AllowanceAccrual
from processors.programs.periods import period_bounds, period_label
from schemas.events import (
    AllowanceClaimApproved,
    AllowanceClaimed,
    AllowanceClaimRejected,
    PartnerType,
    PayoutIssued,
    PayoutReversed,
)
from schemas.outputs import AlertRule
from services.datagen import estimates
from services.datagen.clock import MS_PER_DAY, MS_PER_HOUR, to_datetime
from services.datagen.state import FundEstimate, Settlement, Sim
from services.datagen.tally import months_of, months_spanning

P_PAYOUT_REVERSED = 0.02
P_CLAIM_REJECTED = 0.1
PAYOUT_SHARE = (0.5, 0.8)
CLAIM_SHARE = (0.3, 0.7)
MIN_PAYOUT = Decimal("10.00")
MIN_CLAIM = Decimal("20.00")
OVERPAY_FACTOR = Decimal("1.3")
OVERPAY_EXTRA = Decimal(1000)
OVERCLAIM_FACTOR = Decimal("1.5")
OVERCLAIM_EXTRA = Decimal(500)
CENT = Decimal("0.01")
REVERSAL_REASONS = ("BANK_RETURNED", "WRONG_ACCOUNT", "DUPLICATE_PAYMENT")
CLAIM_REJECTION_REASONS = ("MISSING_EVIDENCE", "NOT_ELIGIBLE", "OUTSIDE_CLAIM_WINDOW")


def close_periods(sim: Sim, boundary_ms: int) -> None:
    """Estimate every program period that ended at ``boundary_ms`` and plan its settlement."""
    ended = to_datetime(boundary_ms - 1)
    book = sim.world.book
    for program in sim.world.programs:
        label = period_label(ended, program.period)
        if period_bounds(label)[1] != to_datetime(boundary_ms):
            continue  # a quarterly program between quarter ends
        version = book.effective(program.program_id, ended) if book is not None else program
        versions = book.versions(program.program_id) if book is not None else (program,)
        for profile in sim.world.partners:
            if program.program_id in profile.programs and sim.active(profile.index, boundary_ms):
                _close(sim, profile.index, program, version, versions, label, boundary_ms)
    sim.tally.prune(boundary_ms)


def _close(
    sim: Sim,
    partner: int,
    program: Program,
    version: Program | None,
    versions: tuple[Program, ...],
    label: str,
    boundary_ms: int,
) -> None:
    rng = sim.rng
    rows = sim.tally.rows(partner, months_of(label))
    st = sim.settlement(partner, program.program_id)
    earned = estimates.lower(version, rows, sim.line_of) if version is not None else Decimal(0)
    st.owed_lower += earned
    st.owed_upper += estimates.upper(versions, rows, sim.line_of)
    paid_ms = _business_hour(sim, boundary_ms + (program.close_grace_days + rng.randint(2, 10)) * MS_PER_DAY)
    sim.defer(paid_ms, partial(_payout, sim, partner, program, versions, earned, label, boundary_ms, paid_ms))
    if version is None:
        return
    for rule in version.allowances.values():
        fund = st.funds.setdefault(rule.allowance.value, FundEstimate())
        fund.accrue(
            boundary_ms + rule.expiry_days * MS_PER_DAY, estimates.fund_accrual(rule, rows, sim.line_of)
        )
        window_days = max(1, min(20, rule.expiry_days - 8))
        claimed_ms = _business_hour(sim, boundary_ms + rng.randint(1, window_days) * MS_PER_DAY)
        sim.defer(claimed_ms, partial(_claim, sim, partner, program, rule, boundary_ms, claimed_ms))


def _business_hour(sim: Sim, day_start_ms: int) -> int:
    return day_start_ms + 8 * MS_PER_HOUR + sim.rng.randrange(9 * MS_PER_HOUR)


def _payout(
    sim: Sim,
    partner: int,
    program: Program,
    versions: tuple[Program, ...],
    earned: Decimal,
    label: str,
    boundary_ms: int,
    at_ms: int,
) -> None:
    rng = sim.rng
    st = sim.settlement(partner, program.program_id)
    staged = None
    if st.owed_upper > 0 and rng.random() < sim.config.overpayment_rate:
        since_close = sim.tally.rows(partner, months_spanning(boundary_ms, at_ms))
        ceiling = st.owed_upper + estimates.upper(versions, since_close, sim.line_of)
        amount = (ceiling * OVERPAY_FACTOR + OVERPAY_EXTRA).quantize(CENT)
        staged = AlertRule.OVERPAYMENT
    else:
        share = Decimal(str(round(rng.uniform(*PAYOUT_SHARE), 3)))
        amount = min(earned * share, st.owed_lower * Decimal("0.9")).quantize(CENT, ROUND_DOWN)
        if amount < MIN_PAYOUT:
            return
    profile = sim.world.partners[partner]
    payout = PayoutIssued(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source="erp",
        payout_id=sim.business_id("PAY"),
        partner_id=profile.partner_id,
        program_id=program.program_id,
        amount=amount,
        currency=sim.world.currency,
        period=label,
    )
    if not sim.schedule(at_ms, payout, staged=staged):
        return
    _settle_paid(st, -amount)
    if rng.random() < P_PAYOUT_REVERSED:
        reversed_ms = at_ms + rng.randint(2, 10) * MS_PER_DAY
        reversal = PayoutReversed(
            event_id=sim.event_id(),
            occurred_at=to_datetime(reversed_ms),
            source="erp",
            payout_id=payout.payout_id,
            partner_id=profile.partner_id,
            reason=rng.choice(REVERSAL_REASONS),
        )
        if sim.schedule(reversed_ms, reversal):
            _settle_paid(st, amount)


def _settle_paid(st: Settlement, delta: Decimal) -> None:
    st.owed_lower += delta
    st.owed_upper += delta


def _claim(
    sim: Sim, partner: int, program: Program, rule: AllowanceAccrual, boundary_ms: int, at_ms: int
) -> None:
    rng = sim.rng
    st = sim.settlement(partner, program.program_id)
    fund = st.funds[rule.allowance.value]
    decided_ms = at_ms + rng.randint(1, 5) * MS_PER_DAY
    available = fund.available(decided_ms + MS_PER_DAY)
    staged = None
    if available > 0 and rng.random() < sim.config.overpayment_rate:
        # Above the fund even counting this period's accruals so far, which it may draw on.
        since_close = sim.tally.rows(partner, months_spanning(boundary_ms, at_ms))
        ceiling = available + estimates.fund_accrual(rule, since_close, sim.line_of)
        amount = (ceiling * OVERCLAIM_FACTOR + OVERCLAIM_EXTRA).quantize(CENT)
        staged, approve = AlertRule.OVERPAYMENT, True
    else:
        share = Decimal(str(round(rng.uniform(*CLAIM_SHARE), 3)))
        amount = (available * share).quantize(CENT, ROUND_DOWN)
        if amount < MIN_CLAIM:
            return
        approve = rng.random() >= P_CLAIM_REJECTED
    profile = sim.world.partners[partner]
    source = (
        f"distributor:{profile.partner_id}"
        if profile.partner_type is PartnerType.DISTRIBUTOR
        else "partner-portal"
    )
    claim = AllowanceClaimed(
        event_id=sim.event_id(),
        occurred_at=to_datetime(at_ms),
        source=source,
        claim_id=sim.business_id("CLM"),
        partner_id=profile.partner_id,
        program_id=program.program_id,
        allowance=rule.allowance,
        amount=amount,
        currency=sim.world.currency,
        evidence_ref=f"DOC-{rng.randrange(10**8):08d}",
    )
    if not sim.schedule(at_ms, claim, staged=staged):
        return
    decision: AllowanceClaimApproved | AllowanceClaimRejected
    if approve:
        decision = AllowanceClaimApproved(
            event_id=sim.event_id(),
            occurred_at=to_datetime(decided_ms),
            source="erp",
            claim_id=claim.claim_id,
            partner_id=profile.partner_id,
        )
    else:
        decision = AllowanceClaimRejected(
            event_id=sim.event_id(),
            occurred_at=to_datetime(decided_ms),
            source="erp",
            claim_id=claim.claim_id,
            partner_id=profile.partner_id,
            reason=rng.choice(CLAIM_REJECTION_REASONS),
        )
    if sim.schedule(decided_ms, decision) and approve:
        fund.draw(amount)
        st.owed_upper += amount  # an approved claim becomes cash the vendor owes
