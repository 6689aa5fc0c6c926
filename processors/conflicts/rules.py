"""The four customer rules as pure functions from remembered facts to findings.

Every rule is judged at the business time of the fact it is about (a sale's or a
registration's ``occurred_at``) against the registrations known when the judging happens;
the registration rules are re-judged over the remembered sales whenever who-holds-when
changes, so a registration that arrives after the sale it covers still raises its alert.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from processors.conflicts.alerts import Finding, party
from processors.conflicts.config import ConflictConfig
from processors.conflicts.registrations import HolderSpan, Registration, holder_at
from processors.conflicts.sales import DIRECT_SELLER, SaleCell, SellerCells, days_between, sales_between
from processors.conflicts.timeutil import date_of_day
from schemas.outputs import AlertRule, PartyRole

# --- REGISTRATION_BREACH and VENDOR_BYPASS --------------------------------------------


def offence(
    holder: Registration,
    seller: str,
    sales: list[tuple[datetime, str]],
    trigger_at: datetime,
    config: ConflictConfig,
) -> Finding:
    """A breach (partner ``seller``) or bypass (DIRECT) of ``holder``'s protection by ``sales``."""
    assert holder.product_line is not None and holder.registered is not None
    assert holder.first_approval is not None and holder.partner_id != seller and sales
    protected = party(holder.partner_id, PartyRole.PROTECTED)
    keys: tuple[str, ...]
    if seller == DIRECT_SELLER:
        rule, keys = AlertRule.VENDOR_BYPASS, (holder.registration_id,)
        other = party(config.vendor_party_id, PartyRole.VENDOR)
    else:
        rule, keys = AlertRule.REGISTRATION_BREACH, (holder.registration_id, seller)
        other = party(seller, PartyRole.OFFENDER)
    ordered = sorted(sales)
    return Finding(
        rule=rule,
        product_line=holder.product_line,
        keys=keys,
        parties=(protected, other),
        evidence=(
            holder.registered.event_id,
            holder.first_approval.event_id,
            *(event_id for _, event_id in ordered),
        ),
        occurred_at=ordered[0][0],
        trigger_at=trigger_at,
        protection_evidence=2,
    )


def sale_offence(
    spans: tuple[HolderSpan, ...], seller: str, at: datetime, event_id: str, config: ConflictConfig
) -> Finding | None:
    """The offence one sale commits, if someone else holds protection at its business time."""
    span = holder_at(spans, at)
    if span is None or span.registration.partner_id == seller:
        return None
    return offence(span.registration, seller, [(at, event_id)], at, config)


def remembered_offences(
    spans: tuple[HolderSpan, ...],
    sellers: Mapping[str, SellerCells],
    since: datetime,
    trigger_at: datetime,
    config: ConflictConfig,
) -> list[Finding]:
    """Offences among the remembered sales of one product line made at or after ``since``."""
    findings: list[Finding] = []
    for span in spans:
        if span.end <= since:
            continue
        holder = span.registration
        for seller in sorted(sellers):
            if seller == holder.partner_id:
                continue
            sales = sales_between(sellers[seller], max(span.start, since), span.end)
            if sales:
                findings.append(offence(holder, seller, sales, trigger_at, config))
    return findings


# --- DUPLICATE_REGISTRATION -----------------------------------------------------------


def duplicates(
    registration: Registration, spans: tuple[HolderSpan, ...], since: datetime, trigger_at: datetime
) -> list[Finding]:
    """``registration`` duplicates another partner's if that one held protection when it was
    registered, or when it was approved (the first approved registration wins); only those
    moments at or after ``since`` are judged."""
    if registration.product_line is None or registration.registered is None:
        return []
    moments: list[tuple[datetime, tuple[str, ...]]] = [
        (registration.registered.at, (registration.registered.event_id,))
    ]
    if registration.first_approval is not None:
        approval = registration.first_approval
        moments.append((approval.at, (registration.registered.event_id, approval.event_id)))
    findings = []
    for at, own_evidence in moments:
        if at < since:
            continue
        span = holder_at(spans, at)
        if span is None or span.registration.partner_id == registration.partner_id:
            continue
        holder = span.registration
        assert holder.registered is not None and holder.first_approval is not None
        findings.append(
            Finding(
                rule=AlertRule.DUPLICATE_REGISTRATION,
                product_line=registration.product_line,
                keys=(holder.registration_id, registration.registration_id),
                parties=(
                    party(holder.partner_id, PartyRole.PROTECTED),
                    party(registration.partner_id, PartyRole.OFFENDER),
                ),
                evidence=(holder.registered.event_id, holder.first_approval.event_id, *own_evidence),
                occurred_at=at,
                trigger_at=trigger_at,
                protection_evidence=2,
            )
        )
    return findings


