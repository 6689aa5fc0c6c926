"""Where Kafka is and how to talk to it: one frozen settings object for every streaming service.

Read once from the environment at the entry point (``KafkaSettings.from_env``), overridden by
command-line options (``with_overrides``), then passed down; nothing reads the environment
after that. Secrets (SASL password, TLS key password) are ``Secret`` values, which print as
``***`` so a settings object can go into a log line or a traceback safely.

The topic prefix lets deployments and test runs share one broker: every topic and consumer
group name is prefixed (``topic``, ``group``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal, cast, get_args

from projections.settings import Secret
from schemas.topics import TopicSpec

__all__ = ["KafkaSettings", "KafkaSettingsError", "SaslMechanism", "Secret", "SecurityProtocol"]

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

DEFAULT_BOOTSTRAP: Final = "localhost:9092"
DEFAULT_CLIENT_ID: Final = "channel-ledger"

ENV_BOOTSTRAP: Final = "CL_KAFKA_BOOTSTRAP"
ENV_TOPIC_PREFIX: Final = "CL_TOPIC_PREFIX"
ENV_CLIENT_ID: Final = "CL_KAFKA_CLIENT_ID"
ENV_SECURITY_PROTOCOL: Final = "CL_KAFKA_SECURITY_PROTOCOL"
ENV_SASL_MECHANISM: Final = "CL_KAFKA_SASL_MECHANISM"
ENV_SASL_USERNAME: Final = "CL_KAFKA_SASL_USERNAME"
ENV_SASL_PASSWORD: Final = "CL_KAFKA_SASL_PASSWORD"
ENV_SSL_CAFILE: Final = "CL_KAFKA_SSL_CAFILE"
ENV_SSL_CERTFILE: Final = "CL_KAFKA_SSL_CERTFILE"
ENV_SSL_KEYFILE: Final = "CL_KAFKA_SSL_KEYFILE"
ENV_SSL_KEY_PASSWORD: Final = "CL_KAFKA_SSL_KEY_PASSWORD"
ENV_REPLICATION_FACTOR: Final = "CL_KAFKA_REPLICATION_FACTOR"

_TOPIC_CHARS = re.compile(r"^[A-Za-z0-9._-]*$")
_MAX_PREFIX_CHARS = 100
"""Kafka topic names are at most 249 characters; our base names are under 30."""


class KafkaSettingsError(ValueError):
    """A setting that cannot work, named by its environment variable or option."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaSettings:
    """Broker address, naming, and the (optional) TLS/SASL security of every Kafka client."""

    bootstrap: str = DEFAULT_BOOTSTRAP
    """Comma-separated ``host:port`` list."""
    topic_prefix: str = ""
    client_id: str = DEFAULT_CLIENT_ID
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: Secret | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_key_password: Secret | None = None
    replication_factor: int = 1
    """For topics this deployment creates; 3 on a production cluster."""

    def __post_init__(self) -> None:
        if not self.bootstrap_servers:
            raise KafkaSettingsError(f"{ENV_BOOTSTRAP} / --bootstrap names no broker: {self.bootstrap!r}")
        for server in self.bootstrap_servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit():
                raise KafkaSettingsError(f"bootstrap server {server!r} is not host:port")
        if not _TOPIC_CHARS.fullmatch(self.topic_prefix) or len(self.topic_prefix) > _MAX_PREFIX_CHARS:
            raise KafkaSettingsError(
                f"{ENV_TOPIC_PREFIX} / --topic-prefix {self.topic_prefix!r} may only hold letters, digits, "
                f"'.', '_' and '-' (at most {_MAX_PREFIX_CHARS})"
            )
        if not self.client_id.strip():
            raise KafkaSettingsError(f"{ENV_CLIENT_ID} / --client-id is blank")
        if self.security_protocol not in get_args(SecurityProtocol):
            raise KafkaSettingsError(
                f"{ENV_SECURITY_PROTOCOL} must be one of {', '.join(get_args(SecurityProtocol))}, "
                f"not {self.security_protocol!r}"
            )
        if self.uses_sasl:
            if self.sasl_mechanism not in get_args(SaslMechanism):
                raise KafkaSettingsError(
                    f"{self.security_protocol} needs {ENV_SASL_MECHANISM}, one of "
                    f"{', '.join(get_args(SaslMechanism))} (got {self.sasl_mechanism!r})"
                )
            if not self.sasl_username or self.sasl_password is None or not self.sasl_password.value:
                raise KafkaSettingsError(
                    f"{self.security_protocol} needs {ENV_SASL_USERNAME} and {ENV_SASL_PASSWORD}"
                )
        if self.replication_factor < 1:
            raise KafkaSettingsError(f"{ENV_REPLICATION_FACTOR} must be at least 1")

    @property
    def bootstrap_servers(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.bootstrap.split(",") if part.strip())

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def topic(self, spec: TopicSpec) -> str:
        """The full name of a catalog topic in this deployment."""
        return spec.full_name(self.topic_prefix)

    def group(self, name: str) -> str:
        """A consumer group name in this deployment (groups are shared broker state too)."""
        return f"{self.topic_prefix}{name}"

    def client_options(self) -> dict[str, object]:
        """Keyword arguments common to aiokafka producers, consumers and admin clients."""
        options: dict[str, object] = {
            "bootstrap_servers": ",".join(self.bootstrap_servers),
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
        }
        if self.uses_tls:
            from aiokafka.helpers import create_ssl_context

            key_password = self.ssl_key_password.value if self.ssl_key_password is not None else None
            options["ssl_context"] = create_ssl_context(
                cafile=self.ssl_cafile,
                certfile=self.ssl_certfile,
                keyfile=self.ssl_keyfile,
                password=key_password,
            )
        if self.uses_sasl:
            assert self.sasl_password is not None  # checked at construction
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.value
        return options

    def faust_broker(self) -> str:
        """The broker list in Faust's ``kafka://host:port;...`` form."""
        return ";".join(f"kafka://{server}" for server in self.bootstrap_servers)

    def with_overrides(
        self,
        *,
        bootstrap: str | None = None,
        topic_prefix: str | None = None,
        client_id: str | None = None,
    ) -> KafkaSettings:
        """These settings with the options a command line gave (``None`` keeps the value)."""
        return replace(
            self,
            bootstrap=self.bootstrap if bootstrap is None else bootstrap,
            topic_prefix=self.topic_prefix if topic_prefix is None else topic_prefix,
            client_id=self.client_id if client_id is None else client_id,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KafkaSettings:
        """Settings from ``CL_KAFKA_*`` / ``CL_TOPIC_PREFIX``; unset variables keep the defaults."""
        source = os.environ if env is None else env

        def text(name: str) -> str | None:
            value = source.get(name, "").strip()
            return value or None

        def path(name: str) -> Path | None:
            value = text(name)
            return None if value is None else Path(value)

        def secret(name: str) -> Secret | None:
            value = source.get(name, "")
            return Secret(value) if value else None

        replication = text(ENV_REPLICATION_FACTOR)
        if replication is not None and not replication.isdigit():
            raise KafkaSettingsError(f"{ENV_REPLICATION_FACTOR} must be a whole number, not {replication!r}")
        protocol = (text(ENV_SECURITY_PROTOCOL) or "PLAINTEXT").upper()
        mechanism = text(ENV_SASL_MECHANISM)
        return cls(
            bootstrap=text(ENV_BOOTSTRAP) or DEFAULT_BOOTSTRAP,
            topic_prefix=source.get(ENV_TOPIC_PREFIX, "").strip(),
            client_id=text(ENV_CLIENT_ID) or DEFAULT_CLIENT_ID,
            security_protocol=cast(SecurityProtocol, protocol),
            sasl_mechanism=cast(SaslMechanism, mechanism.upper()) if mechanism else None,
            sasl_username=text(ENV_SASL_USERNAME),
            sasl_password=secret(ENV_SASL_PASSWORD),
            ssl_cafile=path(ENV_SSL_CAFILE),
            ssl_certfile=path(ENV_SSL_CERTFILE),
            ssl_keyfile=path(ENV_SSL_KEYFILE),
            ssl_key_password=secret(ENV_SSL_KEY_PASSWORD),
            replication_factor=int(replication) if replication is not None else 1,
        )
