"""Deterministic ids: the same inputs always give the same id, so replays never duplicate."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("5b0c7d2e-7f5e-4c1a-9a57-6c1e0d1f2a30")


def derived_id(kind: str, *parts: str) -> str:
    """A UUIDv5 over ``kind`` and ``parts``; parts are joined unambiguously (length-prefixed)."""
    key = kind + "".join(f"|{len(p)}:{p}" for p in parts)
    return str(uuid.uuid5(_NAMESPACE, key))
