"""One refused detail of an input: the stable reason code, the field it concerns, what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.reasons import ReasonCode


@dataclass(frozen=True, slots=True)
class Problem:
    """``field`` is a dotted path into the record (``postings[1].amount``), or "" for the whole."""

    reason_code: ReasonCode
    field: str
    message: str

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        return f"{self.reason_code.value}{where}: {self.message}"
