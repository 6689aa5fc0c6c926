"""The ``channel-ledger`` command: one entry point, subcommands registered from small modules.

Each module in ``COMMAND_MODULES`` exposes ``register(app: typer.Typer) -> None``; importing
them is cheap (heavy imports happen inside the commands), so ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version

import typer

from services.logsetup import configure_logging

COMMAND_MODULES: tuple[str, ...] = (
    "services.cli_run",
    "services.cli_worker",
    "services.cli_validate",
    "services.cli_query",
    "services.cli_generate",
    "services.cli_topics",
    "services.cli_produce",
    "services.cli_project",
    "services.cli_alerts",
)
"""Modules that contribute subcommands; each defines ``register(app)``."""


def _version() -> str:
    try:
        return dist_version("channel-ledger")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"channel-ledger {_version()}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Build the CLI; nothing runs at import time."""
    app = typer.Typer(
        name="channel-ledger",
        help="Event-sourced channel ledger: incentive accruals, conflict alerts, partner scorecards.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
        ),
        log_format: str = typer.Option(
            "auto", "--log-format", envvar="CL_LOG_FORMAT", help="Logs as 'json', 'console' or 'auto'."
        ),
        log_level: str = typer.Option("info", "--log-level", envvar="CL_LOG_LEVEL", help="Log level."),
    ) -> None:
        """Channel Ledger."""
        configure_logging(log_format=log_format, level=log_level)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
    return app


def main() -> None:
    build_app()()
