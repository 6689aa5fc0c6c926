"""The projector reads bundles as their events; only a bundle's last stored event carries its offset."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.bundles import BundledEvent, encode_bundles
from services.projector_service import BundledRecord, KafkaRecord, unbundled


@dataclass(frozen=True)
class _Record:
    topic: str
    partition: int
    offset: int
    timestamp: int
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


def _bundle(*copies: bool) -> bytes:
    (bundle,) = encode_bundles(
        BundledEvent(b"K", "cl.ingress", 0, n, 5, copy, f"event-{n}".encode())
        for n, copy in enumerate(copies)
    )
    return bundle


def test_copies_are_left_out_and_the_last_kept_event_is_tracked() -> None:
    records: list[KafkaRecord] = [_Record("t", 1, 9, 5, _bundle(False, False, True))]
    out, copies = unbundled(records)
    assert copies == 1
    assert [(r.value, isinstance(r, BundledRecord) and r.tracked) for r in out] == [
        (b"event-0", False),
        (b"event-1", True),
    ]
    assert {(r.topic, r.partition, r.offset) for r in out} == {("t", 1, 9)}


def test_a_bundle_of_copies_still_moves_its_offset_on() -> None:
    out, copies = unbundled([_Record("t", 0, 3, 5, _bundle(True, True))])
    assert copies == 2
    assert out == [BundledRecord("t", 0, 3, 5, value=None, tracked=True)]


def test_records_that_are_not_whole_bundles_stay_as_they_are() -> None:
    plain = _Record("t", 0, 1, 5, b'{"event_type": "SaleRecorded"}')
    damaged = _Record("t", 0, 2, 5, _bundle(False)[:-3])
    tombstone = _Record("t", 0, 3, 5, None)
    out, copies = unbundled([plain, damaged, tombstone])
    assert out == [plain, damaged, tombstone] and copies == 0
