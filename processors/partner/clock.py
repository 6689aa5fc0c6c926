"""Work driven by business time: period close (care bonus), fund expiry, pending deadlines, pruning.

It runs when an event moves the partner's clock forward, before the event itself is applied,
and only from business time, so replaying last year gives last year's answer. Entries it books
take their ids from their natural keys (partner, program, period, rule), not from the event
that happened to move the clock, and their business time is the deadline that fell due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from processors.ledger.entries import Provenance, earning_entry, expiry_entry
from processors.ledger.entry_ids import entry_id
from processors.ledger.money import ZERO, cents
from processors.partner.draft import Draft
from processors.partner.state import CareMonth, ClaimStatus, Fund, Pending, PeriodState, Registration
from processors.programs.model import CareBonus
from processors.programs.periods import PeriodKind, period_bounds, period_label
from schemas.outputs import Bucket, EntryKind, Rejected
from schemas.reasons import ReasonCode


def advance(d: Draft, now: datetime, trigger_event_id: str) -> None:
    previous = d.clock
    if previous is not None and now <= previous:
        return
    d.clock = now
    _close_periods(d, now, trigger_event_id)
    _expire_funds(d, now, trigger_event_id)
    if d.pending_deadline is not None and d.pending_deadline <= now:
        _expire_pending(d, now)
    _expire_logs(d, now)
    if d.pruned_at is None or now - d.pruned_at >= _PRUNE_EVERY:
        d.pruned_at = now
        _prune(d, now)


# --- period close ------------------------------------------------------------------------


def _close_periods(d: Draft, now: datetime, trigger: str) -> None:
    for ps in d.periods.live_values():
        if ps.closes_at <= now:
            break
    else:
        return
    due = sorted(
        (ps for ps in d.periods.values() if ps.closes_at <= now), key=lambda p: (p.closes_at, p.program_id)
    )
    for ps in due:
        _close(d, ps, trigger)
        d.periods = d.periods.without(f"{ps.program_id}|{ps.period}")


def _close(d: Draft, ps: PeriodState, trigger: str) -> None:
    start, end = period_bounds(ps.period)
    program = d.book.governing(ps.program_id, end - timedelta(milliseconds=1))
    if program is None:
        return
    for rule in program.care_rules:
        amount, memo = _care_bonus(d, rule, ps, start, end)
        if not amount:
            continue
        currency = program.currency
        prov = Provenance(d.partner_id, program.program_id, program.version, rule.rule_id, (trigger,))
        eid = entry_id("period-close", d.partner_id, program.program_id, ps.period, rule.rule_id)
        d.outputs.append(
            earning_entry(
                eid,
                EntryKind.ACCRUAL,
                prov,
                rule.bucket,
                None,
                ps.period,
                ps.closes_at,
                amount,
                currency,
                memo,
            )
        )
        d.add_payable(program.program_id, amount)


def _months(start: datetime, end: datetime) -> list[str]:
    labels = []
    at = start
    while at < end:
        labels.append(period_label(at, PeriodKind.MONTH))
        at = period_bounds(labels[-1])[1]
    return labels


def _care_bonus(
    d: Draft, rule: CareBonus, ps: PeriodState, start: datetime, end: datetime
) -> tuple[Decimal, str]:
    total = CareMonth(0, 0, 0, 0)
    for label in _months(start, end):
        m = d.care.get(label)
        if m is not None:
            total = CareMonth(
                total.resolved + m.resolved,
                total.resolution_seconds + m.resolution_seconds,
                total.rated + m.rated,
                total.csat_total + m.csat_total,
            )
    if total.rated < rule.min_rated_cases or total.resolved == 0:
        return ZERO, ""
    avg_csat = Decimal(total.csat_total) / total.rated
    avg_hours = Decimal(total.resolution_seconds) / 3600 / total.resolved
    if avg_csat < rule.min_csat or avg_hours > rule.max_avg_resolution_hours:
        return ZERO, ""
    amount = rule.amount if rule.amount is not None else cents(ps.revenue * (rule.rate or ZERO))
    memo = (
        f"care bonus {ps.period}: CSAT {avg_csat:.2f} over {total.rated} ratings, "
        f"{avg_hours:.1f} h average resolution over {total.resolved} cases"
    )
    return cents(amount), memo


# --- fund expiry -------------------------------------------------------------------------


def _expire_funds(d: Draft, now: datetime, trigger: str) -> None:
    for f in d.funds.live_values():
        if f.slices and f.slices[0].expires_at <= now:
            break
    else:
        return
    # Sorted so the EXPIRY entries' order never depends on the map's iteration order.
    due = sorted((k, f) for k, f in d.funds.items() if f.slices and f.slices[0].expires_at <= now)
    for key, fund in due:
        program_id, _, bucket_value = key.rpartition("|")
        program = d.book.versions(program_id)
        kept = []
        for s in fund.slices:
            if s.expires_at > now:
                kept.append(s)
                continue
            if s.balance <= 0 or not program:
                continue
            currency = program[0].currency
            bucket = Bucket(bucket_value)
            prov = Provenance(d.partner_id, program_id, s.program_version, s.rule_id, (trigger,))
            eid = entry_id("expiry", d.partner_id, program_id, bucket.value, s.period)
            d.outputs.append(
                expiry_entry(
                    eid,
                    prov,
                    bucket,
                    s.period,
                    s.expires_at,
                    s.balance,
                    currency,
                    f"unclaimed {bucket.value} fund of {s.period} expired",
                )
            )
        d.funds = d.funds.set(key, Fund(slices=tuple(kept), overdraft=fund.overdraft))


# --- pending deadlines and pruning -------------------------------------------------------


def _expire_pending(d: Draft, now: datetime) -> None:
    """Reject the parked events whose deadline has passed, oldest deadline first (ties by event
    id): they are the front of the deadline index, so only they are touched."""
    if d.pending_deadline is None or d.pending_deadline > now:
        return
    pending = d.pending
    index = pending.by_deadline
    due = 0
    while due < len(index) and index[due][0] <= now:
        due += 1
    expired: list[Pending] = []
    for key in dict.fromkeys(entry[2] for entry in index[:due]):
        parked = pending[key]
        expired.extend(p for p in parked if p.deadline <= now)
        still = tuple(p for p in parked if p.deadline > now)
        pending = pending.set(key, still) if still else pending.without_keys((key,))
    d.pending = pending
    d.pending_deadline = pending.by_deadline[0][0] if pending.by_deadline else None
    for p in sorted(expired, key=lambda p: (p.deadline, p.event.event_id)):
        d.reject(
            p.event,
            ReasonCode.PENDING_EXPIRED,
            f"waited until {p.deadline.isoformat()} for {p.waits_for}, which never arrived",
        )


_PRUNE_EVERY = timedelta(days=7)


def _expire_logs(d: Draft, now: datetime) -> None:
    """Forget event ids past the late horizon and sales past their retention, O(1) per key.

    Keys leave in arrival-order chunks, so an id that arrived out of order may be kept up to
    one chunk longer than its bound; never shorter.
    """
    seen_log, old_ids = d.seen_log.expire(now - d.config.late_horizon)
    if old_ids:
        d.seen_log, d.seen = seen_log, d.seen.without_keys(old_ids)
    sales_log, old_sales = d.sales_log.expire(now - d.config.sale_retention)
    if old_sales:
        d.sales_log, d.sales = sales_log, d.sales.without_keys(old_sales)


def _prune(d: Draft, now: datetime) -> None:
    """Drop from the small maps what the bounds in ``ProcessorConfig`` no longer require
    (weekly, by business time)."""
    cfg = d.config
    horizon = now - cfg.late_horizon
    history_cutoff = now - cfg.history_retention
    d.revenue = d.revenue.without_keys(
        [k for k in d.revenue if period_bounds(k.rpartition("|")[2])[1] < history_cutoff]
    )
    d.care = d.care.without_keys([k for k in d.care if period_bounds(k)[1] < history_cutoff])
    case_cutoff = now - cfg.case_retention
    d.cases = d.cases.without_where(lambda opened: opened < case_cutoff)
    payout_cutoff = now - cfg.payout_retention
    d.payouts = d.payouts.without_where(lambda p: p.issued_at < payout_cutoff)
    quiet_cutoff = now - cfg.alert_quiet_period
    d.territory_alerts = d.territory_alerts.without_where(lambda t: t.last_at < quiet_cutoff)
    d.alerts = d.alerts.without_where(lambda a: a.last_at < quiet_cutoff)
    d.registrations = d.registrations.without_where(lambda r: _registration_end(d, r) < horizon)
    d.certifications = d.certifications.without_where(lambda ws: all(w.valid_until < horizon for w in ws))
    _prune_claims(d, now, horizon)


def _registration_end(d: Draft, r: Registration) -> datetime:
    start = r.registered_at or r.approved_at
    assert start is not None
    expiry = r.explicit_expiry or start + d.config.registration_default_validity
    return min(expiry, r.ended_at) if r.ended_at is not None else expiry


def _prune_claims(d: Draft, now: datetime, horizon: datetime) -> None:
    undecided_cutoff = now - d.config.claim_decision_window
    # Only the claims that go are sorted: those left undecided too long, whose rejections are
    # output in that order, and those decided before the late horizon.
    going = sorted(
        (
            c
            for c in d.claims.live_values()
            if (c.status is ClaimStatus.OPEN and c.claimed_at < undecided_cutoff)
            or (c.decided_at is not None and c.decided_at < horizon)
        ),
        key=lambda c: (c.claimed_at, c.claim_id),
    )
    for claim in going:
        if claim.status is ClaimStatus.OPEN and claim.claimed_at < undecided_cutoff:
            d.outputs.append(
                Rejected(
                    event_id=claim.event_id,
                    event_type="AllowanceClaimed",
                    reason_code=ReasonCode.PENDING_EXPIRED.value,
                    message=f"claim {claim.claim_id} was neither approved nor rejected within "
                    f"{d.config.claim_decision_window.days} days",
                )
            )
    d.claims = d.claims.without_keys([claim.claim_id for claim in going])
