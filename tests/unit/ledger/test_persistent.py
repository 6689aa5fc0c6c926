"""Persistent structures of the partner state: every version reads as it did when it was made."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.ledger.canonical import canonical_bytes, decode
from processors.partner.persistent import BulkMap, PersistentMap
from processors.partner.state import LOG_CHUNK, ExpiryLog

KEYS = st.sampled_from([f"k{i}" for i in range(8)])
OPS = st.lists(
    st.tuples(
        st.integers(0, 50),  # which existing version to update (modulo the count so far)
        st.sampled_from(["set", "set_many", "without"]),
        st.lists(st.tuples(KEYS, st.integers(0, 9)), min_size=1, max_size=3),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(OPS, st.lists(st.integers(0, 50), max_size=30))
def test_any_version_reads_as_it_was_made_whichever_version_was_updated_or_read_since(
    ops: list[tuple[int, str, list[tuple[str, int]]]], reads: list[int]
) -> None:
    versions: list[PersistentMap[str, int]] = [PersistentMap()]
    models: list[dict[str, int]] = [{}]
    for which, op, pairs in ops:
        i = which % len(versions)
        base, model = versions[i], dict(models[i])
        if op == "set":
            key, value = pairs[0]
            new = base.set(key, value)
            model[key] = value
        elif op == "set_many":
            new = base.set_many(pairs)
            model.update(pairs)
        else:
            new = base.without_keys(k for k, _ in pairs)
            for k, _ in pairs:
                model.pop(k, None)
        versions.append(new)
        models.append(model)
    for r in reads:  # reading old versions moves the shared dict around
        i = r % len(versions)
        assert dict(versions[i].items()) == models[i]
    for version, model in zip(versions, models, strict=True):
        assert dict(version.items()) == model
        assert len(version) == len(model) and all(version.get(k) == v for k, v in model.items())


def test_versions_compare_by_content_and_old_ones_stay_unchanged() -> None:
    first = PersistentMap[str, int]().set("a", 1)
    second = first.set("b", 2).set("a", 3)
    assert first == {"a": 1} and second == {"a": 3, "b": 2}
    assert first != second and second == PersistentMap({"b": 2, "a": 3})
    assert second.without_where(lambda v: v > 2) == {"b": 2} and second == {"a": 3, "b": 2}


def test_expiry_log_drops_whole_chunks_and_round_trips_as_its_chunks() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    log = ExpiryLog()
    for i in range(LOG_CHUNK + 3):
        log = log.add(f"id-{i}", start + timedelta(hours=i))
    assert len(log) == 2
    kept, dropped = log.expire(start + timedelta(hours=LOG_CHUNK))
    assert dropped == [f"id-{i}" for i in range(LOG_CHUNK)] and len(kept) == 1 and len(log) == 2
    restored = decode(ExpiryLog, json.loads(canonical_bytes(kept)))
    assert restored == kept and canonical_bytes(restored) == canonical_bytes(kept)


class _SmallBulkMap(BulkMap[int]):
    """Batches of 3, so a short sequence crosses several settle steps."""

    __slots__ = ()
    RECENT = 3


@settings(max_examples=150, deadline=None)
@given(OPS, st.lists(st.integers(0, 50), max_size=30))
def test_bulk_map_versions_read_as_made_across_batches(
    ops: list[tuple[int, str, list[tuple[str, int]]]], reads: list[int]
) -> None:
    versions: list[_SmallBulkMap] = [_SmallBulkMap()]
    models: list[dict[str, int]] = [{}]
    for which, op, pairs in ops:
        i = which % len(versions)
        new, model = versions[i], dict(models[i])
        if op == "without":
            new = new.without_keys(k for k, _ in pairs)
            for k, _ in pairs:
                model.pop(k, None)
        else:
            for key, value in pairs:
                new = new.set(key, value)
                model[key] = value
        versions.append(new)
        models.append(model)
    for r in reads:
        i = r % len(versions)
        assert dict(versions[i].items()) == models[i]
    for version, model in zip(versions, models, strict=True):
        assert version == model and len(version) == len(model) and sorted(version) == sorted(model)
        assert all(version.get(k) == v and k in version for k, v in model.items())


def test_versions_pickle_as_their_contents_whatever_their_age() -> None:
    versions = [PersistentMap[str, int]()]
    for i in range(3000):  # a chain longer than the recursion limit
        versions.append(versions[-1].set(f"k{i % 50}", i))
    bulk = [_SmallBulkMap()]
    for i in range(20):
        bulk.append(bulk[-1].set(f"k{i % 7}", i))
    old, new = versions[10], versions[-1]
    restored = pickle.loads(pickle.dumps([old, new, bulk[5], bulk[-1]]))
    assert restored == [dict(old.items()), dict(new.items()), dict(bulk[5].items()), dict(bulk[-1].items())]
    assert restored[1].set("k0", -1) == {**dict(new.items()), "k0": -1} and new["k0"] != -1


def test_bulk_map_reads_the_slot_form_earlier_releases_pickled() -> None:
    """Before ``BulkMap.__reduce__``, a pickle held the three parts by slot name: unpickling it
    makes the object without ``__init__`` and hands that form to ``__setstate__``."""
    bulk = _SmallBulkMap()
    for i in range(10):
        bulk = bulk.set(f"k{i}", i)
    parts = {"_settled": bulk._settled, "_aging": bulk._aging, "_recent": bulk._recent}
    restored = _SmallBulkMap.__new__(_SmallBulkMap)
    restored.__setstate__((None, parts))
    assert restored == dict(bulk.items()) and restored.set("k0", -1)["k0"] == -1 and bulk["k0"] == 0
    assert pickle.loads(pickle.dumps(restored)) == dict(bulk.items())


def _keys_of(log: ExpiryLog) -> list[str]:
    return [key for chunk in log.chunks() for key in chunk.keys]


def test_expiry_log_versions_read_as_made_and_pickle_with_the_newest_chunk_in_the_map() -> None:
    """The newest chunk lives outside the chunk map until it is full; every version still reads
    as it was made, and a pickle holds all chunks in the map, as earlier releases wrote them."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    versions = [ExpiryLog()]
    for i in range(3 * LOG_CHUNK + 5):
        versions.append(versions[-1].add(f"id-{i}", start + timedelta(minutes=i)))
    for n, log in enumerate(versions):
        assert _keys_of(log) == [f"id-{i}" for i in range(n)]
    newest = versions[-1]
    restored = pickle.loads(pickle.dumps(newest))
    assert restored == newest and dict(restored._chunks.items()) == {
        i: (c.latest, c.keys) for i, c in enumerate(newest.chunks())
    }
    # A log in that form (the map holds the newest chunk too) grows and expires like any other.
    more, fresh = restored, newest
    for i in range(LOG_CHUNK):
        more, fresh = more.add(f"x-{i}", start), fresh.add(f"x-{i}", start)
    assert more == fresh and _keys_of(more) == _keys_of(fresh)
    cut = start + timedelta(minutes=3 * LOG_CHUNK + 10)
    (a, gone_a), (b, gone_b) = more.expire(cut), fresh.expire(cut)
    assert a == b and gone_a == gone_b and len(a) == 0 and a.add("y", cut) == b.add("y", cut)


def test_expiry_log_reads_the_slot_form_earlier_releases_pickled() -> None:
    """Before ``ExpiryLog.__reduce__``, a pickle held the slots, the newest chunk in the map too."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    log = ExpiryLog()
    for i in range(LOG_CHUNK + 3):
        log = log.add(f"id-{i}", start + timedelta(hours=i))
    chunks = [(c.latest, c.keys) for c in log.chunks()]
    old = ExpiryLog.__new__(ExpiryLog)
    slots = {"_chunks": PersistentMap(enumerate(chunks)), "_first": 0, "_end": 2, "_last": chunks[-1]}
    for name, value in {**slots, "_oldest": chunks[0][0]}.items():
        setattr(old, name, value)
    restored = pickle.loads(pickle.dumps(old))
    assert restored == log and old.add("z", start) == log.add("z", start)
    cut = start + timedelta(hours=LOG_CHUNK)
    kept, dropped = old.expire(cut)
    assert dropped == [f"id-{i}" for i in range(LOG_CHUNK)] and kept == log.expire(cut)[0]
