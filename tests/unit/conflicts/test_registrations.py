"""Registration lifecycle by business time: registered -> approved / rejected / withdrawn /
expired, computed from facts; and who holds protection when (first approved wins)."""

from __future__ import annotations

from datetime import timedelta

from processors.conflicts.registrations import (
    Approval,
    EndKind,
    Registration,
    RegistrationStatus,
    Stamp,
    holder_at,
    holder_spans,
)
from tests.unit.conflicts.builders import at

TTL = timedelta(days=90)


def registration(
    rid: str = "R-A",
    partner: str = "PA",
    *,
    registered_day: float = 0,
    approved_day: float | None = None,
    expires_day: float | None = None,
    ended_day: float | None = None,
    ended: EndKind = EndKind.WITHDRAWN,
) -> Registration:
    approval = None
    if approved_day is not None:
        expires = None if expires_day is None else at(expires_day)
        approval = Approval(at(approved_day), f"app-{rid}", expires)
    return Registration(
        rid,
        partner,
        "storage",
        registered=Stamp(at(registered_day), f"reg-{rid}"),
        first_approval=approval,
        last_approval=approval,
        end=None if ended_day is None else Stamp(at(ended_day), f"end-{rid}"),
        end_kind=None if ended_day is None else ended,
    )


def test_status_follows_business_time() -> None:
    reg = registration(approved_day=2, expires_day=30)
    assert reg.status_at(at(-1), TTL) is None
    assert reg.status_at(at(1), TTL) is RegistrationStatus.REGISTERED
    assert reg.status_at(at(2), TTL) is RegistrationStatus.APPROVED
    assert reg.status_at(at(30) - timedelta(milliseconds=1), TTL) is RegistrationStatus.APPROVED
    assert reg.status_at(at(30), TTL) is RegistrationStatus.EXPIRED


def test_rejected_withdrawn_and_lapsed() -> None:
    assert (
        registration(ended_day=3, ended=EndKind.REJECTED).status_at(at(4), TTL) is RegistrationStatus.REJECTED
    )
    withdrawn = registration(approved_day=1, ended_day=5)
    assert withdrawn.status_at(at(4), TTL) is RegistrationStatus.APPROVED
    assert withdrawn.status_at(at(5), TTL) is RegistrationStatus.WITHDRAWN
    assert withdrawn.protection(TTL) == (at(1), at(5))
    pending = registration()
    assert pending.status_at(at(89), TTL) is RegistrationStatus.REGISTERED
    assert pending.status_at(at(90), TTL) is RegistrationStatus.EXPIRED
    assert registration(approved_day=90).protection(TTL) is None  # approved after it lapsed


def test_default_expiry_counts_from_registration() -> None:
    assert registration(registered_day=0, approved_day=10).protection(TTL) == (at(10), at(90))


def test_first_approved_registration_holds_until_it_ends_then_the_next() -> None:
    a = registration("R-A", "PA", approved_day=5, expires_day=20)
    b = registration("R-B", "PB", registered_day=1, approved_day=8, expires_day=40)
    c = registration("R-C", "PC", approved_day=50, expires_day=60)
    spans = holder_spans([b, c, a], TTL)

    assert [(s.registration.registration_id, s.start, s.end) for s in spans] == [
        ("R-A", at(5), at(20)),
        ("R-B", at(20), at(40)),
        ("R-C", at(50), at(60)),
    ]
    assert holder_at(spans, at(4)) is None
    held = holder_at(spans, at(19))
    assert held is not None and held.registration is a
    assert holder_at(spans, at(45)) is None


def test_simultaneous_approvals_are_broken_by_registration_id() -> None:
    b = registration("R-B", "PB", approved_day=5)
    a = registration("R-A", "PA", approved_day=5)
    [span] = holder_spans([b, a], TTL)
    assert span.registration is a
