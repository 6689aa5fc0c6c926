"""How the workers write a state into its changelog: fast snapshots, canonical bytes still readable.

A partner's state can hold months of sales kept for returns (megabytes); its canonical JSON
(``to_bytes``, byte-identical for equal states, what replays and tests compare) costs about
ten times more to produce than a pickle of the same immutable objects, and the workers write
every touched state once per batch. So the changelog carries ``b"\\x01" + pickle`` snapshots;
values without the tag are read as canonical bytes. The changelog topics are internal: only
the workers write them, and they must be protected like the state they hold (a pickle is
code-bearing). A release that changes the state classes incompatibly uses a new app id, and its
workers rebuild state from the keyed topics, which are kept forever.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Protocol, TypeVar

PICKLE_TAG = b"\x01"
_CANONICAL_START = b"{"


class CanonicalState(Protocol):
    def to_bytes(self) -> bytes: ...


S = TypeVar("S", bound=CanonicalState)


def snapshot_codec(
    from_canonical: Callable[[bytes], S], cls: type[S]
) -> tuple[Callable[[bytes], S], Callable[[S], bytes]]:
    """(decode, encode) for a state class with canonical ``to_bytes`` / ``from_bytes``."""

    def encode(state: S) -> bytes:
        return PICKLE_TAG + pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def decode(raw: bytes) -> S:
        if raw[:1] == PICKLE_TAG:
            state = pickle.loads(raw[1:])
            if not isinstance(state, cls):
                raise TypeError(f"changelog snapshot holds {type(state).__name__}, not {cls.__name__}")
            return state
        return from_canonical(raw)

    return decode, encode
