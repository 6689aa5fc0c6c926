"""Deal registrations as facts over business time, and who holds protection when.

A registration is kept as the facts its events stated (registered, approved, rejected or
withdrawn, each with its business time), never as a "current status" that arrival order
could corrupt: any status, and the protection interval, is computed from the facts for a
given instant. "First approved registration wins": at any instant the holder of a
customer + product line is the active registration approved earliest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise

from mypy_extensions import mypyc_attr

from processors.conflicts.pickled import field_values, set_field_values


class RegistrationStatus(StrEnum):
    REGISTERED = "REGISTERED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    EXPIRED = "EXPIRED"


class EndKind(StrEnum):
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


@mypyc_attr(serializable=True)
@dataclass(frozen=True, slots=True)
class Stamp:
    """A fact's business time and the event that stated it."""

    at: datetime
    event_id: str

    def __getstate__(self) -> list[object]:
        return field_values(self)  # see processors.conflicts.pickled

    def __setstate__(self, state: list[object]) -> None:
        set_field_values(self, state)


@mypyc_attr(serializable=True)
@dataclass(frozen=True, slots=True)
class Approval:
    at: datetime
    event_id: str
    expires_at: datetime | None

    def __getstate__(self) -> list[object]:
        return field_values(self)  # see processors.conflicts.pickled

    def __setstate__(self, state: list[object]) -> None:
        set_field_values(self, state)


@mypyc_attr(serializable=True)
@dataclass(frozen=True, slots=True)
class Registration:
    """What is known of one registration; ``product_line`` is None until DealRegistered arrives.

    Of several approvals the earliest starts protection and the latest sets the expiry (a
    re-approval extends); of a rejection and a withdrawal the earlier one ends it.
    """

    registration_id: str
    partner_id: str
    product_line: str | None = None
    registered: Stamp | None = None
    first_approval: Approval | None = None
    last_approval: Approval | None = None
    end: Stamp | None = None
    end_kind: EndKind | None = None

    def lapses_at(self, ttl: timedelta) -> datetime | None:
        """When a registration still unapproved expires (one TTL after registering)."""
        return None if self.registered is None else self.registered.at + ttl

    def approved_in_time(self, ttl: timedelta) -> bool:
        lapse = self.lapses_at(ttl)
        return self.first_approval is not None and (lapse is None or self.first_approval.at < lapse)

    def expires_at(self, ttl: timedelta) -> datetime | None:
        """Protection expiry: the latest approval's ``expires_at``, else registration + TTL."""
        if self.last_approval is not None and self.last_approval.expires_at is not None:
            return self.last_approval.expires_at
        return self.lapses_at(ttl)

    def protection(self, ttl: timedelta) -> tuple[datetime, datetime] | None:
        """The ``[start, end)`` interval in which this registration protects its deal, if any."""
        if self.product_line is None or self.registered is None or self.first_approval is None:
            return None
        if not self.approved_in_time(ttl):
            return None
        start = max(self.first_approval.at, self.registered.at)
        end = self.expires_at(ttl)
        assert end is not None  # registered is known, so the default expiry is
        if self.end is not None and self.end.at < end:
            end = self.end.at
        return (start, end) if start < end else None

    def status_at(self, at: datetime, ttl: timedelta) -> RegistrationStatus | None:
        """Status at business time ``at``; None before it was registered (or if unknown)."""
        if self.registered is None or at < self.registered.at:
            return None
        if self.end is not None and self.end.at <= at:
            assert self.end_kind is not None
            return RegistrationStatus(self.end_kind.value)
        if self.first_approval is not None and self.first_approval.at <= at and self.approved_in_time(ttl):
            expiry = self.expires_at(ttl)
            if expiry is not None and at >= expiry:
                return RegistrationStatus.EXPIRED
            return RegistrationStatus.APPROVED
        lapse = self.lapses_at(ttl)
        if lapse is not None and at >= lapse:
            return RegistrationStatus.EXPIRED
        return RegistrationStatus.REGISTERED

    def relevant_until(self, ttl: timedelta) -> datetime:
        """After this business time the record can no longer matter to any rule."""
        latest: datetime | None = None
        if self.registered is not None:
            latest = self.registered.at
            if self.end is None:
                latest += ttl  # may still be approved until it lapses
        if self.end is not None and (latest is None or self.end.at > latest):
            latest = self.end.at
        for approval in (self.first_approval, self.last_approval):
            if approval is not None:
                until = approval.at + ttl  # the default expiry is at most this late
                if approval.expires_at is not None and approval.expires_at > until:
                    until = approval.expires_at
                if latest is None or until > latest:
                    latest = until
        assert latest is not None  # every record is created from some fact
        return latest

    def __getstate__(self) -> list[object]:
        return field_values(self)  # see processors.conflicts.pickled

    def __setstate__(self, state: list[object]) -> None:
        set_field_values(self, state)


@mypyc_attr(serializable=True)
@dataclass(frozen=True, slots=True)
class HolderSpan:
    """``registration`` holds protection on ``[start, end)``."""

    start: datetime
    end: datetime
    registration: Registration

    def __getstate__(self) -> list[object]:
        return field_values(self)  # see processors.conflicts.pickled

    def __setstate__(self, state: list[object]) -> None:
        set_field_values(self, state)


def holder_spans(registrations: Iterable[Registration], ttl: timedelta) -> tuple[HolderSpan, ...]:
    """Who holds protection when, for registrations of one customer + product line.

    At each instant the holder is the protecting registration with the earliest start
    (ties: the smaller registration id). Adjacent spans of one holder are merged.
    """
    protecting = sorted(
        ((interval, reg) for reg in registrations if (interval := reg.protection(ttl)) is not None),
        key=lambda item: (item[0][0], item[1].registration_id),
    )
    if not protecting:
        return ()
    if len(protecting) == 1:
        (start, end), reg = protecting[0]
        return (HolderSpan(start, end, reg),)
    points = sorted({t for (start, end), _ in protecting for t in (start, end)})
    spans: list[HolderSpan] = []
    for left, right in pairwise(points):
        holder = next((reg for (start, end), reg in protecting if start <= left < end), None)
        if holder is None:
            continue
        if spans and spans[-1].registration is holder and spans[-1].end == left:
            spans[-1] = HolderSpan(spans[-1].start, right, holder)
        else:
            spans.append(HolderSpan(left, right, holder))
    return tuple(spans)


def holder_at(spans: tuple[HolderSpan, ...], at: datetime) -> HolderSpan | None:
    for span in spans:
        if span.start <= at < span.end:
            return span
        if at < span.start:
            return None
    return None
