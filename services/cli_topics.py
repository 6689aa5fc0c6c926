"""``channel-ledger topics list|create``: the topic catalog, and creating it on a broker.

``list`` prints the catalog (``schemas.topics``) with the names this deployment's prefix gives
them; it needs no broker. ``create`` creates the missing topics and checks the existing ones,
exiting 1 when one differs from the catalog (see ``services.topic_admin``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli_streaming import BootstrapOption, TopicPrefixOption, kafka_settings


def _retention(ms: int) -> str:
    if ms < 0:
        return "forever"
    days, rest = divmod(ms, 86_400_000)
    return f"{days} d" if not rest else f"{ms} ms"


def register(app: typer.Typer) -> None:
    topics = typer.Typer(
        help="The Kafka topic catalog: list it, create it on a broker.", no_args_is_help=True
    )
    app.add_typer(topics, name="topics")

    @topics.command("list")
    def list_topics(
        topic_prefix: TopicPrefixOption = None,
        names_only: Annotated[bool, typer.Option("--names", help="Print only the full topic names.")] = False,
    ) -> None:
        """Show every topic the pipeline uses: role, partitions, key, cleanup, retention."""
        from rich.console import Console
        from rich.table import Table

        from schemas.topics import STREAMING_TOPICS

        settings = kafka_settings(None, topic_prefix)
        if names_only:
            for spec in STREAMING_TOPICS:
                typer.echo(settings.topic(spec))
            return
        table = Table(title="Channel Ledger topics", title_justify="left")
        for column in ("topic", "role", "partitions", "key", "cleanup", "retention", "carries"):
            table.add_column(column, justify="right" if column == "partitions" else "left")
        for spec in STREAMING_TOPICS:
            key = (
                spec.key_field
                if spec.fallback_key_field is None
                else f"{spec.key_field} | {spec.fallback_key_field}"
            )
            carries = ", ".join(spec.value_types) if len(spec.value_types) <= 5 else "every input event type"
            table.add_row(
                settings.topic(spec),
                spec.role.value,
                str(spec.partitions),
                key,
                spec.cleanup_policy.value,
                _retention(spec.retention_ms),
                carries,
            )
        Console(width=150 if not Console().is_terminal else None).print(table)

    @topics.command("create")
    def create_topics(bootstrap: BootstrapOption = None, topic_prefix: TopicPrefixOption = None) -> None:
        """Create the missing catalog topics (idempotent) and check the existing ones."""
        import asyncio

        from aiokafka.errors import KafkaError

        from services.topic_admin import TopicAdminError, ensure_topics

        settings = kafka_settings(bootstrap, topic_prefix)
        try:
            report = asyncio.run(ensure_topics(settings))
        except (KafkaError, TopicAdminError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        for name in report.created:
            typer.echo(f"created  {name}")
        for name in report.existing:
            typer.echo(f"exists   {name}")
        for mismatch in report.mismatches:
            typer.echo(f"DIFFERS  {mismatch}", err=True)
        if report.mismatches:
            raise typer.Exit(1)
