"""Committable offsets: never past an unstored record, always past what is done."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.offsets import CommitTracker

P = ("cl.ledger-entries", 0)
Q = ("cl.ledger-entries", 1)


def _stored(tracker: CommitTracker, partition: tuple[str, int], *offsets: int) -> None:
    tracker.stored([(partition[0], partition[1], offset) for offset in offsets])


def test_nothing_is_committable_before_the_writer_stores() -> None:
    tracker = CommitTracker()
    tracker.taken(P, 0)
    tracker.taken(P, 1)
    assert tracker.pending_commits() == {}
    _stored(tracker, P, 0)
    assert tracker.pending_commits() == {P: 1}  # offset 1 still waits
    _stored(tracker, P, 1)
    assert tracker.pending_commits() == {P: 2}
    assert tracker.pending_commits() == {}  # reported once


def test_skipped_records_are_done_once_the_records_before_them_are() -> None:
    tracker = CommitTracker()
    tracker.skipped(P, 0)  # nothing waits before it: done at once
    assert tracker.pending_commits() == {P: 1}
    tracker.taken(P, 1)
    tracker.skipped(P, 2)
    tracker.skipped(P, 3)
    assert tracker.pending_commits() == {}  # 1 is not stored yet
    _stored(tracker, P, 1)
    assert tracker.pending_commits() == {P: 4}


def test_partitions_are_independent_and_forgotten_on_revocation() -> None:
    tracker = CommitTracker()
    tracker.taken(P, 10)
    tracker.taken(Q, 3)
    _stored(tracker, Q, 3)
    assert tracker.pending_commits() == {Q: 4}
    tracker.forget([P])
    _stored(tracker, P, 10)  # a late acknowledgement for a partition no longer owned
    assert tracker.pending_commits() == {}


def test_a_failed_commit_is_put_back_unless_superseded() -> None:
    tracker = CommitTracker()
    tracker.taken(P, 0)
    _stored(tracker, P, 0)
    failed = tracker.pending_commits()
    tracker.restore(failed)
    assert tracker.pending_commits() == {P: 1}
    tracker.taken(P, 1)
    _stored(tracker, P, 1)
    tracker.restore({P: 1})
    assert tracker.pending_commits() == {P: 2}


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=3)), min_size=1, max_size=50)
)
def test_the_commit_is_always_exactly_the_oldest_unstored_record(steps: list[tuple[bool, int]]) -> None:
    """Record ``offset`` is taken or skipped; then the writer stores the oldest ``count``
    waiting records. The committable offset is the oldest waiting record, or the end."""
    tracker = CommitTracker()
    waiting: list[int] = []
    committed = 0
    for offset, (is_taken, count) in enumerate(steps):
        if is_taken:
            tracker.taken(P, offset)
            waiting.append(offset)
        else:
            tracker.skipped(P, offset)
        batch, waiting = waiting[:count], waiting[count:]
        if batch:
            _stored(tracker, P, *batch)
        committed = tracker.pending_commits().get(P, committed)
        assert committed == (waiting[0] if waiting else offset + 1)
    if waiting:
        _stored(tracker, P, *waiting)
    assert tracker.pending_commits().get(P, committed) == len(steps)
