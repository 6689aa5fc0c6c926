"""The server adapter: a ClickHouse server over HTTP(S) through clickhouse-connect.

It runs exactly the SQL the embedded adapter runs. Results are fetched as Arrow and
converted by the shared ``result_from_arrow``; inserts send Arrow with the same settings
(``insert_deduplication_token``) as chDB's; read-only queries carry ``readonly=1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import clickhouse_connect
import pyarrow as pa

from projections.settings import ServerSettings
from projections.sql import check_identifier
from projections.warehouse import ParamValue, Warehouse, WarehouseError, format_param

Settings = dict[str, str | int]


class ClickHouseClient(Protocol):
    """The part of clickhouse-connect's client this adapter uses (a test can pass a fake)."""

    database: str | None

    def command(self, cmd: str, *, settings: Settings | None = None) -> object: ...

    def query_arrow(
        self,
        query: str,
        *,
        parameters: dict[str, object] | None = None,
        settings: Settings | None = None,
        use_strings: bool | None = None,
    ) -> pa.Table: ...

    def insert_arrow(
        self,
        table: str,
        arrow_table: pa.Table,
        *,
        database: str | None = None,
        settings: Settings | None = None,
    ) -> object: ...

    def close(self) -> None: ...


def _server_params(params: Mapping[str, ParamValue] | None) -> dict[str, object]:
    # clickhouse-connect formats most values itself but drops sub-second digits of datetimes.
    if not params:
        return {}
    return {
        name: format_param(value) if isinstance(value, datetime) else value for name, value in params.items()
    }


class ServerWarehouse(Warehouse):
    def __init__(self, client: ClickHouseClient, database: str, *, read_only: bool = False) -> None:
        super().__init__(database)
        self._client: ClickHouseClient | None = client
        self.read_only = read_only

    @classmethod
    def connect(cls, settings: ServerSettings, *, read_only: bool = False) -> ServerWarehouse:
        try:
            client = clickhouse_connect.get_client(
                host=settings.host,
                port=settings.effective_port,
                username=settings.user,
                password=settings.password.value,
                secure=settings.secure,
                verify=settings.verify_tls,
                connect_timeout=settings.connect_timeout_s,
                send_receive_timeout=settings.send_receive_timeout_s,
                autogenerate_session_id=False,
            )
        except Exception as error:
            raise WarehouseError(
                f"cannot connect to ClickHouse at {settings.host}:{settings.effective_port}: {error}"
            ) from error
        warehouse = cls(client, settings.database, read_only=read_only)
        try:
            if not read_only:
                warehouse.command(f"CREATE DATABASE IF NOT EXISTS {warehouse.database}")
            client.database = warehouse.database
        except Exception:
            warehouse.close()
            raise
        return warehouse

    def _live(self) -> ClickHouseClient:
        if self._client is None:
            raise WarehouseError("the ClickHouse server connection is closed")
        return self._client

    def _settings(self, read_only: bool) -> Settings:
        return {"readonly": 1} if read_only or self.read_only else {}

    def command(self, sql: str) -> None:
        try:
            self._live().command(sql, settings=self._settings(False) or None)
        except WarehouseError:
            raise
        except Exception as error:
            raise WarehouseError(str(error)) from error

    def query_arrow(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> pa.Table:
        try:
            return self._live().query_arrow(
                sql,
                parameters=_server_params(params) or None,
                settings=self._settings(read_only) or None,
                use_strings=True,
            )
        except WarehouseError:
            raise
        except Exception as error:
            raise WarehouseError(str(error)) from error

    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        for name in data.column_names:
            check_identifier(name)
        settings: Settings = {"input_format_null_as_default": 1}
        if dedup_token is not None:
            settings["insert_deduplication_token"] = dedup_token
        try:
            self._live().insert_arrow(
                check_identifier(table), data, database=self.database, settings=settings
            )
        except Exception as error:
            raise WarehouseError(f"insert into {table} failed: {error}") from error

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.close()
