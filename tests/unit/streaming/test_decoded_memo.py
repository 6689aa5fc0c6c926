"""The memo of the intake's decodes: a hit is what decoding gives, and nothing outstays its use."""

from __future__ import annotations

import dataclasses

import pytest

from processors.streaming.batch import decode_input
from processors.streaming.decoded import DecodedMemo
from schemas.codec import encode
from schemas.events import InputEvent
from tests.unit.schemas.examples import example


def _event(n: int) -> tuple[bytes, InputEvent]:
    event: InputEvent = dataclasses.replace(
        example("SaleRecorded"), event_id=f"00000000-0000-4000-8000-{n:012d}"
    )
    return encode(event), event


def test_each_forwarded_copy_is_taken_once_then_it_is_gone() -> None:
    memo = DecodedMemo(capacity=10)
    data, event = _event(1)
    memo.put(data, event, uses=2)  # a partner sale: the partner and the customer agent
    assert memo.decode(bytes(data)) is event  # equal bytes, another object: still found
    assert memo.decode(data) is event
    assert len(memo) == 0 and (memo.hits, memo.misses) == (2, 0)
    again = memo.decode(data)  # a replay after a rebalance: decoded, equal to the original
    assert again == event and again is not event and memo.misses == 1


def test_a_miss_decodes_and_bad_bytes_give_none() -> None:
    memo = DecodedMemo(capacity=10)
    data, event = _event(2)
    assert memo.decode(data) == decode_input(data) == event
    assert memo.decode(b"not avro") is None
    memo.put(data, event, uses=0)  # forwarded nowhere: nothing to keep
    assert len(memo) == 0


def test_it_never_holds_more_than_its_capacity_and_drops_the_oldest_first() -> None:
    memo = DecodedMemo(capacity=8)
    items = [_event(n) for n in range(20)]
    for data, event in items:
        memo.put(data, event, uses=1)
        assert len(memo) <= 8
    hits_before = memo.hits
    assert memo.decode(items[-1][0]) is items[-1][1]  # the newest is kept
    assert memo.decode(items[0][0]) is not items[0][1]  # the oldest went: decoded afresh
    assert memo.hits == hits_before + 1
    with pytest.raises(ValueError):
        DecodedMemo(capacity=0)
