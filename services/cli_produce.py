"""``channel-ledger produce FILE``: send a file of events to Kafka, in file order.

Every record is checked first (parsed, then the stateless contract rules); a bad one is
printed as ``FILE:LINE: REASON field: message`` and not sent, and the command exits 1 after
sending the rest. ``--send-invalid`` sends bad records on instead, raw, to the ingress topic,
so the pipeline dead-letters them (how tests mix invalid events into a stream).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from services.cli_streaming import BootstrapOption, TopicPrefixOption, kafka_settings, parse_time

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from services.kafka_settings import KafkaSettings
    from services.produce import FileFormat, FileItem, Outgoing, ProduceReport

MAX_PROBLEMS_SHOWN = 200
"""Problems printed one by one; past this only their count (a broken file can have millions)."""
_PROGRESS_EVERY = 2000

FormatChoice = Literal["auto", "jsonl", "json", "avro"]


@dataclass(slots=True)
class _Tally:
    records: int = 0
    refused: int = 0
    invalid_sent: int = 0
    problems_shown: int = 0


class _Run:
    """Turns checked file records into Kafka records, reporting and counting the bad ones."""

    def __init__(
        self,
        label: str,
        settings: KafkaSettings,
        *,
        numbered_by: Literal["line", "record"],
        by_stream: bool,
        send_invalid: bool,
        console: Console,
    ) -> None:
        self.label = label
        self.numbered_by = numbered_by
        self.settings = settings
        self.by_stream = by_stream
        self.send_invalid = send_invalid
        self.console = console
        self.tally = _Tally()

    def _report(self, item: FileItem) -> None:
        self.tally.problems_shown += 1
        if self.tally.problems_shown > MAX_PROBLEMS_SHOWN:
            return
        where = f"record {item.location}" if self.numbered_by == "record" else str(item.location)
        suffix = " (sent for dead-lettering)" if self.send_invalid else ""
        for problem in item.problems:
            self.console.print(
                f"{self.label}:{where}: {problem}{suffix}", markup=False, highlight=False, soft_wrap=True
            )

    def messages(
        self, items: Iterator[FileItem], progress: Progress | None, task: TaskID | None
    ) -> Iterator[Outgoing]:
        from schemas.topics import INGRESS
        from services.produce import Outgoing, route

        done_bytes = 0
        for item in items:
            self.tally.records += 1
            done_bytes += item.size
            if progress is not None and task is not None and self.tally.records % _PROGRESS_EVERY == 0:
                progress.update(task, completed=done_bytes, events=self.tally.records)
            if item.valid:
                assert item.event is not None and item.encoded is not None
                topic, key = route(item.event, self.settings, by_stream=self.by_stream)
                yield Outgoing(topic, key, item.encoded)
                continue
            self._report(item)
            if not self.send_invalid:
                self.tally.refused += 1
                continue
            self.tally.invalid_sent += 1
            invalid_key = _key_or_none(item)
            value = item.encoded if item.encoded is not None else item.original
            yield Outgoing(self.settings.topic(INGRESS), invalid_key, value)
        if progress is not None and task is not None:
            progress.update(task, completed=done_bytes, events=self.tally.records)


def _key_or_none(item: FileItem) -> bytes | None:
    """An invalid record's ingress key when it has one (only order matters on one partition)."""
    from services.produce import ingress_key

    if item.event is None:
        return None
    try:
        return ingress_key(item.event).encode()
    except ValueError:  # the very field the key comes from is what is invalid
        return None


def _summary(report: ProduceReport, tally: _Tally) -> str:
    topics = ", ".join(f"{name} {count:,}" for name, count in sorted(report.by_topic.items()))
    lines = [
        f"sent {report.sent:,} record(s) in {report.seconds:.2f} s ({report.events_per_s:,.0f} events/s)"
        + (f": {topics}" if topics else "")
    ]
    if tally.invalid_sent:
        lines.append(f"{tally.invalid_sent:,} of them invalid, sent to the ingress topic for dead-lettering")
    if tally.refused:
        lines.append(f"{tally.refused:,} invalid record(s) not sent (--send-invalid sends them on)")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command("produce")
    def produce(
        file: Annotated[
            Path,
            typer.Argument(
                help="Events as JSONL (or a JSON array), or length-prefixed single-object Avro.",
                exists=True,
                dir_okay=False,
                readable=True,
            ),
        ],
        by_stream: Annotated[
            bool,
            typer.Option(
                "--by-stream", help="Send each event to its per-stream input topic instead of the ingress."
            ),
        ] = False,
        send_invalid: Annotated[
            bool,
            typer.Option(
                "--send-invalid", help="Send invalid records raw to the ingress topic (to be dead-lettered)."
            ),
        ] = False,
        file_format: Annotated[
            str, typer.Option("--format", help="auto, jsonl, json or avro (auto looks at the content).")
        ] = "auto",
        reference_time: Annotated[
            str | None,
            typer.Option(help="ISO-8601 time the future-timestamp rule compares with (default: now)."),
        ] = None,
        max_future_skew_s: Annotated[
            float, typer.Option(min=0, help="How far after the reference time an occurred_at may be.")
        ] = 300.0,
        rate: Annotated[
            float | None,
            typer.Option("--rate", min=1, help="Send at most this many events per second (steady load)."),
        ] = None,
        create_topics: Annotated[
            bool, typer.Option(help="Create the ingress and input topics first when missing.")
        ] = True,
        bootstrap: BootstrapOption = None,
        topic_prefix: TopicPrefixOption = None,
    ) -> None:
        """Send a file of events to Kafka in file order: to the ordered ingress topic, or by stream."""
        import asyncio

        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        from schemas.topics import INGRESS, INPUT_TOPICS
        from services.datagen.writers import FramingError
        from services.produce import ProduceError, detect_format, read_event_file, send_messages
        from services.topic_admin import TopicAdminError, ensure_topics

        if file_format not in ("auto", "jsonl", "json", "avro"):
            raise typer.BadParameter(f"--format must be auto, jsonl, json or avro, not {file_format!r}")
        settings = kafka_settings(bootstrap, topic_prefix)
        now = parse_time(reference_time)
        chosen = detect_format(file) if file_format == "auto" else cast("FileFormat", file_format)
        items = read_event_file(
            file, reference_time=now, max_future_skew=timedelta(seconds=max_future_skew_s), file_format=chosen
        )
        console = Console(stderr=True)
        run = _Run(
            str(file),
            settings,
            numbered_by="record" if chosen == "avro" else "line",
            by_stream=by_stream,
            send_invalid=send_invalid,
            console=console,
        )
        progress = Progress(
            TextColumn("producing"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[events]:,} events"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )

        async def send() -> ProduceReport:
            if create_topics:
                await ensure_topics(settings, (INGRESS, *INPUT_TOPICS))
            with progress:
                task = progress.add_task("produce", total=file.stat().st_size, events=0)
                return await send_messages(settings, run.messages(items, progress, task), rate_per_s=rate)

        try:
            report = asyncio.run(send())
        except (OSError, UnicodeDecodeError, FramingError) as error:
            typer.echo(f"{file}: cannot read: {error}", err=True)
            raise typer.Exit(2) from None
        except (ProduceError, TopicAdminError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        if run.tally.problems_shown > MAX_PROBLEMS_SHOWN:
            typer.echo(
                f"{file}: {run.tally.problems_shown - MAX_PROBLEMS_SHOWN:,} more invalid record(s) unlisted",
                err=True,
            )
        typer.echo(_summary(report, run.tally))
        if run.tally.refused:
            raise typer.Exit(1)
