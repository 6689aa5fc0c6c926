"""Properties of the customer processor over generated event streams:

* alerts do not depend on how the input is split into batches, even when the state is
  stored and restored (``to_bytes``/``from_bytes``) between batches;
* a replay gives identical alerts and identical state bytes;
* redelivering events adds no alert revision;
* revisions of one alert are consecutive and only ever add evidence;
* sales may arrive in any order around the registration facts: same situations, same
  evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.conflicts import ConflictConfig, CustomerState, alert_id_for
from processors.conflicts.state import episode_index
from schemas.events import InputEvent, SaleRecorded
from schemas.outputs import AlertRule, ConflictAlert
from tests.unit.conflicts.builders import (
    acknowledged,
    alerts_of,
    approved,
    at,
    registered,
    rejected,
    resolved,
    returned,
    run,
    sale,
    withdrawn,
)

SPAN_HOURS = 40 * 24  # within the default 45-day lateness: nothing is refused as late
PARTNERS = ("PA", "PB", "PC", "PD")
LINES = ("storage", "compute")
CUSTOMERS = ("C-1", "C-1", "C-1", "C-2")  # weighted: most traffic on one customer
# Each registration id belongs to one partner, customer and line, as in a real PRM.
REGISTRATIONS = {
    "R-0": ("PA", "C-1", "storage"),
    "R-1": ("PB", "C-1", "storage"),
    "R-2": ("PC", "C-1", "compute"),
    "R-3": ("PA", "C-2", "storage"),
    "R-4": ("PD", "C-1", "storage"),
}
CONFIG = ConflictConfig(contention_window_days=10)
# Short windows and lateness: over the 40 days state is pruned often and stragglers are late.
FORGETFUL = ConflictConfig(contention_window_days=3, allowed_lateness_days=2, registration_ttl_days=7)

hours = st.integers(min_value=0, max_value=SPAN_HOURS)


@dataclass(frozen=True)
class Spec:
    """One event to build: its kind, business hour and what it is about."""

    kind: str
    hour: int
    registration: str = ""
    partner: str | None = None
    customer: str = "C-1"
    line: str = "storage"
    expires_after_hours: int | None = None


@st.composite
def streams(draw: st.DrawFn, lifecycle: bool = True, endings: bool = True) -> list[InputEvent]:
    """A stream with real situations in it: registrations that are approved (and sometimes
    end), partner and direct sales around them, alert lifecycle events aimed at alerts that
    may exist, delivered roughly in business-time order with some stragglers."""
    specs: list[Spec] = []
    for rid in REGISTRATIONS:
        if not draw(st.booleans()):
            continue
        start = draw(hours)
        specs.append(Spec("registered", start, rid))
        if draw(st.integers(0, 3)):  # approved three times in four
            expires = draw(st.none() | st.integers(min_value=1, max_value=SPAN_HOURS))
            specs.append(Spec("approved", start + draw(st.integers(0, 72)), rid, expires_after_hours=expires))
        if endings and draw(st.integers(0, 4)) == 0:
            kind = draw(st.sampled_from(("rejected", "withdrawn")))
            specs.append(Spec(kind, draw(st.integers(start, SPAN_HOURS)), rid))
    for _ in range(draw(st.integers(min_value=1, max_value=35))):
        partner = draw(st.sampled_from((*PARTNERS, *PARTNERS, None)))
        customer, line = draw(st.sampled_from(CUSTOMERS)), draw(st.sampled_from(LINES))
        specs.append(Spec("sale", draw(hours), partner=partner, customer=customer, line=line))
    if endings:
        for _ in range(draw(st.integers(0, 2))):
            specs.append(Spec("returned", draw(hours), customer=draw(st.sampled_from(CUSTOMERS))))
    if lifecycle:
        for _ in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(("ack", "resolve")))
            rid, offender = draw(st.sampled_from(sorted(REGISTRATIONS))), draw(st.sampled_from(PARTNERS))
            specs.append(Spec(kind, draw(hours), rid, partner=offender))
    specs.sort(key=lambda spec: spec.hour)
    for _ in range(draw(st.integers(0, 8))):  # stragglers: an event arrives later than it occurred
        origin = draw(st.integers(0, len(specs) - 1))
        specs.insert(draw(st.integers(origin, len(specs) - 1)), specs.pop(origin))
    return build(specs)


def build(specs: list[Spec]) -> list[InputEvent]:
    """Events from specs; event ids are positions, so equal specs give equal events."""
    events: list[InputEvent] = []
    for n, spec in enumerate(specs):
        eid, when = f"e{n}", at(0) + timedelta(hours=spec.hour)
        if spec.kind == "sale":
            events.append(sale(eid, spec.partner, when, customer_id=spec.customer, product_line=spec.line))
            continue
        if spec.kind == "returned":
            events.append(returned(eid, "e0", when, customer_id=spec.customer))
            continue
        rid = spec.registration
        partner, customer, line = REGISTRATIONS[rid]
        if spec.kind == "registered":
            events.append(registered(eid, rid, partner, when, customer_id=customer, product_line=line))
        elif spec.kind == "approved":
            hours_valid = spec.expires_after_hours
            expires = None if hours_valid is None else when + timedelta(hours=hours_valid)
            events.append(approved(eid, rid, partner, when, expires_at=expires, customer_id=customer))
        elif spec.kind == "rejected":
            events.append(rejected(eid, rid, partner, when, customer_id=customer))
        elif spec.kind == "withdrawn":
            events.append(withdrawn(eid, rid, partner, when, customer_id=customer))
        else:  # aimed at a breach (or, naming the holder itself, a bypass) that may exist
            if spec.partner == partner:
                alert_id = alert_id_for(AlertRule.VENDOR_BYPASS, customer, line, (rid,))
            else:
                alert_id = alert_id_for(
                    AlertRule.REGISTRATION_BREACH, customer, line, (rid, str(spec.partner))
                )
            maker = acknowledged if spec.kind == "ack" else resolved
            events.append(maker(eid, alert_id, when, customer_id=customer))
    return events


def in_batches(events: list[InputEvent], cuts: list[int], config: ConflictConfig) -> list[object]:
    """Process ``events`` in batches cut at ``cuts``, storing and restoring every state
    between batches as a restarted worker would; the final state bytes come last."""
    states: dict[str, CustomerState] = {}
    outputs: list[object] = []
    start = 0
    for stop in [*sorted(set(cuts)), len(events)]:
        states, produced = run(events[start:stop], config, states)
        outputs.extend(produced)
        states = {k: CustomerState.from_bytes(v.to_bytes()) for k, v in states.items()}
        start = stop
    return [*outputs, {k: v.to_bytes() for k, v in sorted(states.items())}]


@pytest.mark.parametrize("config", [CONFIG, FORGETFUL], ids=["default-lateness", "forgetful"])
@settings(max_examples=100, deadline=None)
@given(events=streams(), data=st.data())
def test_outputs_and_state_do_not_depend_on_batching_or_restarts(
    config: ConflictConfig, events: list[InputEvent], data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(events)), max_size=6))
    assert in_batches(events, cuts, config) == in_batches(events, [], config)


@pytest.mark.parametrize("config", [CONFIG, FORGETFUL], ids=["default-lateness", "forgetful"])
@settings(max_examples=50, deadline=None)
@given(events=streams())
def test_a_replay_gives_identical_alerts_and_state(config: ConflictConfig, events: list[InputEvent]) -> None:
    first_states, first = run(events, config)
    second_states, second = run(events, config)
    assert first == second
    assert {k: v.to_bytes() for k, v in first_states.items()} == {
        k: v.to_bytes() for k, v in second_states.items()
    }


@settings(max_examples=80, deadline=None)
@given(events=streams(lifecycle=False), data=st.data())
def test_redelivered_events_add_no_alert_revision(events: list[InputEvent], data: st.DataObject) -> None:
    again = data.draw(st.lists(st.integers(min_value=0, max_value=len(events) - 1), max_size=10))
    with_duplicates = list(events)
    for n in again:  # redeliver event n somewhere after its first delivery
        first = with_duplicates.index(events[n])
        position = data.draw(st.integers(min_value=first + 1, max_value=len(with_duplicates)))
        with_duplicates.insert(position, events[n])
    _, once = run(events, CONFIG)
    _, twice = run(with_duplicates, CONFIG)
    assert latest_revisions(twice) == latest_revisions(once)
    assert len(alerts_of(twice)) == len(alerts_of(once))


@settings(max_examples=80, deadline=None)
@given(events=streams())
def test_revisions_are_consecutive_and_only_add_evidence(events: list[InputEvent]) -> None:
    states, outputs = run(events, CONFIG)
    for state in states.values():  # the by-line index of contention alerts stays exact
        assert {k: set(v) for k, v in state.episodes.items()} == {
            k: set(v) for k, v in episode_index(state.alerts).items()
        }
    previous: dict[str, ConflictAlert] = {}
    for alert in alerts_of(outputs):
        before = previous.get(alert.alert_id)
        if before is None:
            assert alert.revision == 1
        else:
            assert alert.revision == before.revision + 1
            assert alert.evidence_event_ids[: len(before.evidence_event_ids)] == before.evidence_event_ids
            assert alert.detected_at >= before.detected_at
            assert (alert.rule_id, alert.customer_id, alert.product_line) == (
                before.rule_id,
                before.customer_id,
                before.product_line,
            )
        assert alert.detected_at >= alert.occurred_at
        previous[alert.alert_id] = alert


@settings(max_examples=80, deadline=None)
@given(events=streams(lifecycle=False, endings=False), data=st.data())
def test_sales_may_arrive_in_any_order_around_the_registrations(
    events: list[InputEvent], data: st.DataObject
) -> None:
    """The out-of-order rule for sales: wherever a sale arrives relative to the registration
    facts (which keep their business-time order here: a registration fact arriving late is
    applied from its arrival, see docs/conflicts.md), the same situations are alerted with
    the same evidence, and the same partners are found contending."""
    in_order = sorted(one_sale_per_seller_day(events), key=lambda e: (e.occurred_at, e.event_id))
    arrival = data.draw(st.permutations(in_order))
    registration_facts = iter([e for e in in_order if not isinstance(e, SaleRecorded)])
    shuffled = [e if isinstance(e, SaleRecorded) else next(registration_facts) for e in arrival]
    _, expected = run(in_order, CONFIG)
    _, arrived = run(shuffled, CONFIG)
    assert situations(arrived) == situations(expected)
    assert contended(arrived) == contended(expected)


def one_sale_per_seller_day(events: list[InputEvent]) -> list[InputEvent]:
    """Keep one sale per customer, line, seller and day: the state remembers each seller's
    first and last sale of a day, and the order-independence claim is exact for those."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for event in events:
        key = getattr(event, "sale_id", None) and (
            event.customer_id,  # type: ignore[union-attr]
            event.product_line,  # type: ignore[union-attr]
            event.partner_id,  # type: ignore[union-attr]
            event.occurred_at.date(),
        )
        if key:
            if key in seen:
                continue
            seen.add(key)
        kept.append(event)
    return kept


