"""All versions of all programs, and which version governs a given business time."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

from processors.programs.model import Program
from schemas.events import PartnerType

_MAX_ACTIVE = 4096
"""Memoized answers of ``ProgramBook.active`` (enrolment lists x partner types x intervals)."""


class ProgramError(ValueError):
    """A program definition is invalid; the message names the file and the field."""


class ProgramBook:
    """Versions by program id. Where versions' effective ranges overlap, the highest wins.

    ``pin(program_id, version)`` gives a book in which that version governs all business time:
    replaying history under it shows what the new rules would have produced.
    """

    def __init__(self, programs: Iterable[Program], pins: Mapping[str, int] | None = None) -> None:
        versions: dict[str, list[Program]] = {}
        for program in programs:
            same = versions.setdefault(program.program_id, [])
            if any(p.version == program.version for p in same):
                raise ProgramError(
                    f"{program.source}: version: program {program.program_id!r} version "
                    f"{program.version} is defined twice"
                )
            same.append(program)
        self._versions = {pid: tuple(sorted(vs, key=lambda p: -p.version)) for pid, vs in versions.items()}
        self._pinned: dict[str, Program] = {}
        for pid, version in (pins or {}).items():
            self._pinned[pid] = self.version(pid, version)
        self._boundaries = sorted(
            {p.effective_from for vs in self._versions.values() for p in vs}
            | {p.effective_to for vs in self._versions.values() for p in vs if p.effective_to is not None}
        )
        """Instants where some version starts or ends: between two of them, ``effective`` is constant."""
        self._active: dict[tuple[tuple[str, ...], PartnerType, int], tuple[Program, ...]] = {}

    @property
    def program_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._versions))

    @property
    def pins(self) -> Mapping[str, int]:
        return MappingProxyType({pid: p.version for pid, p in self._pinned.items()})

    def versions(self, program_id: str) -> tuple[Program, ...]:
        """All versions, highest first (empty for an unknown program)."""
        return self._versions.get(program_id, ())

    def version(self, program_id: str, version: int) -> Program:
        for program in self.versions(program_id):
            if program.version == version:
                return program
        raise ProgramError(f"program {program_id!r} has no version {version}")

    def effective(self, program_id: str, at: datetime) -> Program | None:
        """The version whose effective range covers ``at`` (highest wins), or the pinned one."""
        pinned = self._pinned.get(program_id)
        if pinned is not None:
            return pinned
        for program in self._versions.get(program_id, ()):
            if program.covers(at):
                return program
        return None

    def active(
        self, program_ids: tuple[str, ...], partner_type: PartnerType, at: datetime
    ) -> tuple[Program, ...]:
        """The effective versions of ``program_ids`` at ``at`` that ``partner_type`` is eligible for,
        in order. Memoized per interval between version boundaries: asked for every sale."""
        key = (program_ids, partner_type, bisect_right(self._boundaries, at))
        found = self._active.get(key)
        if found is None:
            found = tuple(
                program
                for program_id in program_ids
                if (program := self.effective(program_id, at)) is not None
                and partner_type in program.eligible_partner_types
            )
            if len(self._active) < _MAX_ACTIVE:
                self._active[key] = found
        return found

    def governing(self, program_id: str, at: datetime) -> Program | None:
        """The version to settle under at ``at``: the effective one, else the latest that had
        started (payouts and claims go on after a program ends)."""
        found = self.effective(program_id, at)
        if found is not None:
            return found
        started = [p for p in self._versions.get(program_id, ()) if p.effective_from <= at]
        return max(started, key=lambda p: p.effective_from, default=None)

    def pin(self, program_id: str, version: int) -> ProgramBook:
        pins = dict(self.pins)
        pins[program_id] = version
        return ProgramBook((p for vs in self._versions.values() for p in vs), pins)
