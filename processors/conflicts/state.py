"""The per-customer state of the conflict processor, and its deterministic byte form.

The state is immutable: ``apply`` returns a new one that shares every untouched part with
the old, so callers may keep old states (tests compare them; a Faust table just replaces
the value). What it holds, and why that is bounded, is in docs/conflicts.md ("State").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from mypy_extensions import mypyc_attr

from processors.conflicts import state_codec
from processors.conflicts.alerts import AlertRecord
from processors.conflicts.pickled import field_values, set_field_values
from processors.conflicts.registrations import HolderSpan, Registration
from processors.conflicts.sales import SellerCells
from schemas.outputs import AlertRule


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP
"""``CustomerState.evolve`` argument default: keep the field as it is."""


@mypyc_attr(serializable=True)
@dataclass(frozen=True, slots=True)
class CustomerState:
    """Everything the rules remember about one customer.

    ``clock`` is the customer's business clock: the latest ``occurred_at`` of a
    registration, sale or return seen. ``sales`` is product line -> seller -> day cells.
    ``holders`` (product line -> who holds protection when) is a cache derived from
    ``registrations`` under ``holders_ttl_days``; it is neither compared nor serialized,
    and ``apply`` rebuilds it when it is missing or was built under another TTL.
    ``episodes`` indexes the contention alerts by line, so finding a line's episode does
    not scan every alert.
    """

    customer_id: str
    clock: datetime | None = None
    registrations: Mapping[str, Registration] = field(default_factory=dict)
    sales: Mapping[str, Mapping[str, SellerCells]] = field(default_factory=dict)
    alerts: Mapping[str, AlertRecord] = field(default_factory=dict)
    holders: Mapping[str, tuple[HolderSpan, ...]] = field(default_factory=dict, repr=False, compare=False)
    holders_ttl_days: int | None = field(default=None, repr=False, compare=False)
    prune_due_day: int | None = None
    """The first day (days since the epoch) on which pruning may forget something; None
    until the first event. Serialized, so that a restored worker prunes exactly when an
    uninterrupted one would and the two states stay byte-identical."""
    episodes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    """Cache: product line -> ids of its CUSTOMER_CONTENTION alerts (derived from ``alerts``)."""

    @classmethod
    def empty(cls, customer_id: str) -> CustomerState:
        return cls(customer_id)

    def evolve(
        self,
        *,
        clock: datetime | _Keep = KEEP,
        registrations: Mapping[str, Registration] | _Keep = KEEP,
        sales: Mapping[str, Mapping[str, SellerCells]] | _Keep = KEEP,
        alerts: Mapping[str, AlertRecord] | _Keep = KEEP,
        holders: Mapping[str, tuple[HolderSpan, ...]] | _Keep = KEEP,
        prune_due_day: int | _Keep | None = KEEP,
        episodes: Mapping[str, tuple[str, ...]] | _Keep = KEEP,
    ) -> CustomerState:
        """A copy with some fields changed: ``dataclasses.replace``, at a third of its cost
        (this runs once or more per event)."""
        return CustomerState(
            self.customer_id,
            self.clock if clock is KEEP else clock,
            self.registrations if registrations is KEEP else registrations,
            self.sales if sales is KEEP else sales,
            self.alerts if alerts is KEEP else alerts,
            self.holders if holders is KEEP else holders,
            self.holders_ttl_days,
            self.prune_due_day if prune_due_day is KEEP else prune_due_day,
            self.episodes if episodes is KEEP else episodes,
        )

    def to_bytes(self) -> bytes:
        """Canonical bytes: equal states give equal bytes, whatever built them."""
        return state_codec.encode(
            self.customer_id, self.clock, self.registrations, self.sales, self.alerts, self.prune_due_day
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> CustomerState:
        """Decode ``to_bytes`` output; raises ``ValueError`` naming what is malformed."""
        parts = state_codec.decode(data)
        return cls(
            parts.customer_id,
            parts.clock,
            parts.registrations,
            parts.sales,
            parts.alerts,
            prune_due_day=parts.prune_due_day,
            episodes=episode_index(parts.alerts),
        )

    def __getstate__(self) -> list[object]:
        return field_values(self)  # see processors.conflicts.pickled

    def __setstate__(self, state: list[object]) -> None:
        set_field_values(self, state)


def episode_index(alerts: Mapping[str, AlertRecord]) -> dict[str, tuple[str, ...]]:
    """Product line -> ids of its CUSTOMER_CONTENTION alerts, in id order."""
    index: dict[str, list[str]] = {}
    for alert_id in sorted(alerts):
        alert = alerts[alert_id].alert
        if alert.rule_id is AlertRule.CUSTOMER_CONTENTION and alert.product_line is not None:
            index.setdefault(alert.product_line, []).append(alert_id)
    return {line: tuple(ids) for line, ids in index.items()}
