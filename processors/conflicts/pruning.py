"""Forgetting: what a customer state may drop once no rule can reach it (the state bound).

An event may be up to ``allowed_lateness_days`` behind the customer's clock (older ones
are refused), so a fact can be forgotten once no such event could involve it:

* a registration once its last relevant instant (protection end, or lapse while pending)
  is more than the lateness behind the clock;
* a sale day cell once it is outside every contention window a still-acceptable sale
  could fall into (window + lateness days);
* a resolved alert once no situation can extend it (its registration is forgotten, or
  for contention, no future window can come within a window of its sales).

The lookups in ``apply`` treat a fact that may be forgotten as already forgotten, so when
pruning actually runs (about weekly, see ``PRUNE_STEP_DAYS``) never changes an output.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from processors.conflicts.alerts import AlertRecord
from processors.conflicts.config import ConflictConfig
from processors.conflicts.registrations import Registration, holder_spans
from processors.conflicts.sales import SellerCells
from processors.conflicts.state import CustomerState, episode_index
from processors.conflicts.timeutil import day_of
from schemas.outputs import AlertStatus

NEVER = 2**62
"""``prune_due_day`` of a state holding nothing that will ever need forgetting."""
PRUNE_STEP_DAYS = 28
"""Due days are rounded up to this grid, so pruning runs at most about every four weeks."""


def prune_due(state: CustomerState, new_day: int) -> bool:
    """Whether moving the clock forward into ``new_day`` should run pruning.

    Pruning sets ``prune_due_day`` after the clock's day, so it runs at most once a day;
    an unknown due day (a state just decoded) means: prune at the next move."""
    due = state.prune_due_day
    return due is None or new_day >= due


def prune(state: CustomerState, clock: datetime, config: ConflictConfig) -> CustomerState:
    """``state`` with its clock moved to ``clock`` and everything unreachable forgotten."""
    ttl = config.ttl
    lateness = config.lateness
    horizon = clock - lateness
    kept_days = config.sales_kept_days
    first_kept_day = day_of(clock) - kept_days + 1
    due = NEVER

    registrations = state.registrations
    live: dict[str, Registration] = {}
    dropped_lines: set[str] = set()
    earliest_until: datetime | None = None
    for key, registration in registrations.items():
        until = registration.relevant_until(ttl)
        if until >= horizon:
            live[key] = registration
            if earliest_until is None or until < earliest_until:
                earliest_until = until
        else:
            dropped_lines.add(registration.product_line or "")
    if dropped_lines:
        registrations = live
    if earliest_until is not None:
        due = day_of(earliest_until + lateness)

    # A seller's stale day cells go whenever a sale of its touches them (``_sale``), so a
    # seller never holds more than ``sales_kept_days`` + 1 cells; here only sellers idle
    # for that long are dropped, whole.
    sales: Mapping[str, Mapping[str, SellerCells]] = state.sales
    rebuilt: dict[str, Mapping[str, SellerCells]] | None = None
    for line, sellers in state.sales.items():
        idle_since = NEVER  # the earliest last-sale day among the line's active sellers
        stale = False
        for cells in sellers.values():
            last_day = cells[-1].day
            if last_day < first_kept_day:
                stale = True
            elif last_day < idle_since:
                idle_since = last_day
        if idle_since < NEVER:
            due = min(due, idle_since + kept_days)
        if not stale:
            continue
        rebuilt = rebuilt if rebuilt is not None else dict(state.sales)
        active = {s: cells for s, cells in sellers.items() if cells[-1].day >= first_kept_day}
        if active:
            rebuilt[line] = active
        else:
            del rebuilt[line]
    if rebuilt is not None:
        sales = rebuilt

    alerts = state.alerts
    if any(r.alert.status is AlertStatus.RESOLVED for r in alerts.values()):
        alerts = {k: r for k, r in alerts.items() if alert_reachable(r, registrations, clock, ttl, config)}
        for record in alerts.values():
            if record.alert.status is AlertStatus.RESOLVED and record.until_day is not None:
                due = min(due, contention_due_day(record, config))
        if len(alerts) == len(state.alerts):
            alerts = state.alerts

    holders = state.holders
    dropped_lines.discard("")  # a registration never placed on a line held no protection
    if dropped_lines and state.holders_ttl_days == config.registration_ttl_days:
        holders = dict(holders)
        for line in dropped_lines:
            spans = holder_spans((r for r in live.values() if r.product_line == line), ttl)
            if spans:
                holders[line] = spans
            else:
                holders.pop(line, None)
    due = max(on_grid(due), day_of(clock) + 1)
    episodes = state.episodes if alerts is state.alerts else episode_index(alerts)
    pruned = CustomerState(
        state.customer_id, clock, registrations, sales, alerts, holders, state.holders_ttl_days, due, episodes
    )
    return pruned if state.holders_ttl_days == config.registration_ttl_days else with_holders(pruned, config)


def registration_live(
    registration: Registration, clock: datetime, ttl: timedelta, lateness: timedelta
) -> bool:
    return registration.relevant_until(ttl) >= clock - lateness


def alert_reachable(
    record: AlertRecord,
    registrations: Mapping[str, Registration],
    clock: datetime,
    ttl: timedelta,
    config: ConflictConfig,
) -> bool:
    """Whether any acceptable event could still touch this alert (open alerts always can)."""
    if record.alert.status is not AlertStatus.RESOLVED:
        return True
    anchor = record.anchor_registration
    if anchor is not None:
        registration = registrations.get(anchor)
        lateness = config.lateness
        return registration is not None and registration_live(registration, clock, ttl, lateness)
    assert record.until_day is not None
    return day_of(clock) < contention_due_day(record, config)


def contention_due_day(record: AlertRecord, config: ConflictConfig) -> int:
    """First clock day on which a resolved contention alert is out of every future reach.

    A sale still acceptable lies at most lateness days back; its windows start at most a
    window before it; an episode is extended by windows starting within a window of it.
    """
    assert record.until_day is not None
    return record.until_day + config.sales_kept_days + config.contention_window_days - 1


def resolved_due_day(
    record: AlertRecord, registrations: Mapping[str, Registration], clock: datetime, config: ConflictConfig
) -> int:
    """When a just-resolved alert may be forgotten (``NEVER`` while it is not resolved, or
    while its protecting registration is kept: it goes with the registration)."""
    if record.alert.status is not AlertStatus.RESOLVED:
        return NEVER
    if record.until_day is not None:
        return on_grid(contention_due_day(record, config))
    registration = registrations.get(record.anchor_registration or "")
    if registration is not None and registration_live(registration, clock, config.ttl, config.lateness):
        return NEVER
    return 0


def registration_due_day(registration: Registration, config: ConflictConfig) -> int:
    ttl = config.ttl
    lateness = config.lateness
    return on_grid(day_of(registration.relevant_until(ttl) + lateness))


def cells_due_day(cells: SellerCells, config: ConflictConfig) -> int:
    """When a seller idle since its last cell may be dropped."""
    return on_grid(cells[-1].day + config.sales_kept_days)


def on_grid(day: int) -> int:
    return day if day >= NEVER else -(-day // PRUNE_STEP_DAYS) * PRUNE_STEP_DAYS


def with_holders(state: CustomerState, config: ConflictConfig) -> CustomerState:
    """``state`` with its who-holds-when cache rebuilt from its registrations."""
    ttl = config.ttl
    by_line: defaultdict[str, list[Registration]] = defaultdict(list)
    for registration in state.registrations.values():
        if registration.product_line is not None:
            by_line[registration.product_line].append(registration)
    holders = {line: spans for line, regs in by_line.items() if (spans := holder_spans(regs, ttl))}
    return replace(state, holders=holders, holders_ttl_days=config.registration_ttl_days)
