"""Customer states pickle (changelog snapshots) in the form ``dataclasses`` gives a frozen slotted
dataclass, whether the processor runs compiled (deploy/build-native.sh) or interpreted."""

from __future__ import annotations

import pickle
from dataclasses import fields

from processors.conflicts import CustomerState
from tests.unit.conflicts.builders import approved, at, registered, run, sale


def _state() -> CustomerState:
    events = [
        registered("e1", "R-1", "P-1", at(0)),
        approved("e2", "R-1", "P-1", at(1)),
        sale("e3", "P-2", at(2)),  # in P-1's protection: a breach alert
    ]
    states, outputs = run(events)
    (state,) = states.values()
    assert state.registrations and state.alerts and outputs
    return state


def test_state_pickles_as_its_field_values_and_restores_equal() -> None:
    state = _state()
    assert state.__getstate__() == [getattr(state, f.name) for f in fields(state)]
    registration = next(iter(state.registrations.values()))
    assert registration.__getstate__() == [getattr(registration, f.name) for f in fields(registration)]
    restored = pickle.loads(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    assert restored == state and restored.to_bytes() == state.to_bytes()
    assert restored.holders == state.holders and restored.episodes == state.episodes
