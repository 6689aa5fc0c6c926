"""Bundles of forwarded events: what goes in comes out, in order, and damage is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.bundles import MAGIC, BundledEvent, BundleError, decode_bundle, encode_bundles, is_bundle

events = st.builds(
    BundledEvent,
    key=st.binary(max_size=40),
    source_topic=st.text(max_size=30),
    source_partition=st.integers(0, 2**31 - 1),
    source_offset=st.integers(0, 2**63 - 1),
    timestamp_ms=st.integers(0, 2**62),
    copy=st.booleans(),
    value=st.binary(max_size=300),
)


@given(st.lists(events, max_size=40), st.integers(64, 4096))
def test_bundles_give_back_every_event_in_order_within_the_size_bound(
    items: list[BundledEvent], max_bytes: int
) -> None:
    bundles = list(encode_bundles(items, max_bytes=max_bytes))
    assert [event for bundle in bundles for event in decode_bundle(bundle)] == items
    for bundle in bundles:
        # Only a bundle of one event may exceed the bound (an event larger than it goes alone).
        assert len(bundle) <= max_bytes or len(decode_bundle(bundle)) == 1
    assert all(is_bundle(bundle) for bundle in bundles)


def test_an_input_event_is_not_a_bundle() -> None:
    assert not is_bundle(b'{"event_type": "SaleRecorded"}')
    assert not is_bundle(b"\xc3\x01" + bytes(8))


@pytest.mark.parametrize("cut", [5, 12, 30, -1])
def test_a_damaged_bundle_is_refused(cut: int) -> None:
    (bundle,) = encode_bundles([BundledEvent(b"P-1", "cl.ingress", 0, 7, 1000, False, b"x" * 20)])
    with pytest.raises(BundleError):
        decode_bundle(bundle[:cut])
    with pytest.raises(BundleError):
        decode_bundle(bundle + b"\x00")
    with pytest.raises(BundleError):
        decode_bundle(b"{}")
    assert bundle.startswith(MAGIC)