def registration_findings(
    registrations: Iterable[Registration],
    spans: tuple[HolderSpan, ...],
    sellers: Mapping[str, SellerCells],
    since: datetime,
    trigger_at: datetime,
    config: ConflictConfig,
) -> list[Finding]:
    """Everything the registrations of one product line say about business time ``since``
    onwards, re-judged from the facts (``since`` is the lateness horizon: what lies before it
    was judged when it happened, and is being forgotten)."""
    findings = remembered_offences(spans, sellers, since, trigger_at, config)
    for registration in sorted(registrations, key=lambda r: r.registration_id):
        findings.extend(duplicates(registration, spans, since, trigger_at))
    return findings


# --- CUSTOMER_CONTENTION --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contention:
    """Partners contending in the windows that contain one sale's day.

    ``first_sales`` maps each partner to its day cell holding its earliest sale inside a
    qualifying window; ``from_day``/``until_day`` are the first and last sale days in those
    windows.
    """

    first_sales: Mapping[str, SaleCell]
    from_day: int
    until_day: int


def contention_at(sellers: Mapping[str, SellerCells], day: int, config: ConflictConfig) -> Contention | None:
    """Is ``day`` inside some window of W consecutive days in which N or more partners sold?

    Windows are judged from all remembered days, before and after ``day``, so a sale that
    arrives late completes a window exactly as if it had arrived in order.
    """
    width, needed = config.contention_window_days, config.contention_min_partners
    if len(sellers) - (DIRECT_SELLER in sellers) < needed:  # the usual case
        return None
    low, high = day - width + 1, day + width - 1
    nearby = {
        partner: cells
        for partner, cells in sellers.items()
        if cells[-1].day >= low and cells[0].day <= high and partner != DIRECT_SELLER
    }
    if len(nearby) < needed:
        return None
    if all(cells[-1].day <= day for cells in nearby.values()):
        # Nothing after ``day`` (in-order arrival): the window ending on ``day`` holds every
        # sale of every other window containing it, so it alone decides.
        firsts = {p: days_between(cells, low, day)[0] for p, cells in nearby.items()}
        return Contention(first_sales=firsts, from_day=min(c.day for c in firsts.values()), until_day=day)
    sale_days = {
        partner: [c.day for c in days_between(cells, low, high)] for partner, cells in nearby.items()
    }
    qualifying: list[tuple[int, list[str]]] = []
    for start in range(low, day + 1):
        end = start + width - 1
        present = [p for p, days in sale_days.items() if _any_between(days, start, end)]
        if len(present) >= needed:
            qualifying.append((start, present))
    if not qualifying:
        return None
    first_sales: dict[str, SaleCell] = {}
    until_day = low
    for start, present in qualifying:
        for partner in present:
            cells = nearby[partner]
            inside = days_between(cells, start, start + width - 1)
            until_day = max(until_day, inside[-1].day)
            if partner not in first_sales:
                first_sales[partner] = inside[0]
    from_day = min(cell.day for cell in first_sales.values())
    return Contention(first_sales=first_sales, from_day=from_day, until_day=until_day)


def contention_finding(
    contention: Contention,
    product_line: str,
    known_partners: frozenset[str],
    trigger_at: datetime,
    config: ConflictConfig,
) -> Finding:
    """The finding for ``contention``; only partners not yet on the alert bring evidence."""
    ordered = sorted(
        ((cell.first_at, cell.first_event), partner) for partner, cell in contention.first_sales.items()
    )
    threshold_at = ordered[config.contention_min_partners - 1][0][0]
    new = [(sale, partner) for sale, partner in ordered if partner not in known_partners]
    return Finding(
        rule=AlertRule.CUSTOMER_CONTENTION,
        product_line=product_line,
        keys=(date_of_day(contention.from_day).isoformat(),),
        parties=tuple(party(p, PartyRole.OFFENDER) for p in sorted(p for _, p in new)),
        evidence=tuple(event_id for (_, event_id), _ in new),
        occurred_at=threshold_at,
        trigger_at=trigger_at,
        from_day=contention.from_day,
        until_day=contention.until_day,
    )


def _any_between(days: list[int], low: int, high: int) -> bool:
    index = bisect_left(days, low)
    return index < len(days) and days[index] <= high
