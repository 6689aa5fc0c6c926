"""Reading event files for ``produce`` and routing events, without a broker."""

from __future__ import annotations

import dataclasses
import json
import struct
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from schemas.codec import decode, encode
from schemas.jsonform import to_json
from schemas.reasons import ReasonCode
from schemas.topics import INGRESS, SALES
from services.kafka_settings import KafkaSettings
from services.produce import FileItem, detect_format, ingress_key, outgoing_for, read_event_file, route
from tests.unit.schemas.examples import example

REFERENCE = datetime(2027, 6, 1, tzinfo=UTC)
SKEW = timedelta(minutes=5)
SETTINGS = KafkaSettings(topic_prefix="p-")


def _read(path: Path) -> list[FileItem]:
    return list(read_event_file(path, reference_time=REFERENCE, max_future_skew=SKEW))


def _frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def test_jsonl_records_keep_their_line_their_bytes_and_their_problems(tmp_path: Path) -> None:
    sale = example("SaleRecorded")
    negative = dataclasses.replace(
        sale, event_id="5d7c0e1a-9b8f-4a2e-8c3d-1f0e9d8c7b6a", quantity=-1, amount=Decimal("-18450.00")
    )
    lines = [
        json.dumps(to_json(sale)),
        "",
        '{"event_type": "SaleRecorded", "event_id": ',
        json.dumps(to_json(negative)),
        "[1, 2]",
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_format(path) == "jsonl"
    items = _read(path)
    assert [item.location for item in items] == [1, 3, 4, 5]
    first, broken, invalid, not_an_object = items
    assert first.valid and first.event == sale and first.encoded == encode(sale)
    assert first.original == lines[0].encode() and first.size == len(lines[0]) + 1
    assert not broken.valid and broken.event is None and broken.original == lines[2].encode()
    assert broken.problems[0].reason_code is ReasonCode.UNDECODABLE
    # Parsed but refused by the contract rules: the event and its Avro bytes are kept, so
    # --send-invalid can send it for the pipeline to dead-letter with the same reason.
    assert not invalid.valid and invalid.event == negative and invalid.encoded == encode(negative)
    assert any(problem.field == "quantity" for problem in invalid.problems)
    assert not_an_object.problems[0].reason_code is ReasonCode.SCHEMA_VIOLATION


def test_avro_frames_are_numbered_and_sent_as_they_are(tmp_path: Path) -> None:
    sale, onboarded = example("SaleRecorded"), example("PartnerOnboarded")
    garbage = b"\x00\x01not avro at all"
    path = tmp_path / "events.bin"
    path.write_bytes(_frame(encode(onboarded)) + _frame(garbage) + _frame(encode(sale)))
    assert detect_format(path) == "avro"
    items = _read(path)
    assert [item.location for item in items] == [1, 2, 3]
    assert [item.valid for item in items] == [True, False, True]
    assert items[0].encoded == encode(onboarded) and items[2].event == sale
    assert items[1].original == garbage and items[1].problems[0].reason_code is ReasonCode.UNDECODABLE
    assert sum(item.size for item in items) == path.stat().st_size


def test_future_events_are_refused_against_the_reference_time(tmp_path: Path) -> None:
    sale = example("SaleRecorded")
    path = tmp_path / "sale.jsonl"
    path.write_text(json.dumps(to_json(sale)) + "\n", encoding="utf-8")
    early = list(
        read_event_file(path, reference_time=sale.occurred_at - timedelta(hours=1), max_future_skew=SKEW)
    )
    assert not early[0].valid
    assert early[0].problems[0].field == "occurred_at"


def test_a_json_array_is_read_too(tmp_path: Path) -> None:
    events = [example("PartnerOnboarded"), example("SaleRecorded")]
    path = tmp_path / "events.json"
    path.write_text(json.dumps([to_json(e) for e in events], indent=2), encoding="utf-8")
    assert detect_format(path) == "json"
    assert [item.event for item in _read(path)] == events


def test_ingress_routing_keeps_one_partition_and_keys_by_partner_else_customer() -> None:
    sale = example("SaleRecorded")
    direct = dataclasses.replace(sale, channel=type(sale.channel)["DIRECT"], partner_id=None)
    assert route(sale, SETTINGS, by_stream=False) == ("p-cl.ingress", sale.partner_id.encode())
    assert ingress_key(direct) == direct.customer_id
    assert route(direct, SETTINGS, by_stream=True) == ("p-" + SALES.name, direct.customer_id.encode())
    assert INGRESS.partitions == 1


def test_bytes_that_decode_are_routed_as_their_event_others_go_raw_to_ingress() -> None:
    sale = example("SaleRecorded")
    data = encode(sale)
    routed = outgoing_for(data, SETTINGS, by_stream=True)
    assert (routed.topic, routed.key, routed.value) == ("p-cl.sales", sale.partner_id.encode(), data)
    raw = outgoing_for(b"garbage", SETTINGS, by_stream=True)
    assert (raw.topic, raw.key, raw.value) == ("p-cl.ingress", None, b"garbage")
    model = outgoing_for(sale, SETTINGS, by_stream=False)
    assert model.topic == "p-cl.ingress" and decode(model.value) == sale
