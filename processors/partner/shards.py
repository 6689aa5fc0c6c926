"""Former home of the partner state's large maps, kept for existing imports.

The state's maps were sharded dicts (an update copied 1/32 of the map); they are now
``PersistentMap`` (``processors.partner.persistent``), whose updates cost O(1).
"""

from __future__ import annotations

from typing import TypeVar

from processors.partner.persistent import PersistentMap

V = TypeVar("V")


class ShardedMap(PersistentMap[str, V]):
    """A string-keyed ``PersistentMap``."""

    __slots__ = ()
