"""A small dataset generated once per session, with every injection turned up so each test
sees enough staged conflicts, late deliveries and invalid payloads to count."""

from __future__ import annotations

import pytest

from services.datagen import DatagenConfig, GeneratedRecord, generate_records

SMALL = DatagenConfig(
    seed=11,
    events=15_000,
    partners=24,
    customers=800,
    conflict_rate=0.03,
    late_rate=0.05,
    invalid_rate=0.01,
    overpayment_rate=0.1,
)


@pytest.fixture(scope="session")
def small_records() -> list[GeneratedRecord]:
    return list(generate_records(SMALL))
