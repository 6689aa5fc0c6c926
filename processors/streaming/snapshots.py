"""How the workers write a state into its changelog: fast snapshots, canonical bytes still readable.

A partner's state can hold months of sales kept for returns (megabytes); its canonical JSON
(``to_bytes``, byte-identical for equal states, what replays and tests compare) costs about
ten times more to produce than a pickle of the same immutable objects, and the workers write
every touched state once per batch. So the changelog carries ``b"\\x02" + zstd(pickle)``
snapshots. Compressed because a large distributor's pickled state outgrew the 32 MiB a record
may hold (a 1M-event benchmark run crashed the worker with a 37.8 MB snapshot); zstd level 1
shrinks a pickled state about 5x for a few milliseconds per 2 MB, next to ~70 ms to pickle
it. Snapshots written before (``b"\\x01" + pickle``) and values without a tag (canonical
bytes) are still read. The changelog topics are internal: only the workers write them, and
they must be protected like the state they hold (a pickle is code-bearing). A release that
changes the state classes incompatibly uses a new app id, and its workers rebuild state from
the keyed topics, which are kept forever.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Protocol, TypeVar

import cramjam

PICKLE_TAG = b"\x01"
COMPRESSED_PICKLE_TAG = b"\x02"
ZSTD_LEVEL = 1
_CANONICAL_START = b"{"


class CanonicalState(Protocol):
    def to_bytes(self) -> bytes: ...


S = TypeVar("S", bound=CanonicalState)


def snapshot_codec(
    from_canonical: Callable[[bytes], S], cls: type[S]
) -> tuple[Callable[[bytes], S], Callable[[S], bytes]]:
    """(decode, encode) for a state class with canonical ``to_bytes`` / ``from_bytes``."""

    def encode(state: S) -> bytes:
        pickled = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        return COMPRESSED_PICKLE_TAG + bytes(cramjam.zstd.compress(pickled, level=ZSTD_LEVEL))

    def decode(raw: bytes) -> S:
        tag = raw[:1]
        if tag in (PICKLE_TAG, COMPRESSED_PICKLE_TAG):
            body = raw[1:] if tag == PICKLE_TAG else bytes(cramjam.zstd.decompress(raw[1:]))
            state = pickle.loads(body)
            if not isinstance(state, cls):
                raise TypeError(f"changelog snapshot holds {type(state).__name__}, not {cls.__name__}")
            return state
        return from_canonical(raw)

    return decode, encode
