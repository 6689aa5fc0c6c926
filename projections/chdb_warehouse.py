"""The embedded adapter: chDB (ClickHouse in this process) with its data in a directory.

Inserts stream Arrow IPC bytes into ``INSERT ... FORMAT ArrowStream`` through chDB's
``send_insert``: the columns go to the engine as built, with no row-wise conversion and no
frame inspection (chDB's ``Python()`` table function reads caller variables by name, which
is fragile to rely on). chDB runs one engine per process with one data directory; opening a
second directory while one is open is refused with a clear error.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Protocol, cast

import pyarrow as pa
from chdb import session as chdb_session

from projections.settings import EmbeddedSettings
from projections.sql import check_identifier, ensure_read_only
from projections.warehouse import ParamValue, Warehouse, WarehouseError, format_param


class _QueryResult(Protocol):
    def bytes(self) -> bytes: ...


class _Inserter(Protocol):
    def append(self, data: bytes) -> None: ...

    def finish(self) -> object: ...

    def cancel(self) -> None: ...


class _Session(Protocol):
    """The typed surface of ``chdb.session.Session`` this adapter uses (chDB ships no annotations)."""

    def query(self, sql: str, fmt: str = ..., *, params: dict[str, str] | None = None) -> _QueryResult: ...

    def send_insert(self, query: str, fmt: str = ...) -> _Inserter: ...

    def close(self) -> None: ...


def _new_session(connection: str) -> _Session:
    factory = cast("type[_Session]", chdb_session.Session)
    return factory(connection)  # type: ignore[call-arg]


def _escape_top_level(text: str) -> str:
    # Top-level parameter values are parsed in ClickHouse's escaped text form.
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _chdb_params(params: Mapping[str, ParamValue] | None) -> dict[str, str]:
    if not params:
        return {}
    return {
        name: _escape_top_level(value) if isinstance(value, str) else format_param(value)
        for name, value in params.items()
    }


def arrow_ipc_bytes(data: pa.Table) -> bytes:
    """``data`` as one Arrow IPC stream, the body of ``FORMAT ArrowStream``."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    result: bytes = sink.getvalue().to_pybytes()
    return result


class ChdbWarehouse(Warehouse):
    _lock: ClassVar[threading.Lock] = threading.Lock()
    _open_paths: ClassVar[dict[Path, int]] = {}

    def __init__(self, session: _Session, path: Path, database: str, *, read_only: bool) -> None:
        super().__init__(database)
        self._session: _Session | None = session
        self._path = path
        self.read_only = read_only

    @classmethod
    def open(cls, settings: EmbeddedSettings, *, read_only: bool = False) -> ChdbWarehouse:
        path = settings.data_dir.expanduser().resolve()
        if read_only and not path.is_dir():
            raise WarehouseError(f"no chDB warehouse at {path}: nothing has been projected there yet")
        path.mkdir(parents=True, exist_ok=True)
        with cls._lock:
            other = next((p for p in cls._open_paths if p != path), None)
            if other is not None:
                raise WarehouseError(
                    f"chDB runs one data directory per process and {other} is open; "
                    f"close it before opening {path}"
                )
            try:
                session = _new_session(f"{path}?mode=ro" if read_only else str(path))
            except Exception as error:
                raise WarehouseError(f"cannot open chDB at {path}: {error}") from error
            cls._open_paths[path] = cls._open_paths.get(path, 0) + 1
        warehouse = cls(session, path, settings.database, read_only=read_only)
        try:
            if not read_only:
                warehouse.command(f"CREATE DATABASE IF NOT EXISTS {warehouse.database}")
            warehouse.command(f"USE {warehouse.database}")
        except WarehouseError:
            warehouse.close()
            raise
        return warehouse

    @property
    def path(self) -> Path:
        return self._path

    def _live(self) -> _Session:
        if self._session is None:
            raise WarehouseError(f"the chDB warehouse at {self._path} is closed")
        return self._session

    def command(self, sql: str) -> None:
        try:
            self._live().query(sql, "TabSeparated")
        except WarehouseError:
            raise
        except Exception as error:
            raise WarehouseError(str(error)) from error

    def query_arrow(
        self, sql: str, params: Mapping[str, ParamValue] | None = None, *, read_only: bool = False
    ) -> pa.Table:
        if read_only and not self.read_only:
            # A read-write engine cannot be made read-only per query without rewriting the
            # statement, so rely on the lexical check (the analyst command opens read-only).
            sql = ensure_read_only(sql)
        try:
            result = self._live().query(sql, "Arrow", params=_chdb_params(params))
        except WarehouseError:
            raise
        except Exception as error:
            raise WarehouseError(str(error)) from error
        payload = result.bytes()
        if not payload:
            return pa.table({})
        return pa.ipc.open_file(pa.py_buffer(payload)).read_all()

    def insert(self, table: str, data: pa.Table, *, dedup_token: str | None = None) -> None:
        columns = ", ".join(check_identifier(name) for name in data.column_names)
        settings = ["input_format_null_as_default = 1"]
        if dedup_token is not None:
            settings.append("insert_deduplication_token = '" + dedup_token.replace("'", "") + "'")
        target = f"{self.database}.{check_identifier(table)}"
        statement = f"INSERT INTO {target} ({columns}) SETTINGS {', '.join(settings)}"
        body = arrow_ipc_bytes(data)
        try:
            inserter = self._live().send_insert(statement, "ArrowStream")
        except Exception as error:
            raise WarehouseError(f"insert into {table} failed: {error}") from error
        try:
            inserter.append(body)
            inserter.finish()
        except Exception as error:
            inserter.cancel()
            raise WarehouseError(f"insert into {table} failed: {error}") from error

    def close(self) -> None:
        if self._session is None:
            return
        session, self._session = self._session, None
        with self._lock:
            session.close()
            remaining = self._open_paths.get(self._path, 1) - 1
            if remaining:
                self._open_paths[self._path] = remaining
            else:
                self._open_paths.pop(self._path, None)
