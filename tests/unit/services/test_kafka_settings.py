"""Kafka settings: environment, overrides, validation, and secrets that never print."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog

from schemas.topics import CONFLICT_ALERTS, INGRESS
from services.kafka_settings import KafkaSettings, KafkaSettingsError, Secret

SASL_ENV = {
    "CL_KAFKA_BOOTSTRAP": "k1.example.com:9093, k2.example.com:9093",
    "CL_TOPIC_PREFIX": "prod.",
    "CL_KAFKA_CLIENT_ID": "ledger-eu",
    "CL_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
    "CL_KAFKA_SASL_MECHANISM": "scram-sha-512",
    "CL_KAFKA_SASL_USERNAME": "ledger",
    "CL_KAFKA_SASL_PASSWORD": "hunter2-very-secret",
    "CL_KAFKA_SSL_KEY_PASSWORD": "key-secret-42",
    "CL_KAFKA_SSL_CAFILE": "/etc/kafka/ca.pem",
    "CL_KAFKA_REPLICATION_FACTOR": "3",
}


def test_defaults_without_environment() -> None:
    settings = KafkaSettings.from_env({})
    assert settings == KafkaSettings()
    assert settings.bootstrap_servers == ("localhost:9092",)
    assert (settings.topic_prefix, settings.client_id, settings.security_protocol) == (
        "",
        "channel-ledger",
        "PLAINTEXT",
    )
    assert settings.topic(INGRESS) == "cl.ingress"
    assert settings.group("cl-projector") == "cl-projector"


def test_environment_is_read_whole() -> None:
    settings = KafkaSettings.from_env(SASL_ENV)
    assert settings.bootstrap_servers == ("k1.example.com:9093", "k2.example.com:9093")
    assert settings.topic(CONFLICT_ALERTS) == "prod.cl.conflict-alerts"
    assert settings.group("cl-projector") == "prod.cl-projector"
    assert settings.security_protocol == "SASL_SSL" and settings.sasl_mechanism == "SCRAM-SHA-512"
    assert settings.sasl_password == Secret("hunter2-very-secret")
    assert settings.ssl_cafile == Path("/etc/kafka/ca.pem")
    assert settings.replication_factor == 3
    assert settings.uses_sasl and settings.uses_tls
    assert settings.faust_broker() == "kafka://k1.example.com:9093;kafka://k2.example.com:9093"


def test_command_line_overrides_win_and_none_keeps_the_environment() -> None:
    base = KafkaSettings.from_env({"CL_KAFKA_BOOTSTRAP": "env:9092", "CL_TOPIC_PREFIX": "env-"})
    assert base.with_overrides() == base
    changed = base.with_overrides(bootstrap="cli:9092", topic_prefix="")
    assert (changed.bootstrap, changed.topic_prefix) == ("cli:9092", "")
    assert base.with_overrides(topic_prefix="t1-").bootstrap == "env:9092"


def test_secrets_never_print() -> None:
    settings = KafkaSettings.from_env(SASL_ENV)
    for text in (repr(settings), str(settings), f"{settings}", f"{settings.sasl_password}"):
        assert "hunter2" not in text
        assert "key-secret-42" not in text
    assert "***" in repr(settings)


def test_secrets_stay_out_of_structured_logs(capsys: pytest.CaptureFixture[str]) -> None:
    settings = KafkaSettings.from_env(SASL_ENV)
    logger = structlog.wrap_logger(
        structlog.PrintLogger(), processors=[structlog.processors.JSONRenderer(default=repr)]
    )
    logger.info("starting", settings=settings)
    logging.getLogger("test").warning("settings %s", settings)
    captured = capsys.readouterr()
    assert "starting" in captured.out
    assert "hunter2" not in captured.out + captured.err


def test_client_options_carry_the_secret_value_only_to_the_client() -> None:
    settings = KafkaSettings(
        bootstrap="b:9092",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="u",
        sasl_password=Secret("p4ss"),
    )
    options = settings.client_options()
    assert options["bootstrap_servers"] == "b:9092"
    assert options["sasl_plain_password"] == "p4ss"
    assert options["sasl_mechanism"] == "PLAIN"
    assert "ssl_context" not in options
    plain = KafkaSettings().client_options()
    assert set(plain) == {"bootstrap_servers", "client_id", "security_protocol"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CL_KAFKA_BOOTSTRAP": " , "}, "names no broker"),
        ({"CL_KAFKA_BOOTSTRAP": "no-port"}, "not host:port"),
        ({"CL_TOPIC_PREFIX": "bad prefix/"}, "CL_TOPIC_PREFIX"),
        ({"CL_KAFKA_SECURITY_PROTOCOL": "TLS"}, "must be one of"),
        ({"CL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "CL_KAFKA_SASL_MECHANISM"),
        (
            {"CL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "CL_KAFKA_SASL_MECHANISM": "PLAIN"},
            "CL_KAFKA_SASL_PASSWORD",
        ),
        ({"CL_KAFKA_REPLICATION_FACTOR": "three"}, "whole number"),
        ({"CL_KAFKA_REPLICATION_FACTOR": "0"}, "at least 1"),
    ],
)
def test_bad_settings_are_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(KafkaSettingsError, match=message):
        KafkaSettings.from_env(env)


def test_settings_are_frozen() -> None:
    settings = KafkaSettings()
    with pytest.raises(AttributeError):
        settings.bootstrap = "elsewhere:9092"  # type: ignore[misc]
