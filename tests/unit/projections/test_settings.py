"""Warehouse settings from the environment and from a server URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from projections.settings import (
    EmbeddedSettings,
    Secret,
    ServerSettings,
    parse_clickhouse_url,
    settings_from_env,
)


def test_embedded_is_the_default() -> None:
    assert settings_from_env({}) == EmbeddedSettings()
    chosen = settings_from_env({"CL_CHDB_PATH": "/data/chdb", "CL_WAREHOUSE_DATABASE": "ledger_test"})
    assert chosen == EmbeddedSettings(data_dir=Path("/data/chdb"), database="ledger_test")


def test_a_server_url_selects_the_server_with_tls_and_credentials() -> None:
    chosen = settings_from_env({"CL_CLICKHOUSE_URL": "https://an%40lyst:s3cr%2Ft@ch.example.com:9443/ledger"})
    assert isinstance(chosen, ServerSettings)
    assert (chosen.host, chosen.port) == ("ch.example.com", 9443)
    assert (chosen.user, chosen.database) == ("an@lyst", "ledger")
    assert chosen.secure and chosen.password.value == "s3cr/t"
    assert "s3cr" not in repr(chosen)


def test_server_defaults() -> None:
    plain = parse_clickhouse_url("http://localhost")
    assert (plain.effective_port, plain.user, plain.secure) == (8123, "default", False)
    assert plain.database == "channel_ledger"
    tls = parse_clickhouse_url("http://h/db?secure=true&verify=false")
    assert tls.secure and not tls.verify_tls and tls.effective_port == 8443


@pytest.mark.parametrize("url", ["ftp://h/db", "http:///db", "http://h/bad-name"])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_clickhouse_url(url)


def test_secrets_do_not_print() -> None:
    assert str(Secret("hunter2")) == "Secret('***')"
