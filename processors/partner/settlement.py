"""Allowance claims and payouts: money leaving funds and the payable balance.

A payout or an approved claim beyond what is available is still recorded (it happened) and
raises an OVERPAYMENT alert: the ledger records facts, the alert asks finance to act.
"""

from __future__ import annotations

from processors.ledger.entries import Provenance, claim_entry, payout_entry
from processors.ledger.entry_ids import entry_id
from processors.ledger.money import ZERO
from processors.partner import funds
from processors.partner.alerts import overpayment
from processors.partner.draft import Draft
from processors.partner.state import Claim, ClaimStatus, Payout
from processors.programs.periods import period_bounds, period_label
from schemas.events import (
    AllowanceClaimApproved,
    AllowanceClaimed,
    AllowanceClaimRejected,
    PayoutIssued,
    PayoutReversed,
)
from schemas.outputs import EntryKind
from schemas.reasons import ReasonCode


def on_claimed(d: Draft, e: AllowanceClaimed) -> None:
    if d.offboarded_at(e.occurred_at):
        d.reject(e, ReasonCode.PARTNER_OFFBOARDED, f"partner {d.partner_id} is offboarded")
        return
    existing = d.claims.get(e.claim_id)
    if existing is not None:
        d.reject(
            e,
            ReasonCode.DUPLICATE_EVENT_ID,
            f"claim {e.claim_id} was already made by event {existing.event_id}",
        )
        return
    program = d.enrolled(e.program_id, e.occurred_at)
    if program is None:
        d.reject(
            e, ReasonCode.UNKNOWN_PROGRAM, f"partner {d.partner_id} is not enrolled in program {e.program_id}"
        )
        return
    rule = program.allowances.get(e.allowance)
    if rule is None:
        d.reject(
            e,
            ReasonCode.UNKNOWN_PROGRAM,
            f"program {e.program_id} v{program.version} has no {e.allowance.value} allowance",
        )
        return
    if e.currency != program.currency:
        d.reject(
            e, ReasonCode.CURRENCY_MISMATCH, f"claim in {e.currency}, program pays in {program.currency}"
        )
        return
    fund = funds.available(d, e.program_id, rule.bucket)
    revision = 0
    if e.amount > fund:
        revision = overpayment(
            d,
            f"claim:{e.claim_id}",
            1,
            (e.event_id,),
            e.occurred_at,
            e.occurred_at,
            f"claim {e.claim_id} of {e.amount} {e.currency} exceeds the {rule.bucket.value} fund of {fund}",
        )
    d.claims = d.claims.set(
        e.claim_id,
        Claim(
            claim_id=e.claim_id,
            event_id=e.event_id,
            program_id=e.program_id,
            program_version=program.version,
            rule_id=rule.rule_id,
            bucket=rule.bucket,
            amount=e.amount,
            currency=e.currency,
            claimed_at=e.occurred_at,
            status=ClaimStatus.OPEN,
            decided_at=None,
            alert_revision=revision,
        ),
    )
    d.release(f"claim:{e.claim_id}")


def _open_claim(d: Draft, e: AllowanceClaimApproved | AllowanceClaimRejected) -> Claim | None:
    claim = d.claims.get(e.claim_id)
    if claim is None:
        d.pend(e, f"claim:{e.claim_id}")
        return None
    if claim.status is not ClaimStatus.OPEN:
        d.reject(e, ReasonCode.UNKNOWN_CLAIM, f"claim {e.claim_id} was already {claim.status.value.lower()}")
        return None
    return claim


def on_claim_approved(d: Draft, e: AllowanceClaimApproved) -> None:
    claim = _open_claim(d, e)
    if claim is None:
        return
    fund = funds.available(d, claim.program_id, claim.bucket)
    revision = claim.alert_revision
    if claim.amount > fund:
        revision = overpayment(
            d,
            f"claim:{claim.claim_id}",
            revision + 1,
            (claim.event_id, e.event_id),
            claim.claimed_at,
            e.occurred_at,
            f"claim {claim.claim_id} approved for {claim.amount} {claim.currency}, above the "
            f"{claim.bucket.value} fund of {fund}; the excess is recorded as an overdraft",
        )
    program = d.book.governing(claim.program_id, e.occurred_at)
    period = (
        period_label(e.occurred_at, program.period)
        if program is not None
        else claim.claimed_at.strftime("%Y-%m")
    )
    prov = Provenance(
        d.partner_id, claim.program_id, claim.program_version, claim.rule_id, (claim.event_id, e.event_id)
    )
    d.outputs.append(
        claim_entry(
            entry_id(e.event_id, claim.program_id, claim.rule_id, EntryKind.CLAIM_APPROVED.value),
            prov,
            claim.bucket,
            period,
            e.occurred_at,
            claim.amount,
            claim.currency,
            f"claim {claim.claim_id} approved",
        )
    )
    funds.draw(d, claim.program_id, claim.bucket, claim.amount)
    d.add_payable(claim.program_id, claim.amount)
    d.claims = d.claims.set(
        claim.claim_id,
        claim._replace(status=ClaimStatus.APPROVED, decided_at=e.occurred_at, alert_revision=revision),
    )


