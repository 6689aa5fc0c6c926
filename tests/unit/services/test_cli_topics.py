"""``channel-ledger topics list``: the catalog with this deployment's names, no broker needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner

from schemas.topics import STREAMING_TOPICS
from services.cli import build_app


@pytest.fixture(autouse=True)
def _unconfigure_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_names_are_prefixed_one_per_line() -> None:
    result = CliRunner().invoke(build_app(), ["topics", "list", "--names", "--topic-prefix", "staging."])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"staging.{spec.name}" for spec in STREAMING_TOPICS]


def test_the_table_shows_partitions_and_cleanup() -> None:
    result = CliRunner().invoke(build_app(), ["topics", "list"], env={"CL_TOPIC_PREFIX": ""})
    assert result.exit_code == 0, result.stderr
    ingress = next(line for line in result.stdout.splitlines() if "cl.ingress" in line)
    alerts = next(line for line in result.stdout.splitlines() if "cl.conflict-alerts" in line)
    assert " 1 " in ingress and "forever" in ingress
    assert " 6 " in alerts and "compact" in alerts


def test_a_bad_prefix_is_refused_naming_the_option() -> None:
    result = CliRunner().invoke(build_app(), ["topics", "list", "--topic-prefix", "no spaces"])
    assert result.exit_code == 2
    assert "--topic-prefix" in result.stderr
