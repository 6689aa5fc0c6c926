"""Forgetting: what a customer state may drop once no rule can reach it (the state bound).

An event may be up to ``allowed_lateness_days`` behind the customer's clock (older ones
are refused), so a fact can be forgotten once no such event could involve it:

* a registration once its last relevant instant (protection end, or lapse while pending)
  is more than the lateness behind the clock;
* a sale day cell once it is outside every contention window a still-acceptable sale
  could fall into (window + lateness days): a seller's stale cells go when it sells
  again (``processor._sale``), a seller idle that long goes whole, here;
* a resolved alert once no situation can extend it (its registration is forgotten, or
  for contention, no future window can come within a window of its sales).

The lookups in ``processor`` treat a fact that may be forgotten as already forgotten, so
when pruning actually runs (at most every four weeks, see ``PRUNE_STEP_DAYS``) never
changes an output.
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
    first_kept_day = day_of(clock) - config.sales_kept_days + 1
    registrations, dropped_lines, registrations_due = _live_registrations(state, clock, config)
    sales, sales_due = _active_sales(state.sales, first_kept_day, config)
    alerts, alerts_due = _reachable_alerts(state.alerts, registrations, clock, config)
    holders = state.holders
    if dropped_lines and state.holders_ttl_days == config.registration_ttl_days:
        holders = dict(holders)
        for line in dropped_lines:
            spans = holder_spans((r for r in registrations.values() if r.product_line == line), config.ttl)
            if spans:
                holders[line] = spans
            else:
                holders.pop(line, None)
    due = max(on_grid(min(registrations_due, sales_due, alerts_due)), day_of(clock) + 1)
    episodes = state.episodes if alerts is state.alerts else episode_index(alerts)
    pruned = CustomerState(
        state.customer_id, clock, registrations, sales, alerts, holders, state.holders_ttl_days, due, episodes
    )
    return pruned if state.holders_ttl_days == config.registration_ttl_days else with_holders(pruned, config)


def _live_registrations(
    state: CustomerState, clock: datetime, config: ConflictConfig
) -> tuple[Mapping[str, Registration], set[str], int]:
    """The registrations still relevant, the product lines that lost one, and the first day
    another may be forgotten."""
    horizon = clock - config.lateness
    live: dict[str, Registration] = {}
    dropped_lines: set[str] = set()
    earliest: datetime | None = None
    for key, registration in state.registrations.items():
        until = registration.relevant_until(config.ttl)
        if until >= horizon:
            live[key] = registration
            if earliest is None or until < earliest:
                earliest = until
        elif registration.product_line is not None:  # one never placed on a line held nothing
            dropped_lines.add(registration.product_line)
    due = NEVER if earliest is None else day_of(earliest + config.lateness)
    if len(live) == len(state.registrations):
        return state.registrations, dropped_lines, due
    return live, dropped_lines, due


def _active_sales(
    sales: Mapping[str, Mapping[str, SellerCells]], first_kept_day: int, config: ConflictConfig
) -> tuple[Mapping[str, Mapping[str, SellerCells]], int]:
    """Sales without the sellers idle since before ``first_kept_day``, and when the next
    seller may go idle. (A seller's stale cells go whenever it sells again, in
    ``processor._sale``, so it never holds more than ``sales_kept_days`` cells.)"""
    due = NEVER
    rebuilt: dict[str, Mapping[str, SellerCells]] | None = None
    for line, sellers in sales.items():
        idle_since = NEVER  # the earliest last-sale day among the line's active sellers
        stale = False
        for cells in sellers.values():
            last_day = cells[-1].day
            if last_day < first_kept_day:
                stale = True
            elif last_day < idle_since:
                idle_since = last_day
        if idle_since < NEVER:
            due = min(due, idle_since + config.sales_kept_days)
        if not stale:
            continue
        rebuilt = rebuilt if rebuilt is not None else dict(sales)
        active = {s: cells for s, cells in sellers.items() if cells[-1].day >= first_kept_day}
        if active:
            rebuilt[line] = active
        else:
            del rebuilt[line]
    return (sales if rebuilt is None else rebuilt), due


def _reachable_alerts(
    alerts: Mapping[str, AlertRecord],
    registrations: Mapping[str, Registration],
    clock: datetime,
    config: ConflictConfig,
) -> tuple[Mapping[str, AlertRecord], int]:
    """The alerts some event could still touch, and when a kept resolved one may go."""
    if not any(r.alert.status is AlertStatus.RESOLVED for r in alerts.values()):
        return alerts, NEVER
    kept = {k: r for k, r in alerts.items() if alert_reachable(r, registrations, clock, config.ttl, config)}
    due = NEVER
    for record in kept.values():
        if record.alert.status is AlertStatus.RESOLVED and record.until_day is not None:
            due = min(due, contention_due_day(record, config))
    return (alerts if len(kept) == len(alerts) else kept), due


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
