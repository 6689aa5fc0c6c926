"""Changelog snapshots restore exactly the state they were taken of."""

from __future__ import annotations

from datetime import date

import pytest

from processors.conflicts import CustomerState
from processors.partner import PartnerState
from processors.pipeline import CoreConfig, customer_step, partner_step
from processors.streaming.snapshots import snapshot_codec
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


def test_a_snapshot_of_another_class_is_refused() -> None:
    partners, _ = _states()
    _, encode = snapshot_codec(PartnerState.from_bytes, PartnerState)
    decode_c, _ = snapshot_codec(CustomerState.from_bytes, CustomerState)
    with pytest.raises(TypeError, match="not CustomerState"):
        decode_c(encode(next(iter(partners.values()))))
