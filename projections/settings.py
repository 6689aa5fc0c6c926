"""Where the warehouse lives: an embedded chDB data directory or a ClickHouse server.

One frozen settings object per deployment, chosen from the environment at the entry point
(``settings_from_env``) and passed down; nothing reads the environment after that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from projections.sql import check_identifier

DEFAULT_DATA_DIR = Path(".channel-ledger/chdb")
DEFAULT_DATABASE = "channel_ledger"

ENV_CLICKHOUSE_URL = "CL_CLICKHOUSE_URL"
"""e.g. ``https://analyst:secret@ch.example.com:8443/channel_ledger``; selects the server adapter."""
ENV_CHDB_PATH = "CL_CHDB_PATH"
"""Data directory of the embedded engine (default ``.channel-ledger/chdb``)."""
ENV_DATABASE = "CL_WAREHOUSE_DATABASE"
"""Database name for the embedded engine (the server takes it from the URL path)."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A string that does not print itself: settings objects end up in logs and tracebacks."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')" if self.value else "Secret('')"

    def __str__(self) -> str:
        return repr(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class EmbeddedSettings:
    """chDB in this process, its data on disk under ``data_dir``."""

    data_dir: Path = DEFAULT_DATA_DIR
    database: str = DEFAULT_DATABASE

    def __post_init__(self) -> None:
        check_identifier(self.database)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSettings:
    """A ClickHouse server reached over HTTP(S) through clickhouse-connect."""

    host: str = "localhost"
    port: int | None = None
    user: str = "default"
    password: Secret = Secret("")
    database: str = DEFAULT_DATABASE
    secure: bool = False
    verify_tls: bool = True
    connect_timeout_s: float = 10.0
    send_receive_timeout_s: float = 300.0

    def __post_init__(self) -> None:
        check_identifier(self.database)

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 8443 if self.secure else 8123


WarehouseSettings = EmbeddedSettings | ServerSettings


def parse_clickhouse_url(url: str) -> ServerSettings:
    """``http[s]://user:password@host:port/database?verify=false`` into ``ServerSettings``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "clickhouse", "clickhouses"):
        raise ValueError(f"{ENV_CLICKHOUSE_URL} must start with http:// or https://, got {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError(f"{ENV_CLICKHOUSE_URL} names no host: {url!r}")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    secure = parts.scheme in ("https", "clickhouses") or options.get("secure", "").lower() in ("1", "true")
    database = unquote(parts.path.lstrip("/")) or DEFAULT_DATABASE
    return ServerSettings(
        host=parts.hostname,
        port=parts.port,
        user=unquote(parts.username) if parts.username else "default",
        password=Secret(unquote(parts.password) if parts.password else ""),
        database=database,
        secure=secure,
        verify_tls=options.get("verify", "true").lower() not in ("0", "false"),
    )


def settings_from_env(env: Mapping[str, str] | None = None) -> WarehouseSettings:
    """The server when ``CL_CLICKHOUSE_URL`` is set, else the embedded engine."""
    source = os.environ if env is None else env
    url = source.get(ENV_CLICKHOUSE_URL, "").strip()
    if url:
        return parse_clickhouse_url(url)
    return EmbeddedSettings(
        data_dir=Path(source.get(ENV_CHDB_PATH) or DEFAULT_DATA_DIR),
        database=source.get(ENV_DATABASE) or DEFAULT_DATABASE,
    )
