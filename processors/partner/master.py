"""Partner master data, certifications, the partner's own registrations, and support cases."""

from __future__ import annotations

from processors.partner.draft import Draft
from processors.partner.sales import open_period, period_key
from processors.partner.state import CareMonth, CertWindow, Profile, Registration, RegistrationStatus
from processors.programs.periods import PeriodKind, period_label
from schemas.events import (
    DealRegistered,
    DealRegistrationApproved,
    DealRegistrationRejected,
    DealRegistrationWithdrawn,
    PartnerCertified,
    PartnerOffboarded,
    PartnerOnboarded,
    PartnerTerritoryChanged,
    PartnerTierChanged,
    SupportCaseOpened,
    SupportCaseRated,
    SupportCaseResolved,
)
from schemas.reasons import ReasonCode

_MAX_CERT_WINDOWS = 4
"""Certification windows kept per product line (late sales are judged by the one they fall in)."""


def on_onboarded(d: Draft, e: PartnerOnboarded) -> None:
    """Onboarding, or re-onboarding an offboarded partner, (re)sets its master data."""
    d.profile = Profile(
        name=e.name,
        partner_type=e.partner_type,
        tier=e.tier,
        territories=e.territories,
        programs=e.programs,
        onboarded_at=e.occurred_at,
    )
    d.release("partner")


def _active(d: Draft, e: PartnerTierChanged | PartnerTerritoryChanged | PartnerCertified) -> Profile | None:
    if d.offboarded_at(e.occurred_at):
        d.reject(e, ReasonCode.PARTNER_OFFBOARDED, f"partner {d.partner_id} is offboarded")
        return None
    return d.profile


def on_tier_changed(d: Draft, e: PartnerTierChanged) -> None:
    profile = _active(d, e)
    if profile is not None:
        d.profile = profile._replace(tier=e.tier)


def on_territory_changed(d: Draft, e: PartnerTerritoryChanged) -> None:
    profile = _active(d, e)
    if profile is not None:
        d.profile = profile._replace(territories=e.territories)


def on_offboarded(d: Draft, e: PartnerOffboarded) -> None:
    if d.profile is not None:
        d.profile = d.profile._replace(offboarded_at=e.occurred_at)


def on_certified(d: Draft, e: PartnerCertified) -> None:
    if _active(d, e) is None:
        return
    windows = d.certifications.get(e.product_line) or ()
    window = CertWindow(e.occurred_at, e.valid_until)
    d.certifications = d.certifications.set(e.product_line, (*windows, window)[-_MAX_CERT_WINDOWS:])


# --- registrations -----------------------------------------------------------------------


def on_registered(d: Draft, e: DealRegistered) -> None:
    if d.offboarded_at(e.occurred_at):
        d.reject(e, ReasonCode.PARTNER_OFFBOARDED, f"partner {d.partner_id} is offboarded")
        return
    found = d.registrations.get(e.registration_id)
    if found is None:
        reg = Registration(
            customer_id=e.customer_id,
            product_line=e.product_line,
            registered_at=e.occurred_at,
            approved_at=None,
            explicit_expiry=None,
            ended_at=None,
            status=RegistrationStatus.REGISTERED,
        )
    else:  # the decision arrived first: complete it with what only the registration carries
        reg = found._replace(product_line=e.product_line, registered_at=e.occurred_at)
    d.registrations = d.registrations.set(e.registration_id, reg)


def on_approved(d: Draft, e: DealRegistrationApproved) -> None:
    found = d.registrations.get(e.registration_id) or Registration(
        customer_id=e.customer_id,
        product_line=None,
        registered_at=None,
        approved_at=None,
        explicit_expiry=None,
        ended_at=None,
        status=RegistrationStatus.REGISTERED,
    )
    d.registrations = d.registrations.set(
        e.registration_id,
        found._replace(
            approved_at=e.occurred_at, explicit_expiry=e.expires_at, status=RegistrationStatus.APPROVED
        ),
    )


def on_registration_ended(d: Draft, e: DealRegistrationRejected | DealRegistrationWithdrawn) -> None:
    status = (
        RegistrationStatus.REJECTED
        if isinstance(e, DealRegistrationRejected)
        else RegistrationStatus.WITHDRAWN
    )
    found = d.registrations.get(e.registration_id) or Registration(
        customer_id=e.customer_id,
        product_line=None,
        registered_at=e.occurred_at,
        approved_at=None,
        explicit_expiry=None,
        ended_at=None,
        status=status,
    )
    d.registrations = d.registrations.set(
        e.registration_id, found._replace(ended_at=e.occurred_at, status=status)
    )


# --- support cases (customer care) -------------------------------------------------------


def _touch_care_periods(d: Draft, e: SupportCaseResolved | SupportCaseRated) -> None:
    """Open the period of each program with a care bonus, so its close evaluates the bonus."""
    clock = d.clock
    assert clock is not None
    for program in d.active_programs(e.occurred_at):
        if not program.care_rules:
            continue
        period = period_label(e.occurred_at, program.period)
        key = period_key(program.program_id, period)
        if key not in d.periods:
            ps = open_period(d, program, period)
            if ps.closes_at > clock:
                d.periods = d.periods.set(key, ps)


def _add_care(d: Draft, e: SupportCaseResolved | SupportCaseRated, resolved_seconds: int | None) -> None:
    label = period_label(e.occurred_at, PeriodKind.MONTH)
    m = d.care.get(label) or CareMonth(0, 0, 0, 0)
    if resolved_seconds is not None:
        m = CareMonth(m.resolved + 1, m.resolution_seconds + resolved_seconds, m.rated, m.csat_total)
    else:
        assert isinstance(e, SupportCaseRated)
        m = CareMonth(m.resolved, m.resolution_seconds, m.rated + 1, m.csat_total + e.csat)
    d.care = d.care.set(label, m)
    _touch_care_periods(d, e)


def on_case_opened(d: Draft, e: SupportCaseOpened) -> None:
    d.cases = d.cases.set(e.case_id, e.occurred_at)
    d.release(f"case:{e.case_id}")


def on_case_resolved(d: Draft, e: SupportCaseResolved) -> None:
    opened = d.cases.get(e.case_id)
    if opened is None:
        d.pend(e, f"case:{e.case_id}")
        return
    d.cases = d.cases.without(e.case_id)
    _add_care(d, e, max(0, int((e.occurred_at - opened).total_seconds())))


def on_case_rated(d: Draft, e: SupportCaseRated) -> None:
    if not 1 <= e.csat <= 5:
        d.reject(e, ReasonCode.CSAT_OUT_OF_RANGE, f"CSAT {e.csat} is not between 1 and 5")
        return
    _add_care(d, e, None)
