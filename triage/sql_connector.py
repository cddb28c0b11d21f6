"""Read one ``sql`` system of the register for one person (issue 17): the named queries of
the profile with the person's identity keys bound (``:email``, ``:customer_number``,
``:contract_number``), read only, with a row limit and a time limit; and run the system's
erasure statements, all in one transaction, on its writable connection.

Read only three times over: the profile accepts only single ``SELECT`` statements; on
PostgreSQL the transaction is ``READ ONLY`` (its first statement) with a
``statement_timeout``; a SQLite file is opened with ``mode=ro``. The transaction is rolled
back at the end whatever happened. A query or erasure statement whose key is not known for
the person is skipped (never run with NULL). The URL (with its password) comes from the
environment variable the profile names and never appears in an error or a log line; errors
name the system and the error type only (never the value searched for).

Erasure (:func:`erase`): every statement in one transaction with a time limit over the
whole run; any error or the time limit rolls it all back (never a partial delete).
"""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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
from avgdesk.replies.profile import SqlErasure, SqlQuery, System

log = logging.getLogger(__name__)

__all__ = ["ErasureResult", "QueryResult", "erase", "erase_url_for", "read_keys", "read_person", "url_for"]

SQLITE_PROGRESS_STEPS = 10_000
"""SQLite VM steps between two looks at the clock (a few milliseconds of work)."""


@dataclass(frozen=True)
class QueryResult:
    query: str
    category: str
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool


def _env_url(system: System, name: str) -> str:
    url = os.environ.get(name, "").strip()
    if not url:
        raise ConnectorFailed(f"system {system.id}: the environment variable {name} is not set")
    return url


def url_for(system: System) -> str:
    """The system's read-only connection URL from the variable its profile entry names."""
    return _env_url(system, system.url_env or "")


def erase_url_for(system: System) -> str:
    """The system's writable connection URL (erasure only) from ``erase_url_env``."""
    return _env_url(system, system.erase_url_env or "")


def runnable(statement: SqlQuery | SqlErasure, keys: Mapping[str, str | None]) -> bool:
    """True when every key the statement binds is known (never run with NULL)."""
    return all(keys.get(k) for k in statement.keys)


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


def _engine(url: str, timeout_s: float, *, writable: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ConnectorFailed("an sql system on SQLite needs a database file")

        mode = "rw" if writable else "ro"

        def sqlite_file() -> sqlite3.Connection:
            # mode=ro: SQLite itself refuses every write; mode=rw never creates a missing file.
            return sqlite3.connect(f"file:{database}?mode={mode}", uri=True, timeout=timeout_s)

        return create_engine("sqlite://", creator=sqlite_file, poolclass=NullPool)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(timeout_s))
    return create_engine(parsed, poolclass=NullPool, connect_args=connect_args)


def _limit_time(conn: Connection, timeout_s: float, *, read_only: bool = True) -> None:
    if conn.dialect.name == "postgresql":
        if read_only:
            # Must be the transaction's first statement; then no statement can write.
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout_s * 1000))}")
    elif conn.dialect.name == "sqlite":
        deadline = time.monotonic() + timeout_s
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        # A non-zero return interrupts the running statement (sqlite3.OperationalError).
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)


def _run(
    conn: Connection, queries: Sequence[SqlQuery], keys: Mapping[str, str | None], max_rows: int
) -> list[QueryResult]:
    results = []
    for query in queries:
        cursor = conn.execute(text(query.sql), {k: keys[k] for k in query.keys})
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


@dataclass(frozen=True)
class ReadResult:
    results: list[QueryResult]
    skipped: list[str]
    """Names of queries not run: a key they bind is not known for the person."""


def read_keys(
    system: System, keys: Mapping[str, str | None], *, url: str, max_rows: int, timeout_s: float
) -> ReadResult:
    """Every named query of ``system`` whose keys are known; ConnectorFailed on any error (all
    or nothing: a failing query discards the results of the others)."""
    if system.connector != "sql" or not system.queries:
        raise ConnectorFailed(f"system {system.id} has no sql connector")
    ready = [q for q in system.queries if runnable(q, keys)]
    skipped = [q.name for q in system.queries if not runnable(q, keys)]
    if not ready:
        return ReadResult([], skipped)
    with _connection(system, url, timeout_s, writable=False) as conn:
        try:
            _limit_time(conn, timeout_s)
            return ReadResult(_run(conn, ready, keys, max_rows), skipped)
        finally:
            conn.rollback()


def read_person(
    system: System, email: str, *, url: str, max_rows: int, timeout_s: float
) -> Sequence[QueryResult]:
    """The queries bound to the address alone (the other keys unknown)."""
    return read_keys(system, {"email": email}, url=url, max_rows=max_rows, timeout_s=timeout_s).results


@contextmanager
def _connection(system: System, url: str, timeout_s: float, *, writable: bool) -> Iterator[Connection]:
    """A connection to the system; every database error becomes ConnectorFailed (no URL)."""
    try:
        engine = _engine(url, timeout_s, writable=writable)
    except ArgumentError as exc:
        raise ConnectorFailed(f"system {system.id}: the connection URL is not valid") from exc
    try:
        with engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        kind = type(getattr(exc, "orig", None) or exc).__name__
        log.warning("system %s: %s failed (%s)", system.id, "erasure" if writable else "query", kind)
        raise ConnectorFailed(f"system {system.id}: {_reason(exc)} ({kind})") from exc
    finally:
        engine.dispose()


@dataclass(frozen=True)
class ErasureResult:
    counts: dict[str, int]
    """Rows deleted or updated per statement name (in the profile's order)."""
    skipped: list[str]
    """Names of statements not run: a key they bind is not known for the person."""


def erase(system: System, keys: Mapping[str, str | None], *, url: str, timeout_s: float) -> ErasureResult:
    """Run the system's erasure statements whose keys are known, all in ONE transaction with
    ``timeout_s`` over the whole run; any error or the time limit rolls everything back
    (ConnectorFailed), so the system is either erased by every statement or untouched."""
    if system.connector != "sql" or not system.erasure:
        raise ConnectorFailed(f"system {system.id} has no erasure statements")
    ready = [e for e in system.erasure if runnable(e, keys)]
    skipped = [e.name for e in system.erasure if not runnable(e, keys)]
    counts: dict[str, int] = {}
    if not ready:
        return ErasureResult(counts, skipped)
    deadline = time.monotonic() + timeout_s
    with _connection(system, url, timeout_s, writable=True) as conn:
        try:
            _limit_time(conn, timeout_s, read_only=False)
            for statement in ready:
                _time_left(conn, system, deadline)
                result = conn.execute(text(statement.sql), {k: keys[k] for k in statement.keys})
                counts[statement.name] = max(0, int(result.rowcount))
        except BaseException:
            # Nothing was committed: the system is as it was before the run.
            conn.rollback()
            raise
        # Crash before this commit: the system rolls the transaction back (nothing erased).
        # Crash after it: erased, but avgdesk has not recorded it; a second run finds 0 rows.
        conn.commit()
    return ErasureResult(counts, skipped)


def _time_left(conn: Connection, system: System, deadline: float) -> None:
    """The statement_timeout is per statement: give the next one only what is left."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise ConnectorFailed(f"system {system.id}: the erasure took too long (timeout)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(left * 1000))}")


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
