"""The streaming adapter's batch fold, without Kafka: positions make redelivery a no-op."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from processors.pipeline import CoreOutput
from processors.streaming.app import source_of
from processors.streaming.batch import KeyedRecord, fold_batch
from processors.streaming.keyed_states import KeyedStates, Slot, pack, unpack
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


def _states(table: dict[bytes, bytes]) -> KeyedStates[list[str]]:
    return KeyedStates(table, lambda b: list(json.loads(b)), lambda s: json.dumps(s).encode())


def _record(n: int, offset: int, source_offset: int | None = None) -> KeyedRecord:
    source = None if source_offset is None else ("cl.ingress", 0, source_offset)
    return KeyedRecord(
        key=b"P1", value=_sale(n), topic="cl.partner-events", partition=3, offset=offset, source=source
    )


def _commit(table: dict[bytes, bytes], states: KeyedStates[list[str]], records: list[KeyedRecord]) -> int:
    result = fold_batch(records, states, _count_step)
    for key, slot in result.touched.items():
        states.store(key, slot)
    return len(result.emitted)


def test_pack_round_trip() -> None:
    positions = {("cl.ingress", 0): 41, ("cl.sales", 7): 3}
    value = pack(positions, b"state")
    read, start = unpack(value)
    assert read == positions
    assert value[start:] == b"state"


def test_redelivered_records_are_skipped() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    assert _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101)]) == 2
    # The same records again (a crash before the offsets were committed): nothing changes.
    assert _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101), _record(3, 2, 102)]) == 1
    assert states.load(b"P1").state == [_id(1), _id(2), _id(3)]


def test_reforwarded_records_with_new_offsets_are_skipped_by_source_position() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    _commit(table, states, [_record(1, 0, 100), _record(2, 1, 101)])
    # A restarted intake forwards the same source records again, at new internal offsets.
    assert _commit(table, states, [_record(1, 2, 100), _record(2, 3, 101)]) == 0
    assert states.load(b"P1").state == [_id(1), _id(2)]


def test_cache_gives_way_to_a_recovered_table_value() -> None:
    table: dict[bytes, bytes] = {}
    states = _states(table)
    _commit(table, states, [_record(1, 0, 100)])
    # Another worker owned the key meanwhile; recovery put its newer value in the table.
    table[b"P1"] = pack({("cl.ingress", 0): 105}, json.dumps(["elsewhere"]).encode())
    slot = states.load(b"P1")
    assert slot == Slot({("cl.ingress", 0): 105}, ["elsewhere"])


def test_source_header_parsing() -> None:
    assert source_of([("cl-source", b"cl.ingress:0:42")]) == ("cl.ingress", 0, 42)
    assert source_of({"cl-source": b"t.a-b:11:7"}) == ("t.a-b", 11, 7)
    assert source_of(None) is None


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"
