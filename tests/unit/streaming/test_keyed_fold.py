"""The streaming adapter's batch fold, without Kafka: positions make redelivery a no-op."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from processors.pipeline import CoreOutput
from processors.streaming.app import source_of
from processors.streaming.batch import KeyedRecord, fold_batch, replayer
from processors.streaming.keyed_states import (
    KeyedStates,
    Slot,
    SnapshotPolicy,
    journal_key,
    pack_journal,
    pack_snapshot,
    unpack_journal,
    unpack_snapshot,
)
from schemas.codec import encode
from schemas.events import InputEvent, SaleChannel, SaleRecorded
from schemas.outputs import Rejected


def _sale(n: int) -> bytes:
    return encode(
        SaleRecorded(
            event_id=f"00000000-0000-4000-8000-{n:012d}",
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            source="erp",
            sale_id=f"S{n}",
            channel=SaleChannel.PARTNER,
            partner_id="P1",
            customer_id="C1",
            customer_territory="US-WEST",
            sku="SKU",
            product_line="line",
            quantity=1,
            unit_price=Decimal("10.00"),
            amount=Decimal("10.00"),
            currency="USD",
        )
    )


def _count_step(state: list[str] | None, event: InputEvent) -> tuple[list[str], list[CoreOutput]]:
    """A stand-in processor: remembers the event ids it applied, emits one output per event."""
    seen = [*(state or []), event.event_id]
    return seen, [Rejected(event_id=event.event_id, event_type="SaleRecorded", reason_code="X", message="")]


def _states(
    table: dict[bytes, bytes], policy: SnapshotPolicy | None = None, pad: int = 0
) -> KeyedStates[list[str]]:
    """States of the stand-in processor; ``pad`` makes snapshots weigh more than events."""
    return KeyedStates(
        table,
        lambda b: list(json.loads(b)),
        lambda s: json.dumps(s).encode() + b" " * pad,
        replayer(_count_step),
        policy=policy,
    )


def _record(n: int, offset: int, source_offset: int | None = None, key: bytes = b"P1") -> KeyedRecord:
    source = None if source_offset is None else ("cl.ingress", 0, source_offset)
    return KeyedRecord(
        key=key, value=_sale(n), topic="cl.partner-events", partition=3, offset=offset, source=source
    )


def _commit(table: dict[bytes, bytes], states: KeyedStates[list[str]], records: list[KeyedRecord]) -> int:
    result = fold_batch(records, states, _count_step)
    for key, slot in result.touched.items():
        states.store(key, slot, result.applied.get(key, ()))
    return len(result.emitted)


def test_positions_and_journal_records_round_trip() -> None:
    positions = {("cl.ingress", 0): 41, ("cl.sales", 7): 3}
    seq, read, start = unpack_snapshot(pack_snapshot(9, positions, b"state"))
    assert (seq, read) == (9, positions)
    assert pack_snapshot(9, positions, b"state")[start:] == b"state"
    assert unpack_journal(pack_journal(positions, [b"a", b"", b"ccc"])) == (positions, [b"a", b"", b"ccc"])
    assert unpack_journal(pack_journal({}, [])) == ({}, [])


def test_redelivered_records_are_skipped() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    assert _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101)]) == 2
    # The same records again (a crash before the offsets were committed): nothing changes.
    assert _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101), _record(3, 2, 102)]) == 1
    assert states.load(b"P1").state == [_id(1), _id(2), _id(3)]


def test_a_batch_of_records_applied_before_stores_nothing() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101, key=b"P2")])
    stored = dict(table)
    result = fold_batch([_record(1, 0, 100), _record(2, 1, 101, key=b"P2")], states, _count_step)
    assert (result.touched, result.emitted, result.skipped) == ({}, [], 2)
    _commit(table, states, [_record(1, 0, 100), _record(3, 2, 102)])
    assert table.keys() - stored.keys() == {journal_key(b"P1", 2)}  # P2 untouched
    assert states.load(b"P1").positions == {("cl.ingress", 0): 102}


def test_reforwarded_records_with_new_offsets_are_skipped_by_source_position() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101)])
    # A restarted intake forwards the same source records again, at new internal offsets.
    assert _commit(table, states, [_record(1, 2, 100), _record(2, 3, 101)]) == 0
    assert states.load(b"P1").state == [_id(1), _id(2)]


def _stream(table: dict[bytes, bytes], states: KeyedStates[list[str]], batches: int, size: int) -> None:
    n = 0
    for _ in range(batches):
        records = []
        for _ in range(size):
            n += 1
            records.append(_record(n, n, 1000 + n, key=b"P1" if n % 3 else b"P2"))
        _commit(table, states, records)


def test_a_recovered_table_replays_its_journal_to_the_stored_states() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table, SnapshotPolicy(max_events=7, max_records=4), pad=3000)
    _stream(table, states, batches=23, size=5)
    assert states.snapshots_written > 1 and states.journal_records_written > 1
    assert any(k.startswith(b"j:") for k in table)  # some state lives only in the journal
    recovered = _states(dict(table))  # a restarted worker: nothing cached
    for key in (b"P1", b"P2"):
        assert recovered.load(key) == states.load(key)
    assert len(states.load(b"P1").state or []) + len(states.load(b"P2").state or []) == 23 * 5


def test_snapshots_delete_the_journal_they_cover() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table, SnapshotPolicy(max_events=10_000, max_records=3), pad=100_000)
    _stream(table, states, batches=30, size=2)
    journal = sorted(k for k in table if k.startswith(b"j:"))
    # At most max_records - 1 journal records per key survive their snapshot.
    assert 0 < len(journal) <= 2 * 2
    # P1 is stored 30 times, P2 20 times; each takes a snapshot at its stores 1, 4, 7...
    assert (states.snapshots_written, states.journal_records_written) == (10 + 7, 50 - 17)


def test_a_crash_before_the_covered_journal_was_deleted_reads_the_snapshot() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table, SnapshotPolicy(max_events=10_000, max_records=2), pad=5000)
    _commit(table, states, [_record(1, 0, 100)])  # snapshot (seq 1)
    _commit(table, states, [_record(2, 1, 101)])  # journal record (seq 2)
    stale = table[journal_key(b"P1", 2)]
    _commit(table, states, [_record(3, 2, 102)])  # snapshot (seq 3), deletes journal seq 2
    assert journal_key(b"P1", 2) not in table
    crashed = {**table, journal_key(b"P1", 2): stale}  # the deletion never reached the changelog
    recovered = _states(crashed)
    assert recovered.load(b"P1").state == [_id(1), _id(2), _id(3)]  # not applied twice
    assert journal_key(b"P1", 2) not in crashed  # and the leftover is cleaned up


def test_a_batch_whose_journal_was_lost_is_applied_again() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table, SnapshotPolicy(max_events=10_000, max_records=100), pad=100_000)
    _commit(table, states, [_record(1, 0, 100)])
    _commit(table, states, [_record(2, 1, 101)])
    lost = dict(table)  # the worker dies before the next batch's journal record reaches Kafka
    _commit(table, states, [_record(3, 2, 102)])
    recovered = _states(lost)
    assert _commit(lost, recovered, [_record(2, 1, 101), _record(3, 2, 102)]) == 1
    assert recovered.load(b"P1") == states.load(b"P1")


def test_cache_gives_way_to_a_recovered_table_value() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    _commit(table, states, [_record(1, 0, 100)])
    # Another worker owned the key meanwhile and went on; its records are now in the table.
    elsewhere = _states(table)
    _commit(table, elsewhere, [_record(2, 1, 101)])
    assert states.load(b"P1") == Slot({("cl.ingress", 0): 101}, [_id(1), _id(2)])


def test_source_header_parsing() -> None:
    assert source_of([("cl-source", b"cl.ingress:0:42")]) == ("cl.ingress", 0, 42)
    assert source_of({"cl-source": b"t.a-b:11:7"}) == ("t.a-b", 11, 7)
    assert source_of(None) is None


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def _message(value: bytes, *, key: bytes | None = None, headers: object = None) -> object:
    from types import SimpleNamespace

    message = SimpleNamespace(
        topic="cl.partner-events",
        partition=3,
        offset=41,
        key=key,
        value=value,
        timestamp=1.5,
        headers=headers,
    )
    return SimpleNamespace(message=message)


def test_a_bundle_becomes_its_events_with_their_own_keys_sources_and_times() -> None:
    from processors.streaming.app import keyed_records
    from schemas.bundles import BundledEvent, encode_bundles

    (bundle,) = encode_bundles(
        [
            BundledEvent(b"P1", "cl.ingress", 0, 10, 1000, False, _sale(1)),
            BundledEvent(b"P9", "cl.sales", 2, 77, 2000, False, _sale(2)),
        ]
    )
    event = _message(bundle)
    records = keyed_records(event)  # type: ignore[arg-type]
    assert [(r.key, r.value, r.source, r.timestamp_ms) for r in records] == [
        (b"P1", _sale(1), ("cl.ingress", 0, 10), 1000),
        (b"P9", _sale(2), ("cl.sales", 2, 77), 2000),
    ]
    # All keep the bundle's own position and Faust event (the table's partition comes from it).
    assert {(r.topic, r.partition, r.offset) for r in records} == {("cl.partner-events", 3, 41)}
    assert all(r.handle is event for r in records)


def test_a_record_of_one_event_still_reads_with_its_header_position() -> None:
    from processors.streaming.app import keyed_records

    (record,) = keyed_records(
        _message(_sale(5), key=b"P1", headers=[("cl-source", b"cl.ingress:0:42")])  # type: ignore[arg-type]
    )
    assert (record.key, record.value, record.source, record.timestamp_ms) == (
        b"P1",
        _sale(5),
        ("cl.ingress", 0, 42),
        1500,
    )


def test_a_damaged_bundle_is_one_undecodable_record() -> None:
    from processors.streaming.app import keyed_records
    from schemas.bundles import MAGIC

    (record,) = keyed_records(_message(MAGIC + b"\x00\x00\x00\x05junk", key=b"P1"))  # type: ignore[arg-type]
    result = fold_batch([record], _states({}), _count_step)
    assert result.undecodable == [record] and not result.emitted


def test_stream_partitions_keep_no_read_offset_so_nothing_fetched_is_dropped() -> None:
    from processors.streaming.rewind import StreamReadOffsets

    offsets = StreamReadOffsets(lambda tp: tp == "changelog")
    offsets["changelog"] = 40
    offsets["stream"] = 40
    offsets.update({"stream-2": 7})
    assert offsets["changelog"] == 40  # table recovery still drops what it has applied
    assert offsets["stream"] is None and offsets["stream-2"] is None
    assert offsets["unseen"] is None


def test_a_snapshot_is_due_once_the_journal_outweighs_it_size_factor_times() -> None:
    written: dict[int, tuple[int, int]] = {}
    for factor in (1, 4):
        table: dict[bytes, bytes] = {}
        policy = SnapshotPolicy(max_events=10_000, max_records=10_000, size_factor=factor)
        states = _states(table, policy, pad=2000)
        _stream(table, states, batches=60, size=1)
        written[factor] = (states.snapshots_written, states.journal_records_written)
        for key in (b"P1", b"P2"):
            snapshot = len(table[b"s:" + key])
            journal = sum(len(v) for k, v in table.items() if k.startswith(b"j:") and k.endswith(key))
            assert 0 < journal < factor * snapshot  # what is left is not due yet
    # A journal record weighs a few hundred bytes and a snapshot over 2,000: at factor 1 a
    # snapshot follows every few records, at factor 4 four times fewer.
    assert written[4][0] < written[1][0] / 2
    assert sum(written[1]) == sum(written[4]) == 60
