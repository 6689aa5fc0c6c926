"""Pickling of the frozen dataclasses a customer state is made of.

Customer states are pickled into the changelog (``processors/streaming/snapshots.py``).
Interpreted, a frozen slotted dataclass pickles as the list of its field values (``dataclasses``
gives it a ``__getstate__`` / ``__setstate__`` pair); compiled with mypyc
(``deploy/build-native.sh``) it would pickle as a dict of attributes and then fail to unpickle
(its ``__setattr__`` is frozen). So these classes define the pair themselves, with these
helpers, in the very form of ``dataclasses``' own: a snapshot has the same bytes whether a
compiled or an interpreted worker wrote it, and reads in either, and in earlier releases.
They are also ``mypyc_attr(serializable=True)``: a compiled class is then unpickled without
calling ``__init__``, as an interpreted one is.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def field_values(obj: DataclassInstance) -> list[object]:
    """``__getstate__``: the field values in field order."""
    return [getattr(obj, f.name) for f in fields(obj)]


def set_field_values(obj: DataclassInstance, state: list[object]) -> None:
    """``__setstate__``: set each field (through ``object.__setattr__``: the class is frozen)."""
    for f, value in zip(fields(obj), state, strict=True):
        object.__setattr__(obj, f.name, value)
