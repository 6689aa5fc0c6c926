"""``channel-ledger alerts tail``: print conflict alerts as they arrive.

One table row per alert (severity coloured) or, with ``--json``, one JSON object per line in
the project's JSON form (``schemas.jsonform``), ready for ``jq`` or a script. The consuming
side is ``services.alerts_tail``, written to be read as the example for alert consumers.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli_streaming import BootstrapOption, TopicPrefixOption, kafka_settings, run_until_signalled

if TYPE_CHECKING:
    from rich.console import Console

    from services.alerts_tail import AlertMessage

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}
_COLUMNS = (
    ("detected", 20),
    ("severity", 8),
    ("rule", 22),
    ("status", 12),
    ("rev", 3),
    ("customer / line", 24),
    ("parties", 30),
    ("alert", 8),
)


class AlertRows:
    """Prints alerts as rows of one table whose header is printed once, before the first row."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.printed = 0

    def __call__(self, message: AlertMessage) -> None:
        from rich.table import Table

        alert = message.alert
        table = Table(show_header=self.printed == 0, box=None, pad_edge=False, show_edge=False)
        for name, width in _COLUMNS:
            table.add_column(name, width=width, no_wrap=True, overflow="ellipsis")
        table.add_column("message", no_wrap=False)
        customer = " / ".join(part for part in (alert.customer_id, alert.product_line) if part) or "-"
        parties = ", ".join(
            f"{party.partner_id} {party.role.value.lower()}".strip() for party in alert.parties
        )
        table.add_row(
            alert.detected_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"[{_SEVERITY_STYLE.get(alert.severity.value, '')}]{alert.severity.value}[/]",
            alert.rule_id.value,
            alert.status.value,
            str(alert.revision),
            customer,
            parties or "-",
            alert.alert_id[:8],
            alert.message,
        )
        self.console.print(table)
        self.printed += 1


def print_json(message: AlertMessage) -> None:
    import json

    from schemas.jsonform import to_json

    sys.stdout.write(json.dumps(to_json(message.alert), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    alerts = typer.Typer(help="Conflict alerts on Kafka.", no_args_is_help=True)
    app.add_typer(alerts, name="alerts")

    @alerts.command("tail")
    def tail(
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
        from_beginning: Annotated[
            bool, typer.Option("--from-beginning", help="Start at the oldest alert kept, not at the end.")
        ] = False,
        max_alerts: Annotated[
            int | None, typer.Option("--max", min=1, help="Exit after printing this many alerts.")
        ] = None,
        group: Annotated[
            str | None,
            typer.Option(
                "--group", help="Consumer group: commit what was printed and resume there next time."
            ),
        ] = None,
        bootstrap: BootstrapOption = None,
        topic_prefix: TopicPrefixOption = None,
    ) -> None:
        """Print conflict alerts as they arrive (Ctrl-C to stop)."""
        import asyncio

        from aiokafka import ConsumerRecord
        from aiokafka.errors import KafkaError
        from rich.console import Console

        from services.alerts_tail import tail_alerts
        from services.topic_admin import TopicAdminError

        settings = kafka_settings(bootstrap, topic_prefix)
        errors = Console(stderr=True)
        terminal = Console()
        emit = print_json if as_json else AlertRows(terminal if terminal.is_terminal else Console(width=180))

        def undecodable(record: ConsumerRecord[bytes, bytes], problem: str) -> None:
            errors.print(
                f"skipped partition {record.partition} offset {record.offset}: {problem}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )

        async def main(stop: asyncio.Event) -> int:
            return await tail_alerts(
                settings,
                emit,
                from_beginning=from_beginning,
                max_alerts=max_alerts,
                group=group,
                stop=stop,
                on_undecodable=undecodable,
            )

        try:
            run_until_signalled(main)
        except (KafkaError, TopicAdminError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
