"""Warehouse commands: ``channel-ledger query "SQL"`` for analysts, ``channel-ledger rebuild``.

``query`` runs one read-only statement against the configured warehouse (the embedded chDB
directory, or the server named by ``CL_CLICKHOUSE_URL``) and prints a table, CSV or JSON.
It refuses anything that could write, before sending it, and opens the engine read-only
as well. ``--saved NAME`` runs one of the ready queries in ``projections/queries``.

``rebuild`` drops every projection and projects a file of records (input events and the
core's outputs, in the JSON form) from the beginning.
"""

from __future__ import annotations

import base64
import csv
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

if TYPE_CHECKING:
    from projections.settings import WarehouseSettings
    from projections.warehouse import QueryResult, SqlValue

OutputFormat = Literal["table", "csv", "json"]
_FORMATS: dict[str, OutputFormat] = {"table": "table", "csv": "csv", "json": "json"}

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="chDB data directory (default: $CL_CHDB_PATH or .channel-ledger/chdb)."),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", help="ClickHouse server, http(s)://user:password@host:port/database (or $CL_CLICKHOUSE_URL)."
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database of the embedded warehouse (default channel_ledger)."),
]


def resolve_settings(data_dir: Path | None, url: str | None, database: str | None) -> WarehouseSettings:
    """Command-line options over the environment: ``--url`` wins, then ``--data-dir``."""
    from dataclasses import replace

    from projections.settings import EmbeddedSettings, parse_clickhouse_url, settings_from_env

    if url:
        return parse_clickhouse_url(url)
    settings = settings_from_env()
    if data_dir is not None or (database and isinstance(settings, EmbeddedSettings)):
        base = settings if isinstance(settings, EmbeddedSettings) else EmbeddedSettings()
        return replace(base, data_dir=data_dir or base.data_dir, database=database or base.database)
    return settings


def _text(value: SqlValue) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list | dict):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return str(value)


def _jsonable(value: SqlValue) -> object:
    """JSON without losing money: decimals as strings, times as ISO-8601, bytes as base64."""
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, Decimal | datetime | date | bytes):
        return _text(value)
    return value


def render(result: QueryResult, output: OutputFormat) -> None:
    """Print ``result`` to stdout as a table, CSV with a header, or a JSON array of objects."""
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(value) for value in row] for row in result.rows)
    elif output == "json":
        rows = [
            {name: _jsonable(value) for name, value in zip(result.columns, row, strict=True)}
            for row in result.rows
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False, header_style="bold")
        numeric = [
            all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in result.rows)
            for i in range(len(result.columns))
        ]
        for name, is_number in zip(result.columns, numeric, strict=True):
            table.add_column(name, justify="right" if is_number and result.rows else "left")
        for row in result.rows:
            table.add_row(*(_text(value) for value in row))
        console = Console(soft_wrap=False)
        console.print(table)
        console.print(f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}", style="dim")


def _params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--param")
        params[name] = value
    return params


def query_command(
    sql: Annotated[
        str | None, typer.Argument(help="One read-only SQL statement (SELECT, WITH, SHOW...).")
    ] = None,
    output: Annotated[
        str, typer.Option("--format", "-f", help="table (default), csv or json.", case_sensitive=False)
    ] = "table",
    saved: Annotated[
        str | None, typer.Option("--saved", help="Run a ready query from projections/queries.")
    ] = None,
    list_saved: Annotated[bool, typer.Option("--list", help="List the ready queries and exit.")] = False,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE for a {NAME:Type} placeholder.")
    ] = None,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Run read-only SQL against the warehouse and print the result."""
    from projections.saved_queries import saved_queries, saved_query
    from projections.sql import NotReadOnlyError, ensure_read_only
    from projections.warehouse import WarehouseError, open_warehouse

    if list_saved:
        for name, text in saved_queries().items():
            first = next((line[2:].strip() for line in text.splitlines() if line.startswith("--")), "")
            typer.echo(f"{name}\t{first}")
        return
    fmt = _FORMATS.get(output.lower())
    if fmt is None:
        raise typer.BadParameter("must be table, csv or json", param_hint="--format")
    if (sql is None) == (saved is None):
        raise typer.BadParameter("give either SQL or --saved NAME (see --list)")
    try:
        text = saved_query(saved) if saved is not None else str(sql)
        statement = ensure_read_only(text)
    except (KeyError, NotReadOnlyError) as error:
        typer.echo(f"refused: {error.args[0]}", err=True)
        raise typer.Exit(2) from error
    settings = resolve_settings(data_dir, url, database)
    try:
        with open_warehouse(settings, read_only=True) as warehouse:
            result = warehouse.query_read_only(statement, _params(param or []))
    except WarehouseError as error:
        typer.echo(f"query failed: {error}", err=True)
        raise typer.Exit(1) from error
    render(result, fmt)


def rebuild_command(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", exists=True, dir_okay=False, help="JSON/JSONL file of records.")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before dropping the projections.")
    ] = False,
    data_dir: DataDirOption = None,
    url: UrlOption = None,
    database: DatabaseOption = None,
) -> None:
    """Drop every projection and project the records of a file from the beginning."""
    from projections.rebuild import rebuild
    from projections.rows import Record
    from projections.warehouse import WarehouseError, open_warehouse
    from schemas.eventfile import read_models
    from schemas.outputs import Rejected

    settings = resolve_settings(data_dir, url, database)
    if not yes:
        typer.confirm(f"Drop every projection in database {settings.database} and rebuild it?", abort=True)
    skipped: list[str] = []

    def records() -> Iterator[Record]:
        with input_file.open(encoding="utf-8") as stream:
            for item in read_models(stream):
                if item.model is None:
                    skipped.append(
                        f"{input_file}:{item.line}: " + "; ".join(p.message for p in item.problems)
                    )
                elif isinstance(item.model, Rejected):
                    skipped.append(
                        f"{input_file}:{item.line}: Rejected has no source position to dead-letter"
                    )
                else:
                    yield item.model

    try:
        with open_warehouse(settings) as warehouse:
            report = rebuild(warehouse, records())
    except WarehouseError as error:
        typer.echo(f"rebuild failed: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"rebuilt {settings.database}: {report.records} records, {report.rows} rows, "
        f"migrations {', '.join(report.migrations)}, {report.seconds:.1f} s"
    )
    for line in skipped:
        typer.echo(f"not projected: {line}", err=True)
    if skipped:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("query")(query_command)
    app.command("rebuild")(rebuild_command)
