"""``channel-ledger generate``: write a synthetic, seeded dataset of input events to a file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from services.datagen import GeneratedRecord

_PROGRESS_EVERY = 2000


class OutputFormat(StrEnum):
    AVRO = "avro"
    JSONL = "jsonl"


def register(app: typer.Typer) -> None:
    @app.command()
    def generate(
        out: Annotated[Path, typer.Option("--out", "-o", help="File to write.", dir_okay=False)],
        output_format: Annotated[
            OutputFormat,
            typer.Option(
                "--format",
                "-f",
                help="avro: frames of a 4-byte big-endian length + one Avro single-object record; "
                "jsonl: one JSON object per line.",
            ),
        ] = OutputFormat.AVRO,
        seed: Annotated[int, typer.Option("--seed", help="Same seed and options, same bytes.")] = 7,
        events: Annotated[
            int | None,
            typer.Option("--events", "-n", min=0, help="Exactly this many records (default: rate x days)."),
        ] = None,
        daily_rate: Annotated[
            float | None,
            typer.Option("--daily-rate", help="Valid events on an average day, without --events (1000)."),
        ] = None,
        start: Annotated[
            datetime | None,
            typer.Option(
                "--start",
                formats=["%Y-%m-%d"],
                help="First day (UTC); default: when the first incentive program takes effect.",
            ),
        ] = None,
        days: Annotated[int, typer.Option("--days", min=1, help="Days of business time.")] = 365,
        partners: Annotated[int, typer.Option("--partners", help="Partners, of every type.")] = 60,
        customers: Annotated[int, typer.Option("--customers", help="Customers across territories.")] = 4000,
        conflict_rate: Annotated[
            float, typer.Option("--conflict-rate", help="Share of sales staging a conflict.")
        ] = 0.01,
        late_rate: Annotated[
            float, typer.Option("--late-rate", help="Chance an eligible event arrives late.")
        ] = 0.01,
        invalid_rate: Annotated[
            float, typer.Option("--invalid-rate", help="Exact share of invalid records.")
        ] = 0.001,
        programs: Annotated[
            Path | None,
            typer.Option("--programs", help="Incentive program files (default: deploy/programs)."),
        ] = None,
        no_programs: Annotated[
            bool, typer.Option("--no-programs", help="Enrol partners in no program.")
        ] = False,
    ) -> None:
        """Generate a year of channel activity: partners, sales, returns, registrations, support,
        claims and payouts, with staged conflicts, late and invalid events."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from processors.programs import ProgramError
        from services.datagen import DEFAULT_PROGRAMS_DIR, DatagenConfig, DatagenConfigError, generate_records
        from services.datagen.generator import resolve_start
        from services.datagen.writers import write_avro, write_jsonl

        console = Console(stderr=True)
        try:
            config = DatagenConfig(
                seed=seed,
                start=_as_date(start),
                days=days,
                partners=partners,
                customers=customers,
                events=events,
                daily_rate=daily_rate,
                conflict_rate=conflict_rate,
                late_rate=late_rate,
                invalid_rate=invalid_rate,
                programs_dir=None if no_programs else (programs or DEFAULT_PROGRAMS_DIR),
            )
            first_day = resolve_start(config)
        except (DatagenConfigError, ProgramError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
        total = config.events if config.events is not None else int(config.target_records)
        write = write_avro if output_format is OutputFormat.AVRO else write_jsonl
        columns = (
            TextColumn("[bold]generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[day]}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("generate", total=total, day="")
            summary = write(_tracked(generate_records(config), progress, task), out)
            progress.update(task, completed=summary.records, total=summary.records)
        typer.echo(
            f"wrote {summary.records} records ({summary.invalid} invalid, {summary.bytes_written} bytes) "
            f"to {out} as {output_format.value}; business time from {first_day.isoformat()} for {days} days, "
            f"seed {seed}"
        )


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _tracked(
    records: Iterable[GeneratedRecord], progress: Progress, task: TaskID
) -> Iterator[GeneratedRecord]:
    from services.datagen import ValidRecord

    for count, record in enumerate(records, start=1):
        yield record
        if count % _PROGRESS_EVERY == 0:
            day = record.event.occurred_at.date().isoformat() if isinstance(record, ValidRecord) else ""
            progress.update(task, completed=count, day=day)
