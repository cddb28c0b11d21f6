"""Read one ``sql`` system of the register for one person (issue 17): the named queries of
the profile, the requester's address bound as ``:email``, read only, with a row limit and a
time limit.

Read only three times over: the profile accepts only single ``SELECT`` statements; on
PostgreSQL the transaction is ``READ ONLY`` (its first statement) with a
``statement_timeout``; a SQLite file is opened with ``mode=ro``. The transaction is rolled
back at the end whatever happened. The URL (with its password) comes from the environment
variable the profile names and never appears in an error or a log line; errors name the
system and the error type only (never the address searched for).
"""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from avgdesk.models.errors import ConnectorFailed
from avgdesk.replies.profile import System

log = logging.getLogger(__name__)

__all__ = ["QueryResult", "read_person", "url_for"]

SQLITE_PROGRESS_STEPS = 10_000
"""SQLite VM steps between two looks at the clock (a few milliseconds of work)."""


@dataclass(frozen=True)
class QueryResult:
    query: str
    category: str
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


def url_for(system: System) -> str:
    """The system's connection URL from the environment variable its profile entry names."""
    name = system.url_env or ""
    url = os.environ.get(name, "").strip()
    if not url:
        raise ConnectorFailed(f"system {system.id}: the environment variable {name} is not set")
    return url


def _json_value(value: Any) -> Any:
    """A cell as JSON can hold it (the rows are stored and go into CSV/JSON files)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date, dtime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _engine(url: str, timeout_s: float) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ConnectorFailed("an sql system on SQLite needs a database file")

        def read_only_file() -> sqlite3.Connection:
            # mode=ro: SQLite itself refuses every write on this connection.
            return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=timeout_s)

        return create_engine("sqlite://", creator=read_only_file, poolclass=NullPool)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(timeout_s))
    return create_engine(parsed, poolclass=NullPool, connect_args=connect_args)


def _limit_time(conn: Connection, timeout_s: float) -> None:
    if conn.dialect.name == "postgresql":
        # Must be the transaction's first statement; then no statement can write.
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
    elif conn.dialect.name == "sqlite":
        deadline = time.monotonic() + timeout_s
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        # A non-zero return interrupts the running statement (sqlite3.OperationalError).
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)


def _run(conn: Connection, system: System, email: str, max_rows: int) -> list[QueryResult]:
    results = []
    for query in system.queries:
        cursor = conn.execute(text(query.sql), {"email": email})
        columns = [str(c) for c in cursor.keys()]  # noqa: SIM118 (a Result, not a dict)
        rows = cursor.fetchmany(max_rows + 1)
        cursor.close()
        results.append(
            QueryResult(
                query=query.name,
                category=query.category,
                columns=columns,
                rows=[[_json_value(v) for v in row] for row in rows[:max_rows]],
                truncated=len(rows) > max_rows,
            )
        )
    return results


def read_person(
    system: System, email: str, *, url: str, max_rows: int, timeout_s: float
) -> Sequence[QueryResult]:
    """Every named query of ``system`` for ``email``; ConnectorFailed on any error (all or
    nothing: a failing query discards the results of the others)."""
    if system.connector != "sql" or not system.queries:
        raise ConnectorFailed(f"system {system.id} has no sql connector")
    try:
        engine = _engine(url, timeout_s)
    except ArgumentError as exc:
        raise ConnectorFailed(f"system {system.id}: the connection URL is not valid") from exc
    try:
        with engine.connect() as conn:
            try:
                _limit_time(conn, timeout_s)
                return _run(conn, system, email, max_rows)
            finally:
                conn.rollback()
    except SQLAlchemyError as exc:
        kind = type(getattr(exc, "orig", None) or exc).__name__
        log.warning("system %s: query failed (%s)", system.id, kind)
        raise ConnectorFailed(f"system {system.id}: {_reason(exc)} ({kind})") from exc
    finally:
        engine.dispose()


def _reason(exc: SQLAlchemyError) -> str:
    """A short reason for staff: what kind of failure, never the URL or the searched value."""
    message = str(getattr(exc, "orig", None) or exc).lower()
    if "timeout" in message or "interrupted" in message or "canceling statement" in message:
        return "the query took too long"
    if "read-only" in message or "readonly" in message or "read only" in message:
        return "the query tried to write (refused: read only)"
    if "connect" in message or "unable to open" in message:
        return "the database cannot be reached"
    return "the query failed"
