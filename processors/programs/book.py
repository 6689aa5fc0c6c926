"""All versions of all programs, and which version governs a given business time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

from processors.programs.model import Program


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
