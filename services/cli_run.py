"""`channel-ledger demo` and `channel-ledger run`: the whole product on one machine, no Kafka.

`demo` generates a seeded dataset, runs it through the embedded pipeline into chDB with a progress
bar, prints the partner leaderboard, outstanding balances and open conflicts, and writes an HTML
report. `run --input FILE` does the same on a user's own events (JSONL or Avro).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli_query import DatabaseOption, DataDirOption, UrlOption, resolve_settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from projections.settings import WarehouseSettings
    from services.runfile import RunResult

DEMO_START = date(2026, 1, 1)
"""The example programs run for calendar 2026."""
DEMO_DAYS = 330
"""Through 26 November 2026: a fixed span (same seed, same data), none of it in the future."""

ProgramsOption = Annotated[
    Path | None,
    typer.Option("--programs", help="Directory of program files (default: deploy/programs)."),
]
ReportOption = Annotated[
    Path | None, typer.Option("--report", help="Where to write the HTML report (default: OUT/report.html).")
]


def _run_with_progress(
    path: Path,
    settings: WarehouseSettings,
    programs: Path | None,
    total: int | None,
    console: Console,
    *,
    reset: bool = True,
) -> RunResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from processors.pipeline import DEFAULT_PROGRAMS_DIR, CoreConfig
    from services.runfile import run_file

    config = CoreConfig.from_programs_dir(programs or DEFAULT_PROGRAMS_DIR)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("pipeline", total=total)
        return run_file(
            path,
            settings=settings,
            config=config,
            reset=reset,
            on_progress=lambda n: progress.update(task, completed=n),
        )


def _print_summary(result: RunResult, console: Console) -> None:
    s = result.summary
    console.print(
        f"[bold]{s.records:,}[/] records in {s.elapsed_s:.1f} s ({s.events_per_s:,.0f}/s): "
        f"{s.accepted:,} accepted, {s.dead_letter_total:,} dead letters, "
        f"{s.ledger_entries:,} ledger entries, "
        f"{s.alert_revisions:,} alert revisions, {s.partners} partners, {s.customers:,} customers; "
        f"{result.rows_written:,} warehouse rows"
    )
    if s.dead_letters:
        reasons = ", ".join(f"{code} {count}" for code, count in s.dead_letters.most_common())
        console.print(f"dead letters by reason: {reasons}", style="dim")


_TABLES: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    (
        "Partner leaderboard (this quarter, by net revenue)",
        "top_partners_by_revenue_this_quarter",
        10,
        (
            "partner_id",
            "partner_name",
            "partner_type",
            "tier",
            "net_revenue",
            "sales",
            "return_rate",
            "health_score",
        ),
    ),
    (
        "Outstanding balances (owed to partners)",
        "outstanding_balances",
        10,
        (
            "partner_id",
            "partner_name",
            "currency",
            "accrued",
            "clawed_back",
            "expired",
            "paid",
            "outstanding",
        ),
    ),
    (
        "Open conflicts by severity",
        "open_conflicts_by_severity",
        12,
        ("severity", "rule_id", "open_alerts", "acknowledged", "oldest_detected_at"),
    ),
)


def _print_tables(settings: WarehouseSettings, console: Console) -> None:
    from projections.saved_queries import saved_query
    from projections.warehouse import open_warehouse

    with open_warehouse(settings, read_only=True) as warehouse:
        for title, name, limit, columns in _TABLES:
            result = warehouse.query(saved_query(name))
            picked = [result.columns.index(column) for column in columns]
            rows = [[row[i] for i in picked] for row in result.rows]
            console.print(_table(title, columns, rows[:limit]))
            if len(rows) > limit:
                console.print(
                    f"... and {len(rows) - limit} more: channel-ledger query --saved {name}", style="dim"
                )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Table:
    from rich.table import Table

    table = Table(title=title, title_style="bold", header_style="bold")
    for i, name in enumerate(columns):
        numeric = bool(rows) and all(isinstance(row[i], int | float | Decimal) for row in rows)
        table.add_column(name, justify="right" if numeric else "left", no_wrap=numeric)
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    return table


def _finish(result: RunResult, settings: WarehouseSettings, report: Path, console: Console) -> None:
    from services.reporting import write_report

    _print_summary(result, console)
    _print_tables(settings, console)
    written = write_report(settings, report)
    console.rule("Where things are")
    console.print(f"HTML report:   {written.resolve()}")
    where = _warehouse_flag(settings)
    console.print(f"warehouse:     {_warehouse_place(settings)}")
    console.print(
        f'query it:      channel-ledger query{where} "SELECT * FROM partner_scorecard_monthly LIMIT 5"'
    )
    console.print(f"saved queries: channel-ledger query{where} --saved top_partners_by_revenue_this_quarter")


def _warehouse_place(settings: WarehouseSettings) -> str:
    """Where the projected tables are, in words (a settings repr is no answer for a user)."""
    from projections.settings import EmbeddedSettings

    if isinstance(settings, EmbeddedSettings):
        return f"chDB data in {settings.data_dir.resolve()}, database {settings.database}"
    url = f"{'https' if settings.secure else 'http'}://{settings.host}:{settings.effective_port}"
    return f"ClickHouse server {url}, database {settings.database}"


def _warehouse_flag(settings: WarehouseSettings) -> str:
    from projections.settings import EmbeddedSettings

    return f" --data-dir {settings.data_dir}" if isinstance(settings, EmbeddedSettings) else " --url ..."


def _console() -> Console:
    """Wide enough for the tables even when the output is piped to a file or a CI log."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def demo_command(
    seed: Annotated[int, typer.Option(help="Seed of the synthetic dataset (same seed, same data).")] = 7,
    events: Annotated[int, typer.Option(help="How many events to generate.")] = 200_000,
    out: Annotated[Path, typer.Option(help="Folder for the dataset, the report and the warehouse.")] = Path(
        ".channel-ledger/demo"
    ),
    programs: ProgramsOption = None,
    report: ReportOption = None,
) -> None:
    """Generate a year of channel activity, run the whole pipeline on it, show the results."""
    from projections.settings import EmbeddedSettings
    from services.datagen import DatagenConfig, generate_records, write_avro

    console = _console()
    out.mkdir(parents=True, exist_ok=True)
    dataset = out / f"events-seed{seed}-{events}.avro"
    config = DatagenConfig(seed=seed, start=DEMO_START, days=DEMO_DAYS, events=events)
    with console.status(f"generating {events:,} events (seed {seed}) into {dataset}"):
        written = write_avro(generate_records(config), dataset)
    console.print(
        f"generated {written.records:,} events ({written.invalid:,} deliberately invalid) -> {dataset}"
    )
    settings = EmbeddedSettings(data_dir=out / "chdb")
    result = _run_with_progress(dataset, settings, programs, written.records, console)
    _finish(result, settings, report or out / "report.html", console)


def run_command(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", exists=True, dir_okay=False, help="Events, JSONL or Avro.")
    ],
    programs: ProgramsOption = None,
    report: ReportOption = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Add to the warehouse instead of rebuilding it from this file.")
    ] = False,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Run your own events through the embedded pipeline into the warehouse and show the results."""
    settings = resolve_settings(data_dir, url, database)
    console = _console()
    result = _run_with_progress(input_file, settings, programs, None, console, reset=not keep)
    _finish(result, settings, report or Path(".channel-ledger/report.html"), console)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
    app.command("run")(run_command)
