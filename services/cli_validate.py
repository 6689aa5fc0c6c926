"""``channel-ledger validate FILE``: check a JSON or JSONL file of events before sending it.

Every problem is printed as ``FILE:LINE: REASON field: message`` and the command exits 1 when
there is any, so integrators can run it in their own CI. Beyond the per-event rules it catches
one stateful rule within the file: an event id reused with different content.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

if TYPE_CHECKING:
    from schemas.problems import Problem

MAX_TRACKED_EVENT_IDS = 5_000_000
"""Bound on the ids remembered for the duplicate check (about 200 bytes each)."""


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    problem: Problem


@dataclass(slots=True)
class CheckSummary:
    records: int = 0
    records_with_problems: int = 0
    problems: int = 0
    duplicate_check_stopped_at: int | None = None


def check_stream(
    stream: TextIO, *, reference_time: datetime, max_future_skew: timedelta, summary: CheckSummary
) -> Iterator[LineProblem]:
    """Every problem in ``stream``, in file order; ``summary`` is filled as it goes."""
    from schemas.digest import content_digest
    from schemas.eventfile import read_models
    from schemas.events import Event
    from schemas.problems import Problem
    from schemas.reasons import ReasonCode
    from schemas.validation import validate

    seen: dict[str, tuple[str, int]] = {}
    for record in read_models(stream):
        summary.records += 1
        problems = list(record.problems)
        model = record.model
        if model is not None:
            if isinstance(model, Event):
                problems += validate(model, reference_time=reference_time, max_future_skew=max_future_skew)
            else:
                problems.append(
                    Problem(
                        ReasonCode.UNKNOWN_EVENT_TYPE,
                        "event_type",
                        f"{type(model).__name__} is an output record, not an input event",
                    )
                )
        if isinstance(model, Event):
            digest = content_digest(model)
            earlier = seen.get(model.event_id)
            if earlier is not None and earlier[0] != digest:
                problems.append(
                    Problem(
                        ReasonCode.DUPLICATE_EVENT_ID,
                        "event_id",
                        f"{model.event_id} was used on line {earlier[1]} for different content",
                    )
                )
            elif earlier is None and len(seen) < MAX_TRACKED_EVENT_IDS:
                seen[model.event_id] = (digest, record.line)
            elif earlier is None and summary.duplicate_check_stopped_at is None:
                summary.duplicate_check_stopped_at = record.line
        if problems:
            summary.records_with_problems += 1
            summary.problems += len(problems)
        for problem in problems:
            yield LineProblem(record.line, problem)


def _parse_reference_time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)  # an interface, not the core: "now" is the operator's now
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO-8601 time") from None
    if parsed.utcoffset() is None:
        raise typer.BadParameter(f"{text!r} has no time zone; add Z or +00:00")
    return parsed


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_file(
        file: Annotated[
            Path,
            typer.Argument(
                help="Events as JSONL, a JSON array or one JSON object; '-' reads standard input.",
                allow_dash=True,
            ),
        ],
        reference_time: Annotated[
            str | None,
            typer.Option(help="ISO-8601 time the future-timestamp rule compares with (default: now)."),
        ] = None,
        max_future_skew_s: Annotated[
            float, typer.Option(min=0, help="How far after the reference time an occurred_at may be.")
        ] = 300.0,
    ) -> None:
        """Check a file of events against the contracts; print every problem with its line."""
        now = _parse_reference_time(reference_time)
        skew = timedelta(seconds=max_future_skew_s)
        summary = CheckSummary()
        label = "<stdin>" if str(file) == "-" else str(file)
        try:
            with nullcontext(sys.stdin) if str(file) == "-" else file.open(encoding="utf-8") as stream:
                for found in check_stream(stream, reference_time=now, max_future_skew=skew, summary=summary):
                    typer.echo(f"{label}:{found.line}: {found.problem}")
        except OSError as error:
            typer.echo(f"{label}: cannot read: {error.strerror or error}", err=True)
            raise typer.Exit(2) from None
        except UnicodeDecodeError:
            typer.echo(f"{label}: not UTF-8 text (Avro files are not accepted here)", err=True)
            raise typer.Exit(2) from None
        if summary.duplicate_check_stopped_at is not None:
            typer.echo(
                f"{label}: note: more than {MAX_TRACKED_EVENT_IDS} event ids; duplicate ids are not "
                f"checked from line {summary.duplicate_check_stopped_at} on",
                err=True,
            )
        if summary.problems:
            typer.echo(
                f"{label}: {summary.problems} problem(s) in {summary.records_with_problems} of "
                f"{summary.records} record(s)",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"{label}: {summary.records} record(s), no problems", err=True)
