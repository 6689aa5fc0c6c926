"""structlog configured once, at the entry point: JSON lines in production, console in development.

'auto' picks the console renderer when stderr is a terminal and JSON otherwise, so a worker under
a supervisor logs machine-readable lines while a person at a shell reads plain text. Logs go to
stderr; stdout stays for command output (tables, JSON).
"""

from __future__ import annotations

import logging
import sys

import structlog


class _Stderr:
    """Writes to whatever ``sys.stderr`` is now, not the stream it was when logging was set up
    (test runners and embedding hosts swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(*, log_format: str = "auto", level: str = "info") -> None:
    if structlog.is_configured():
        return
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}")
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    if log_format not in ("auto", "json", "console"):
        raise ValueError(f"--log-format must be auto, json or console, not {log_format!r}")
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    # Libraries (aiokafka, faust) log through stdlib logging: keep them to warnings and above.
    logging.basicConfig(
        level=max(numeric_level, logging.WARNING),
        stream=sys.stderr,
        format="%(name)s %(levelname)s %(message)s",
    )


def record_logger(topic: str, partition: int, offset: int) -> structlog.stdlib.BoundLogger:
    """A logger bound to one Kafka record's position, for anything logged about that record."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger().bind(
        topic=topic, partition=partition, offset=offset
    )
    return logger
