"""Typed settings of the streaming workers: one frozen object, built at the entry point."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from schemas.validation import DEFAULT_MAX_FUTURE_SKEW

ProcessingGuarantee = Literal["at_least_once", "exactly_once"]
StoreKind = Literal["rocksdb", "memory"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSettings:
    """Everything a worker needs besides the core's configuration.

    ``store`` is where table state lives locally: RocksDB (via rocksdict) in production, so a
    restarted worker recovers only what changed since its last run; memory in tests, which
    forces recovery from the changelog topics.
    """

    bootstrap: str
    topic_prefix: str = ""
    app_id: str = "channel-ledger"
    store: StoreKind = "rocksdb"
    datadir: Path = Path(".channel-ledger/worker")
    processing_guarantee: ProcessingGuarantee = "at_least_once"
    batch_max: int = 2000
    """Most events one agent applies before it writes its states and acknowledges them."""
    batch_within_s: float = 0.2
    """Longest an agent waits to fill a batch: bounds the latency it adds."""
    session_timeout_s: float = 10.0
    """How long the group waits for a silent worker before its partitions move: a SIGKILLed
    worker's keys resume on another (or restarted) worker after this long. Faust's default, 60 s,
    stalled every restart that long."""
    producer_linger_s: float = 0.005
    """How long the producer waits to fill a request: adds at most this to latency."""
    max_future_skew: timedelta = DEFAULT_MAX_FUTURE_SKEW
    web_port: int | None = None
    """Port of Faust's web server and the health/metrics endpoints; None disables them."""
    max_message_bytes: int = 33_554_432
    """Largest state snapshot a changelog record may carry (the broker must allow it too)."""

    def __post_init__(self) -> None:
        if not self.bootstrap.strip():
            raise ValueError("bootstrap: give the Kafka bootstrap address, e.g. 127.0.0.1:9092")
        if self.batch_max < 1 or self.batch_max > 100_000:
            raise ValueError(f"batch_max must be within 1..100000, not {self.batch_max}")
        if self.processing_guarantee != "at_least_once":
            raise ValueError(
                "processing_guarantee: only at_least_once is supported (state changes exactly once "
                "by source positions; outputs carry derived ids); the agents' sends are not "
                "transactional"
            )
        if not 0 < self.batch_within_s <= 60:
            raise ValueError(f"batch_within_s must be within (0, 60], not {self.batch_within_s}")

    @property
    def app_name(self) -> str:
        """The Faust app id; also the consumer group and the prefix of its changelog topics."""
        return f"{self.topic_prefix}{self.app_id}"
