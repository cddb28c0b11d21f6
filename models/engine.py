"""Engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout and ``synchronous=FULL`` (a committed
message survives a power cut, not only a process crash), and every transaction
starts with ``BEGIN IMMEDIATE`` so that two processes never deadlock on a lock
upgrade; the busy timeout then makes a second writer wait instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from avgdesk.models.errors import ConfigurationError, DatabaseBusy


def make_engine(
    url: str, *, sqlite_busy_timeout_s: float = 30.0, echo: bool = False, read_only: bool = False
) -> Engine:
    """Create the engine for ``url``; creates the SQLite file's folder when needed.

    ``read_only``: for readers such as ``avgdesk status`` — SQLite opens the file read-only
    (never creating it) and starts plain deferred transactions, which in WAL mode never
    wait for a writer, however long another process holds the write lock."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError and others
        raise ConfigurationError(f"invalid database URL: {exc}") from exc
    if parsed.get_backend_name() == "sqlite" and read_only:
        return _sqlite_reader(parsed.database, sqlite_busy_timeout_s, echo)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, sqlite_busy_timeout_s, echo)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return create_engine(url, echo=echo, pool_pre_ping=True)
    raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")


def _sqlite_engine(url: str, database: str | None, busy_timeout_s: float, echo: bool) -> Engine:
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE can be emitted.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers (engine.execution_options(avgdesk_read_only=True)) start deferred: in WAL
        # mode they never wait for a writer, so pages stay readable while a write is held.
        if conn.get_execution_options().get("avgdesk_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def read_only(engine: Engine) -> Engine:
    """The same engine for sessions that only read (deferred transactions on SQLite)."""
    return engine.execution_options(avgdesk_read_only=True)


def _sqlite_reader(database: str | None, busy_timeout_s: float, echo: bool) -> Engine:
    if not database or database == ":memory:":
        raise ConfigurationError("a read-only SQLite engine needs a database file")
    path = Path(database).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"no database at {path} (avgdesk db upgrade creates it)")
    engine = create_engine(
        f"sqlite:///file:{path}?mode=ro&uri=true",
        echo=echo,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose objects stay readable after commit; lock errors become DatabaseBusy."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except OperationalError as exc:
            session.rollback()
            if is_busy(exc):
                raise DatabaseBusy(str(exc.orig)) from exc
            raise


def reading_session(engine: Engine) -> Session:
    """A session for reading (a web request's): it keeps loaded objects when its transaction
    ends and notes whether it ever flushed a change (see :func:`end_reading`)."""
    session = Session(engine, expire_on_commit=False)
    event.listen(session, "after_flush", _note_write)
    # A transaction that ended (a use case committed in this session, or a rollback) takes
    # its writes with it.
    event.listen(session, "after_commit", _forget_writes)
    event.listen(session, "after_rollback", _forget_writes)
    return session


_WROTE = "avgdesk.wrote"


def _note_write(session: Session, _flush_context: Any) -> None:
    session.info[_WROTE] = True


def _forget_writes(session: Session) -> None:
    session.info.pop(_WROTE, None)


def end_reading(session: Session) -> None:
    """End a reading session's open transaction, so that no lock is held while a page renders:
    on SQLite every transaction starts with ``BEGIN IMMEDIATE`` and holds the write lock, which
    the worker and every other request wait for (issue 11).

    It ends with a commit rather than a rollback only because a rollback expires every loaded
    object, and the page would then load each again in a new transaction that takes the lock
    again. A session that did change something (pending, or flushed by autoflush) belongs to a
    caller that failed half-way: that is rolled back, never committed here.
    """
    if not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE, False):
        session.rollback()
    else:
        # Writes nothing (no change pending or flushed): a crash before or after loses nothing.
        session.commit()


def is_busy(exc: OperationalError) -> bool:
    """A lock wait that ran out, a deadlock or a serialization failure: worth a retry."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text or "deadlock" in text
