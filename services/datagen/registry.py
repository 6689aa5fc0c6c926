"""The generator's view of deal registrations per customer and product line.

It keeps ordinary activity clean (a second partner never registers a key that is taken, and
an ordinary sale into a protected key goes through the protecting partner) and lets conflicts
be staged on purpose against a registration that is really protecting at that time. Entries
leave when their protection ends, so the registry holds only open registrations.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass

Key = tuple[int, str]
"""(customer index, product line)."""

_MARGIN_MS = 6 * 3_600_000
"""Keeps ordinary sales and staged conflicts clear of protection boundaries."""


@dataclass(frozen=True, slots=True)
class Registration:
    registration_id: str
    event_id: str
    partner: int
    key: Key
    registered_ms: int
    approved_ms: int | None
    """None while (or if forever) pending, or when rejected / withdrawn before approval."""
    until_ms: int
    """Protection (or, unapproved, occupancy of the key) ends here."""


class Registry:
    def __init__(self) -> None:
        self._by_key: dict[Key, Registration] = {}
        self._approved: list[Key] = []
        self._approved_pos: dict[Key, int] = {}
        self._ends: list[tuple[int, Key, str]] = []
        self._staged: set[Key] = set()
        """Keys already used to stage a conflict: one staged situation per registration."""

    def __len__(self) -> int:
        return len(self._by_key)

    def taken(self, key: Key) -> bool:
        return key in self._by_key

    def add(self, registration: Registration) -> None:
        key = registration.key
        if key in self._by_key:
            raise ValueError(f"key {key} is already registered")
        self._by_key[key] = registration
        if registration.approved_ms is not None:
            self._approved_pos[key] = len(self._approved)
            self._approved.append(key)
        heapq.heappush(self._ends, (registration.until_ms, key, registration.registration_id))

    def protector(self, key: Key, at_ms: int) -> Registration | None:
        """The approved registration protecting ``key`` at ``at_ms`` (with a safety margin)."""
        found = self._by_key.get(key)
        if found is None or found.approved_ms is None:
            return None
        if found.approved_ms - _MARGIN_MS <= at_ms < found.until_ms + _MARGIN_MS:
            return found
        return None

    def draw_protecting(self, rng: random.Random, at_ms: int, tries: int = 8) -> Registration | None:
        """A random approved registration protecting well inside its window at ``at_ms`` that no
        conflict was staged against yet; it is marked so none will be again."""
        if not self._approved:
            return None
        for _ in range(tries):
            key = self._approved[rng.randrange(len(self._approved))]
            found = self._by_key[key]
            assert found.approved_ms is not None
            inside = found.approved_ms + _MARGIN_MS <= at_ms < found.until_ms - 4 * _MARGIN_MS
            if inside and key not in self._staged:
                self._staged.add(key)
                return found
        return None

    def prune(self, now_ms: int) -> None:
        """Forget registrations whose protection ended before ``now_ms``."""
        while self._ends and self._ends[0][0] < now_ms:
            _, key, registration_id = heapq.heappop(self._ends)
            current = self._by_key.get(key)
            if current is not None and current.registration_id == registration_id:
                self._remove(key)

    def _remove(self, key: Key) -> None:
        del self._by_key[key]
        self._staged.discard(key)
        pos = self._approved_pos.pop(key, None)
        if pos is not None:
            last = self._approved.pop()
            if last != key:
                self._approved[pos] = last
                self._approved_pos[last] = pos