def on_claim_rejected(d: Draft, e: AllowanceClaimRejected) -> None:
    claim = _open_claim(d, e)
    if claim is not None:
        d.claims = d.claims.set(
            claim.claim_id, claim._replace(status=ClaimStatus.REJECTED, decided_at=e.occurred_at)
        )


def on_payout(d: Draft, e: PayoutIssued) -> None:
    existing = d.payouts.get(e.payout_id)
    if existing is not None:
        d.reject(
            e,
            ReasonCode.DUPLICATE_EVENT_ID,
            f"payout {e.payout_id} was already issued by event {existing.event_id}",
        )
        return
    program = d.enrolled(e.program_id, e.occurred_at)
    if program is None:
        d.reject(
            e, ReasonCode.UNKNOWN_PROGRAM, f"partner {d.partner_id} is not enrolled in program {e.program_id}"
        )
        return
    if e.currency != program.currency:
        d.reject(
            e, ReasonCode.CURRENCY_MISMATCH, f"payout in {e.currency}, program pays in {program.currency}"
        )
        return
    try:
        period_bounds(e.period)
    except ValueError as exc:
        d.reject(e, ReasonCode.SCHEMA_VIOLATION, str(exc))
        return
    payable = d.payable.get(e.program_id) or ZERO
    prov = Provenance(d.partner_id, e.program_id, program.version, "payout", (e.event_id,))
    d.outputs.append(
        payout_entry(
            entry_id(e.event_id, e.program_id, "payout", EntryKind.PAYOUT.value),
            EntryKind.PAYOUT,
            prov,
            e.period,
            e.occurred_at,
            e.amount,
            e.currency,
            f"payout {e.payout_id} for {e.period}",
        )
    )
    d.add_payable(e.program_id, -e.amount)
    if e.amount > payable:
        overpayment(
            d,
            f"payout:{e.payout_id}",
            1,
            (e.event_id,),
            e.occurred_at,
            e.occurred_at,
            f"payout {e.payout_id} of {e.amount} {e.currency} exceeds the payable balance of {payable} "
            f"under program {e.program_id}",
        )
    d.payouts = d.payouts.set(
        e.payout_id,
        Payout(
            payout_id=e.payout_id,
            event_id=e.event_id,
            program_id=e.program_id,
            program_version=program.version,
            amount=e.amount,
            currency=e.currency,
            period=e.period,
            issued_at=e.occurred_at,
            reversed_by=None,
        ),
    )
    d.release(f"payout:{e.payout_id}")


def on_payout_reversed(d: Draft, e: PayoutReversed) -> None:
    payout = d.payouts.get(e.payout_id)
    if payout is None:
        d.pend(e, f"payout:{e.payout_id}")
        return
    if payout.reversed_by is not None:
        d.reject(
            e, ReasonCode.UNKNOWN_PAYOUT, f"payout {e.payout_id} was already reversed by {payout.reversed_by}"
        )
        return
    prov = Provenance(
        d.partner_id, payout.program_id, payout.program_version, "payout", (payout.event_id, e.event_id)
    )
    d.outputs.append(
        payout_entry(
            entry_id(e.event_id, payout.program_id, "payout", EntryKind.PAYOUT_REVERSAL.value),
            EntryKind.PAYOUT_REVERSAL,
            prov,
            payout.period,
            e.occurred_at,
            payout.amount,
            payout.currency,
            f"payout {payout.payout_id} reversed: {e.reason}",
        )
    )
    d.add_payable(payout.program_id, payout.amount)
    d.payouts = d.payouts.set(payout.payout_id, payout._replace(reversed_by=e.event_id))
