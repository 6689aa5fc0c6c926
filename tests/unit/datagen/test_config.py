"""Settings are validated up front, each error naming the setting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.datagen import DatagenConfig, DatagenConfigError


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"days": 0}, "days"),
        ({"partners": 2}, "partners"),
        ({"customers": 5}, "customers"),
        ({"events": -1}, "events"),
        ({"daily_rate": 0.0}, "daily_rate"),
        ({"events": 10, "daily_rate": 5.0}, "events and daily_rate"),
        ({"conflict_rate": 1.0}, "conflict_rate"),
        ({"late_rate": -0.1}, "late_rate"),
        ({"invalid_rate": 1.5}, "invalid_rate"),
        ({"overpayment_rate": 2.0}, "overpayment_rate"),
        ({"late_max_hours": 0}, "late_max_hours"),
        ({"start": datetime(2026, 1, 1, tzinfo=UTC)}, "start"),
    ],
)
def test_bad_settings_are_refused_by_name(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(DatagenConfigError, match=f"^{named}"):
        DatagenConfig(**changes)


def test_defaults_describe_a_year_of_sixty_partners() -> None:
    config = DatagenConfig()
    assert (config.days, config.partners, config.start) == (365, 60, None)
    assert config.target_records == 365_000
    assert DatagenConfig(events=1234).target_records == 1234
    assert DatagenConfig(start=date(2026, 2, 1)).start == date(2026, 2, 1)
