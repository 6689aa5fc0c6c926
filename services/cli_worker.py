"""`channel-ledger worker`: a streaming worker (intake, partner and customer agents) on Kafka.

Start as many as the partitions allow; they share the work through the consumer group and take
over each other's partitions (and table state, from the changelog topics) when one stops.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

Store = Literal["rocksdb", "memory"]


def worker_command(
    bootstrap: Annotated[
        str | None, typer.Option("--bootstrap", help="Kafka bootstrap host:port (or $CL_KAFKA_BOOTSTRAP).")
    ] = None,
    topic_prefix: Annotated[
        str | None, typer.Option("--topic-prefix", help="Prefix of every topic name (or $CL_TOPIC_PREFIX).")
    ] = None,
    store: Annotated[
        str, typer.Option("--store", help="Local table store: rocksdb (production) or memory.")
    ] = "rocksdb",
    datadir: Annotated[Path, typer.Option("--datadir", help="Folder for the worker's local state.")] = Path(
        ".channel-ledger/worker"
    ),
    programs: Annotated[
        Path | None, typer.Option("--programs", help="Directory of program files (default: deploy/programs).")
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option("--metrics-port", help="Serve /health and /metrics on this port.")
    ] = None,
    batch_max: Annotated[int, typer.Option("--batch-max", help="Events per agent batch, at most.")] = 2000,
    batch_within: Annotated[
        float,
        typer.Option(
            "--batch-within",
            help="Seconds an agent waits to fill a batch: longer batches mean fewer state writes "
            "(throughput), shorter ones lower latency.",
        ),
    ] = 0.2,
    loglevel: Annotated[str, typer.Option("--faust-loglevel", help="Faust's own log level.")] = "warn",
) -> None:
    """Run a streaming worker until SIGTERM/SIGINT."""
    import asyncio

    from faust.worker import Worker

    from processors.pipeline import DEFAULT_PROGRAMS_DIR, CoreConfig
    from processors.streaming.app import Hooks, changelog_specs, create_app
    from processors.streaming.settings import StreamSettings
    from schemas.topics import STREAMING_TOPICS
    from services import metrics
    from services.gc_tuning import tune_for_processing
    from services.kafka_settings import KafkaSettings
    from services.topic_admin import ensure_topics

    if store not in ("rocksdb", "memory"):
        raise typer.BadParameter("rocksdb or memory", param_hint="--store")
    kafka = KafkaSettings.from_env().with_overrides(bootstrap=bootstrap, topic_prefix=topic_prefix)
    settings = StreamSettings(
        bootstrap=kafka.bootstrap,
        topic_prefix=kafka.topic_prefix,
        store="rocksdb" if store == "rocksdb" else "memory",
        datadir=datadir,
        batch_max=batch_max,
        batch_within_s=batch_within,
    )
    asyncio.run(ensure_topics(kafka, (*STREAMING_TOPICS, *changelog_specs(settings))))
    core = CoreConfig.from_programs_dir(programs or DEFAULT_PROGRAMS_DIR)
    hooks = Hooks(
        on_input=metrics.observe_input,
        on_dead_letter=metrics.observe_dead_letter,
        on_output=metrics.observe_output,
    )
    app = create_app(settings, core, hooks)
    if metrics_port is not None:
        port = metrics_port

        async def serve_metrics() -> None:
            await metrics.start_metrics_server(port)

        app.task(serve_metrics)

    worker = Worker(app, loglevel=loglevel, quiet=True)
    # Faust's startup spinner sets the root logger to DEBUG (so it can spin on every record):
    # every debug call in Faust and aiokafka then builds a record that is thrown away, which
    # cost a tenth of the worker's CPU. No spinner, and the levels set above hold.
    worker.spinner = None
    tune_for_processing()
    worker.execute_from_commandline()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)
