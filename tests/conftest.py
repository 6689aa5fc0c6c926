"""Session fixtures shared by every test: where the real Kafka broker is.

The bootstrap address comes from, in this order:
1. ``CL_KAFKA_BOOTSTRAP`` (an explicit address always wins);
2. testcontainers, where a Docker engine answers;
3. the project's local broker script (``deploy/kafka/broker.sh``: Apache Kafka jars from Maven
   Central, single-node KRaft on loopback), where Java and Maven are installed.
Where none is possible the integration tests are skipped with the reason, except under
``CI=true``, where a missing broker fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BROKER_SCRIPT = REPO / "deploy" / "kafka" / "broker.sh"
KAFKA_IMAGE = "apache/kafka:3.9.1"  # the same version deploy/kafka/pom.xml pins


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and no Kafka broker: {reason}", pytrace=False)
    pytest.skip(f"no Kafka broker: {reason}")


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:  # any failure means: no usable engine here
        return False


@dataclass(frozen=True)
class KafkaBroker:
    """The session's broker; ``restart`` is set only where this session controls the broker."""

    bootstrap: str
    restart: Callable[[], None] | None = None


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """A real Kafka broker, started for the session if needed."""
    explicit = os.environ.get("CL_KAFKA_BOOTSTRAP")
    if explicit:
        print(f"\n[kafka] using CL_KAFKA_BOOTSTRAP={explicit}")
        yield KafkaBroker(explicit)
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer  # type: ignore[import-untyped]

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            address = container.get_bootstrap_server()
            print(f"\n[kafka] testcontainers {KAFKA_IMAGE} at {address}")
            yield KafkaBroker(address)
        return
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        _unavailable(f"no Docker engine, no CL_KAFKA_BOOTSTRAP, and {', '.join(missing)} not installed")
    home = tempfile.mkdtemp(prefix="cl-kafka-")
    env = {**os.environ, "CL_KAFKA_HOME": home}
    started = subprocess.run(
        [str(BROKER_SCRIPT), "start"], env=env, capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        _unavailable(f"local broker script failed: {started.stderr.strip()[-2000:]}")
    address = started.stdout.strip().splitlines()[-1]
    print(f"\n[kafka] local KRaft broker (deploy/kafka/broker.sh) at {address}")

    def restart() -> None:
        subprocess.run([str(BROKER_SCRIPT), "restart"], env=env, check=True, capture_output=True)

    try:
        yield KafkaBroker(address, restart)
    finally:
        subprocess.run([str(BROKER_SCRIPT), "stop"], env=env, check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaBroker) -> str:
    """Bootstrap address of the session's real Kafka broker."""
    return kafka_broker.bootstrap


@pytest.fixture
def topic_prefix() -> str:
    """A prefix unique to one test, so tests sharing the broker never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}."
