"""Changelog snapshots restore exactly the state they were taken of."""

from __future__ import annotations

from datetime import date

import pytest

from processors import partner
from processors.conflicts import CustomerState
from processors.partner import PartnerState
from processors.pipeline import CoreConfig, CoreOutput, customer_step, partner_step
from processors.streaming.batch import KeyedRecord, fold_batch, replayer
from processors.streaming.keyed_states import KeyedStates, SnapshotPolicy
from processors.streaming.snapshots import snapshot_codec
from schemas.codec import encode
from schemas.events import InputEvent
from services.datagen import DatagenConfig, generate


def _states() -> tuple[dict[str, PartnerState], dict[str, CustomerState]]:
    config = CoreConfig.from_programs_dir()
    partners: dict[str, PartnerState] = {}
    customers: dict[str, CustomerState] = {}
    for event in generate(DatagenConfig(seed=3, start=date(2026, 1, 1), days=60, events=1500, partners=8)):
        partner_step(partners, event, config)
        customer_step(customers, event, config)
    return partners, customers


def test_snapshots_restore_identical_canonical_state() -> None:
    partners, customers = _states()
    decode, encode = snapshot_codec(PartnerState.from_bytes, PartnerState)
    for state in partners.values():
        assert decode(encode(state)).to_bytes() == state.to_bytes()
        assert decode(state.to_bytes()).to_bytes() == state.to_bytes()  # canonical values still read
    decode_c, encode_c = snapshot_codec(CustomerState.from_bytes, CustomerState)
    for customer in list(customers.values())[:50]:
        assert decode_c(encode_c(customer)).to_bytes() == customer.to_bytes()


def test_snapshots_are_compressed_and_older_plain_pickles_still_read() -> None:
    import pickle

    from processors.streaming.snapshots import COMPRESSED_PICKLE_TAG, PICKLE_TAG

    partners, _ = _states()
    decode, encode = snapshot_codec(PartnerState.from_bytes, PartnerState)
    biggest = max(partners.values(), key=lambda state: len(state.to_bytes()))
    plain = PICKLE_TAG + pickle.dumps(biggest, protocol=pickle.HIGHEST_PROTOCOL)
    snapshot = encode(biggest)
    assert snapshot[:1] == COMPRESSED_PICKLE_TAG
    assert len(snapshot) * 3 < len(plain)  # a record limit is far from a state's pickle size
    assert decode(plain).to_bytes() == decode(snapshot).to_bytes() == biggest.to_bytes()


def test_a_snapshot_of_another_class_is_refused() -> None:
    partners, _ = _states()
    _, encode = snapshot_codec(PartnerState.from_bytes, PartnerState)
    decode_c, _ = snapshot_codec(CustomerState.from_bytes, CustomerState)
    with pytest.raises(TypeError, match="not CustomerState"):
        decode_c(encode(next(iter(partners.values()))))


def test_partner_states_rebuilt_from_snapshot_and_journal_equal_the_folded_ones() -> None:
    """A worker that recovers the table (snapshots + journals) holds byte-identical states."""
    config = CoreConfig.from_programs_dir()

    def step(state: PartnerState | None, event: InputEvent) -> tuple[PartnerState, list[CoreOutput]]:
        new, outputs = partner.apply(state, event, config.book, config.partner)
        return new, list(outputs)

    table: dict[bytes, bytes] = {}
    states = KeyedStates(
        table,
        *snapshot_codec(PartnerState.from_bytes, PartnerState),
        replayer(step),
        policy=SnapshotPolicy(max_events=40, max_records=6),
    )
    events = list(generate(DatagenConfig(seed=5, start=date(2026, 1, 1), days=60, events=1500, partners=6)))
    records = [
        KeyedRecord(key=key.encode(), value=encode(e), topic="t", partition=0, offset=i)
        for i, e in enumerate(events)
        if (key := partner.partner_key(e)) is not None
    ]
    for start in range(0, len(records), 25):
        result = fold_batch(records[start : start + 25], states, step)
        for key, slot in result.touched.items():
            states.store(key, slot, result.applied[key])
    assert states.snapshots_written and states.journal_records_written
    recovered = KeyedStates(
        dict(table), *snapshot_codec(PartnerState.from_bytes, PartnerState), replayer(step)
    )
    keys = {r.key for r in records}
    for key in keys:
        stored, rebuilt = states.load(key), recovered.load(key)
        assert stored.positions == rebuilt.positions
        assert stored.state is not None and rebuilt.state is not None
        assert rebuilt.state.to_bytes() == stored.state.to_bytes()
