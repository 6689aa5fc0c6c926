"""The embedded runner: the whole pipeline in one process, no Kafka — and the reference for it.

Each record goes through the same steps the streaming workers take: the intake gate (decode and
validate; refusals become dead letters), the partner processor, the customer processor; every
accepted event and every output goes to the sink (normally the ClickHouse projector). Processor
states live in plain dicts for the run. A ``Rejected`` output becomes a dead letter carrying the
record's original bytes, exactly as a worker would send it to the dead-letter topic.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from processors.conflicts import CustomerState
from processors.partner import PartnerState
from processors.pipeline import CoreConfig, CoreOutput, customer_step, partner_step
from schemas.events import InputEvent
from schemas.intake import accept, from_rejected
from schemas.outputs import AccrualForgone, ConflictAlert, DeadLetter, LedgerEntry, Rejected
from schemas.validation import DEFAULT_MAX_FUTURE_SKEW
from services.eventsource import SourceRecord

Record = InputEvent | LedgerEntry | ConflictAlert | AccrualForgone | DeadLetter
Sink = Callable[[Record], None]
"""Where accepted events, outputs and dead letters go, in processing order."""


@dataclass(slots=True)
class RunSummary:
    """What a run saw and produced; counts only (the records went to the sink)."""

    records: int = 0
    accepted: int = 0
    ledger_entries: int = 0
    alert_revisions: int = 0
    accruals_forgone: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    partners: int = 0
    customers: int = 0
    elapsed_s: float = 0.0

    @property
    def dead_letter_total(self) -> int:
        return sum(self.dead_letters.values())

    @property
    def events_per_s(self) -> float:
        return self.records / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(slots=True)
class EmbeddedRunner:
    """Holds the processor states across calls, so a run can be fed in several parts."""

    config: CoreConfig
    sink: Sink
    reference_time: datetime
    """Wall-clock time of the run, read once at the edge: only for the future-timestamp check and
    to stamp dead letters; business logic never sees it."""
    max_future_skew: timedelta = DEFAULT_MAX_FUTURE_SKEW
    partner_states: dict[str, PartnerState] = field(default_factory=dict)
    customer_states: dict[str, CustomerState] = field(default_factory=dict)
    summary: RunSummary = field(default_factory=RunSummary)

    def feed(self, record: SourceRecord) -> None:
        summary = self.summary
        summary.records += 1
        if record.refused is not None:
            self._dead_letter(record.refused)
            return
        result = accept(
            record.data,
            position=record.position,
            reference_time=self.reference_time,
            max_future_skew=self.max_future_skew,
        )
        if isinstance(result, DeadLetter):
            self._dead_letter(result)
            return
        summary.accepted += 1
        self.sink(result)
        outputs = partner_step(self.partner_states, result, self.config)
        outputs += customer_step(self.customer_states, result, self.config)
        for output in outputs:
            self._emit(output, record)

    def _emit(self, output: CoreOutput, record: SourceRecord) -> None:
        if isinstance(output, Rejected):
            self._dead_letter(
                from_rejected(output, record.data, position=record.position, failed_at=self.reference_time)
            )
            return
        if isinstance(output, LedgerEntry):
            self.summary.ledger_entries += 1
        elif isinstance(output, ConflictAlert):
            self.summary.alert_revisions += 1
        else:
            self.summary.accruals_forgone += 1
        self.sink(output)

    def _dead_letter(self, letter: DeadLetter) -> None:
        self.summary.dead_letters[letter.reason_code] += 1
        self.sink(letter)

    def run(
        self,
        records: Iterable[SourceRecord],
        *,
        on_progress: Callable[[int], None] | None = None,
        progress_every: int = 5000,
    ) -> RunSummary:
        """Feed every record; ``on_progress(n)`` is told how many records were read so far."""
        started = time.perf_counter()
        for record in records:
            self.feed(record)
            if on_progress is not None and self.summary.records % progress_every == 0:
                on_progress(self.summary.records)
        if on_progress is not None:
            on_progress(self.summary.records)
        self.summary.elapsed_s += time.perf_counter() - started
        self.summary.partners = len(self.partner_states)
        self.summary.customers = len(self.customer_states)
        return self.summary
