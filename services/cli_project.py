"""``channel-ledger project``: the projector service, Kafka into the warehouse.

Runs until SIGTERM/SIGINT (then writes what it took and commits), or with ``--until-idle``
until it has caught up with every partition and nothing came for that many seconds. The
warehouse is chosen like the analyst commands choose it: ``--url`` / ``CL_CLICKHOUSE_URL`` for
a ClickHouse server, else the embedded chDB directory (``--data-dir`` / ``CL_CHDB_PATH``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from services.cli_query import DatabaseOption, DataDirOption, UrlOption, resolve_settings
from services.cli_streaming import BootstrapOption, TopicPrefixOption, kafka_settings, run_until_signalled


def register(app: typer.Typer) -> None:
    @app.command("project")
    def project(
        until_idle: Annotated[
            float | None,
            typer.Option(
                "--until-idle",
                min=0,
                metavar="SECONDS",
                help="Exit once caught up and no record came for this long (tests, demos).",
            ),
        ] = None,
        group: Annotated[str, typer.Option("--group", help="Consumer group (prefixed).")] = "cl-projector",
        rebuild: Annotated[
            bool,
            typer.Option(
                "--rebuild",
                help="Drop every projection and re-project the topics from the beginning (a fresh group).",
            ),
        ] = False,
        batch_rows: Annotated[int, typer.Option(min=1, help="Rows per warehouse insert at most.")] = 50_000,
        batch_age_s: Annotated[
            float, typer.Option(min=0.01, help="Longest a row waits before its batch is written.")
        ] = 2.0,
        metrics_port: Annotated[
            int | None,
            typer.Option(
                "--metrics-port", envvar="CL_PROJECTOR_METRICS_PORT", help="Serve /health and /metrics here."
            ),
        ] = None,
        metrics_host: Annotated[
            str, typer.Option("--metrics-host", help="Address the metrics endpoint binds.")
        ] = "0.0.0.0",
        data_dir: DataDirOption = None,
        url: UrlOption = None,
        database: DatabaseOption = None,
        bootstrap: BootstrapOption = None,
        topic_prefix: TopicPrefixOption = None,
    ) -> None:
        """Project the pipeline's topics into the warehouse, committing offsets after each write."""
        import asyncio

        from aiokafka.errors import KafkaError

        from projections.warehouse import WarehouseError, open_warehouse
        from projections.writer import BatchLimits, ProjectionError, WarehouseUnavailableError
        from services.metrics import Health, default_metrics, start_metrics_server
        from services.projector_service import ProjectorOptions, ProjectorReport, ProjectorService
        from services.topic_admin import TopicAdminError

        settings = kafka_settings(bootstrap, topic_prefix)
        warehouse_settings = resolve_settings(data_dir, url, database)
        if rebuild:
            # The topics are the event log: a group with no offsets reads them from the start
            # into an emptied warehouse. The name is new per rebuild, so it never resumes.
            import time

            with open_warehouse(warehouse_settings) as warehouse:
                warehouse.reset()
                warehouse.migrate()
            group = f"{group}.rebuild-{time.time_ns()}"
            typer.echo(f"rebuilding {warehouse_settings.database} from the start as group {group}", err=True)
        options = ProjectorOptions(
            group=group,
            limits=BatchLimits(max_rows=batch_rows, max_age_s=batch_age_s),
            until_idle_s=until_idle,
        )
        health = Health(component="projector")
        service = ProjectorService(
            settings,
            lambda: open_warehouse(warehouse_settings),
            options,
            metrics=default_metrics(),
            health=health,
        )

        async def main(stop: asyncio.Event) -> ProjectorReport:
            server = None
            if metrics_port is not None:
                server = await start_metrics_server(
                    metrics_port, host=metrics_host, metrics=default_metrics(), health=health
                )
                typer.echo(f"metrics on http://{metrics_host}:{server.port}/metrics", err=True)
            try:
                return await service.run(stop)
            finally:
                if server is not None:
                    await server.stop()

        try:
            report = run_until_signalled(main)
        except (WarehouseUnavailableError, ProjectionError, WarehouseError) as error:
            typer.echo(f"error: warehouse: {error}", err=True)
            raise typer.Exit(1) from None
        except (KafkaError, TopicAdminError, OSError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"projected {report.records:,} record(s) into {report.rows_written:,} row(s) in "
            f"{report.seconds:.1f} s; {report.commits} commit(s)"
            + (f"; {report.undecodable} undecodable stored as dead letters" if report.undecodable else "")
        )
