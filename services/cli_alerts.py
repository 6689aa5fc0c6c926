"""``channel-ledger alerts tail|ack|resolve``: follow conflict alerts and answer them.

``tail`` prints one table row per alert (severity coloured) or, with ``--json``, one JSON object
per line in the project's JSON form (``schemas.jsonform``), ready for ``jq`` or a script. The
consuming side is ``services.alerts_tail``, written to be read as the example for alert
consumers. ``ack`` and ``resolve`` send the lifecycle event for an alert found on the topic
(``services.alert_answers``); the worker answers with the alert's next revision.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli_streaming import (
    BootstrapOption,
    TopicPrefixOption,
    kafka_settings,
    parse_time,
    run_until_signalled,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from rich.console import Console

    from schemas.events import AlertAcknowledged, AlertResolved
    from schemas.outputs import ConflictAlert
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


AlertIdArgument = Annotated[str, typer.Argument(help="The alert id, or its first 8+ characters.")]
AtOption = Annotated[str | None, typer.Option("--at", help="When, ISO-8601 with a zone (default: now).")]
AnswerJsonOption = Annotated[bool, typer.Option("--json", help="Print the event sent as JSON.")]


def _send_answer(
    bootstrap: str | None,
    topic_prefix: str | None,
    alert_id: str,
    by: str,
    at: str | None,
    as_json: bool,
    build: Callable[[ConflictAlert, datetime], AlertAcknowledged | AlertResolved],
) -> None:
    """Find the alert, send the event ``build(alert, when)`` makes of it to the lifecycle topic,
    report it. ``when`` is ``--at`` (or now) to the millisecond the event schema keeps, so the
    derived event id is the one that is sent."""
    import asyncio
    import json

    from aiokafka.errors import KafkaError

    from schemas.jsonform import to_json
    from services.alert_answers import AlertLookupError, find_alert
    from services.produce import ProduceError, produce_records
    from services.topic_admin import TopicAdminError

    if not by.strip():
        raise typer.BadParameter("--by must name someone")
    when = parse_time(at)
    when = when.replace(microsecond=when.microsecond // 1000 * 1000)
    settings = kafka_settings(bootstrap, topic_prefix)

    async def main() -> tuple[ConflictAlert, AlertAcknowledged | AlertResolved]:
        alert = await find_alert(settings, alert_id)
        event = build(alert, when)
        await produce_records(settings, [event], by_stream=True)
        return alert, event

    try:
        alert, event = asyncio.run(main())
    except (AlertLookupError, ValueError) as error:  # ValueError: no customer or partner to address
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    except (KafkaError, ProduceError, TopicAdminError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(json.dumps(to_json(event), ensure_ascii=False) + "\n")
        return
    target = f"partner {event.partner_id}" if event.partner_id else f"customer {event.customer_id}"
    typer.echo(
        f"sent {event.event_type} {event.event_id} for alert {alert.alert_id} "
        f"({alert.rule_id.value}, revision {alert.revision}, {alert.status.value}) to the {target} "
        "processor; the worker publishes the next revision"
    )


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

    @alerts.command("ack")
    def ack(
        alert_id: AlertIdArgument,
        by: Annotated[str, typer.Option("--by", help="Who acknowledges (a person or a team).")],
        at: AtOption = None,
        as_json: AnswerJsonOption = False,
        bootstrap: BootstrapOption = None,
        topic_prefix: TopicPrefixOption = None,
    ) -> None:
        """Acknowledge an alert: OPEN -> ACKNOWLEDGED (sent as an AlertAcknowledged event)."""
        from services.alert_answers import acknowledgement

        _send_answer(
            bootstrap,
            topic_prefix,
            alert_id,
            by,
            at,
            as_json,
            lambda alert, when: acknowledgement(alert, by=by, at=when),
        )

    @alerts.command("resolve")
    def resolve(
        alert_id: AlertIdArgument,
        by: Annotated[str, typer.Option("--by", help="Who resolves it.")],
        resolution: Annotated[str, typer.Option("--resolution", help="What was decided or done.")],
        at: AtOption = None,
        as_json: AnswerJsonOption = False,
        bootstrap: BootstrapOption = None,
        topic_prefix: TopicPrefixOption = None,
    ) -> None:
        """Resolve an alert (sent as an AlertResolved event); new evidence later reopens it."""
        from services.alert_answers import resolution as resolution_of

        _send_answer(
            bootstrap,
            topic_prefix,
            alert_id,
            by,
            at,
            as_json,
            lambda alert, when: resolution_of(alert, by=by, resolution=resolution, at=when),
        )
