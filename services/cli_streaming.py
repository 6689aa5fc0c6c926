"""Pieces shared by the streaming commands: Kafka options over the environment, signal handling.

Every streaming command takes ``--bootstrap`` and ``--topic-prefix`` on top of
``CL_KAFKA_BOOTSTRAP`` / ``CL_TOPIC_PREFIX`` (see ``services.kafka_settings``), and stops
gracefully on SIGTERM or SIGINT: the signal sets an ``asyncio.Event`` the service watches,
so it can flush and commit before it exits.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from services.kafka_settings import KafkaSettings

T = TypeVar("T")

BootstrapOption = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        help="Kafka bootstrap servers, host:port[,...] (default $CL_KAFKA_BOOTSTRAP or localhost:9092).",
        show_default=False,
    ),
]
TopicPrefixOption = Annotated[
    str | None,
    typer.Option(
        "--topic-prefix",
        help="Prefix of every topic and consumer group name (default $CL_TOPIC_PREFIX or none).",
        show_default=False,
    ),
]


def parse_time(text: str | None) -> datetime:
    """An ISO-8601 time with a zone from the command line, or now when none is given (an
    interface, not the core: "now" is the operator's now)."""
    if text is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO-8601 time") from None
    if parsed.utcoffset() is None:
        raise typer.BadParameter(f"{text!r} has no time zone; add Z or +00:00")
    return parsed


def kafka_settings(bootstrap: str | None, topic_prefix: str | None) -> KafkaSettings:
    """The environment's Kafka settings with the command line's overrides; bad values exit 2."""
    from services.kafka_settings import KafkaSettings, KafkaSettingsError

    try:
        return KafkaSettings.from_env().with_overrides(bootstrap=bootstrap, topic_prefix=topic_prefix)
    except KafkaSettingsError as error:
        raise typer.BadParameter(str(error)) from None


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``main(stop)`` on a new event loop; SIGTERM and SIGINT set ``stop`` (a second one
    of either restores the default handler, so an impatient operator can still kill it)."""

    async def runner() -> T:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        signals = (signal.SIGTERM, signal.SIGINT)

        def on_signal(signum: signal.Signals) -> None:
            stop.set()
            loop.remove_signal_handler(signum)

        for signum in signals:
            loop.add_signal_handler(signum, on_signal, signum)
        try:
            return await main(stop)
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)

    return asyncio.run(runner())