def latest_revisions(outputs: Sequence[object]) -> dict[str, tuple[int, tuple[str, ...]]]:
    book: dict[str, tuple[int, tuple[str, ...]]] = {}
    for alert in alerts_of(outputs):
        book[alert.alert_id] = (alert.revision, alert.evidence_event_ids)
    return book


def situations(outputs: Sequence[object]) -> dict[str, frozenset[str]]:
    """Registration-rule alert ids with the evidence they ended with (as a set)."""
    evidence: dict[str, frozenset[str]] = {}
    for alert in alerts_of(outputs):
        if alert.rule_id is not AlertRule.CUSTOMER_CONTENTION:
            evidence[alert.alert_id] = frozenset(alert.evidence_event_ids)
    return evidence


def contended(outputs: Sequence[object]) -> dict[tuple[str | None, str | None], frozenset[str]]:
    """Customer + line pairs with contention, and every partner named as contending."""
    parties: defaultdict[tuple[str | None, str | None], set[str]] = defaultdict(set)
    for alert in alerts_of(outputs):
        if alert.rule_id is AlertRule.CUSTOMER_CONTENTION:
            parties[(alert.customer_id, alert.product_line)].update(p.partner_id for p in alert.parties)
    return {k: frozenset(v) for k, v in parties.items()}
