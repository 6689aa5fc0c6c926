"""The core as one pipeline: intake-accepted events through the partner and customer processors.

Both runners use these steps and nothing else decides anything: the embedded runner calls them
in-process over a file, the Faust agents call them per keyed stream. An event goes to the partner
processor when it has a partner key and to the customer processor when it has a customer key
(a partner sale goes to both); each step returns that processor's outputs in order.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from processors import conflicts, partner
from processors.conflicts import ConflictConfig, CustomerState
from processors.partner import PartnerState, ProcessorConfig
from processors.programs import ProgramBook, load_programs
from schemas.events import InputEvent
from schemas.outputs import AccrualForgone, ConflictAlert, LedgerEntry, Rejected

CoreOutput = LedgerEntry | ConflictAlert | AccrualForgone | Rejected
"""Anything a processor emits; ``Rejected`` becomes a dead letter at the edge."""

DEFAULT_PROGRAMS_DIR = Path(__file__).resolve().parent.parent / "deploy" / "programs"
"""The example programs shipped with the deployment configs."""


@dataclass(frozen=True, slots=True)
class CoreConfig:
    """Everything the core reads besides events: programs, conflict rules, processor bounds."""

    book: ProgramBook
    conflicts: ConflictConfig = field(default_factory=ConflictConfig)
    partner: ProcessorConfig = partner.DEFAULT_CONFIG

    @classmethod
    def from_programs_dir(cls, programs: Path = DEFAULT_PROGRAMS_DIR) -> CoreConfig:
        return cls(book=load_programs(programs))


def partner_step(
    states: MutableMapping[str, PartnerState], event: InputEvent, config: CoreConfig
) -> list[CoreOutput]:
    """Apply ``event`` to its partner's state in ``states``; no-op for events without a partner."""
    key = partner.partner_key(event)
    if key is None:
        return []
    state, outputs = partner.apply(states.get(key), event, config.book, config.partner)
    states[key] = state
    return list(outputs)


def customer_step(
    states: MutableMapping[str, CustomerState], event: InputEvent, config: CoreConfig
) -> list[CoreOutput]:
    """Apply ``event`` to its customer's state in ``states``; no-op for events without a customer."""
    key = conflicts.customer_key(event)
    if key is None:
        return []
    state, outputs = conflicts.apply(states.get(key), event, config.conflicts)
    states[key] = state
    return list(outputs)
