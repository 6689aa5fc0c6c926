"""Customer state: deterministic bytes, and the bound pruning keeps it within."""

from __future__ import annotations

import pytest

from processors.conflicts import ConflictConfig, CustomerState, pruning
from processors.conflicts.timeutil import day_of
from schemas.events import InputEvent
from schemas.outputs import AlertStatus
from tests.unit.conflicts.builders import (
    CUSTOMER,
    alerts_of,
    approved,
    at,
    registered,
    resolved,
    run,
    sale,
    withdrawn,
)


def busy_year() -> list[InputEvent]:
    """Four partners sell one customer on two lines nearly daily for a year; registrations
    come and go every month; one direct sale a week."""
    events: list[InputEvent] = []
    for day in range(365):
        for n, partner in enumerate(("PA", "PB", "PC", "PD")):
            if (day + n) % 3 != 0:
                line = "storage" if n % 2 else "compute"
                events.append(sale(f"s-{day}-{partner}", partner, at(day, 8 + n), product_line=line))
        if day % 7 == 0:
            events.append(sale(f"d-{day}", None, at(day, 15)))
        if day % 30 == 0:
            partner = ("PA", "PB", "PC", "PD")[day // 30 % 4]
            events.append(registered(f"reg-{day}", f"R-{day}", partner, at(day, 1)))
            events.append(approved(f"app-{day}", f"R-{day}", partner, at(day, 2)))
            if day % 60 == 0:
                events.append(withdrawn(f"wd-{day}", f"R-{day}", partner, at(day + 10, 3)))
    return sorted(events, key=lambda e: e.occurred_at)


def test_bytes_round_trip_exactly() -> None:
    states, _ = run(busy_year()[:3000])
    state = states[CUSTOMER]

    data = state.to_bytes()
    restored = CustomerState.from_bytes(data)
    assert restored == state
    assert restored.to_bytes() == data


def test_equal_states_encode_equally_whatever_built_them() -> None:
    events = busy_year()[:500]
    one, _ = run(events)
    other, _ = run(events[:250])
    other = {k: CustomerState.from_bytes(v.to_bytes()) for k, v in other.items()}
    other, _ = run(events[250:], states=other)
    assert one[CUSTOMER].to_bytes() == other[CUSTOMER].to_bytes()


def test_malformed_bytes_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="malformed customer state"):
        CustomerState.from_bytes(b'{"format": 1, "customer_id": "C"}')
    with pytest.raises(ValueError, match="unsupported format"):
        CustomerState.from_bytes(b'{"format": 99}')
    with pytest.raises(ValueError, match="malformed customer state"):
        CustomerState.from_bytes(b"\x00not json")


def test_state_stays_within_its_bound_over_a_busy_year() -> None:
    config = ConflictConfig()
    states, outputs = run(busy_year(), config)
    state = states[CUSTOMER]
    assert state.clock is not None
    today = day_of(state.clock)
    idle_bound = config.sales_kept_days + pruning.PRUNE_STEP_DAYS

    for sellers in state.sales.values():
        for cells in sellers.values():
            assert len(cells) <= config.sales_kept_days + 1  # one cell per day at most
            assert cells[-1].day - cells[0].day <= config.sales_kept_days
            assert cells[-1].day > today - idle_bound  # an idle seller is dropped
    # Registrations are monthly with a 90-day TTL: only those still relevant stay.
    horizon_days = config.registration_ttl_days + config.allowed_lateness_days + pruning.PRUNE_STEP_DAYS
    assert len(state.registrations) <= horizon_days // 30 + 1
    assert len(outputs) > 0


def test_resolved_alerts_are_forgotten_once_unreachable_and_open_ones_are_kept() -> None:
    events: list[InputEvent] = [
        registered("reg-a", "R-A", "PA", at(0)),
        approved("app-a", "R-A", "PA", at(1), expires_at=at(10)),
        sale("s-b", "PB", at(5)),
        sale("d", None, at(6)),
    ]
    states, outputs = run(events)
    breach, bypass = alerts_of(outputs)
    states, _ = run([resolved("res", breach.alert_id, at(7))], states=states)
    states, _ = run([sale("later", "PA", at(200))], states=states)

    kept = states[CUSTOMER].alerts
    assert breach.alert_id not in kept  # resolved, and its registration is long forgotten
    assert kept[bypass.alert_id].alert.status is AlertStatus.OPEN  # open alerts stay
    assert states[CUSTOMER].registrations == {}


def test_when_pruning_runs_never_changes_an_output(monkeypatch: pytest.MonkeyPatch) -> None:
    events = busy_year()
    _, rarely = run(events)
    monkeypatch.setattr(pruning, "PRUNE_STEP_DAYS", 1)
    _, daily = run(events)
    assert daily == rarely
