"""Server-side staff sessions: the use cases that start, end, expire and touch one.

Each owns its short transaction on ``web_session``; the routes in web/auth.py only decide
and never commit."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import col, delete

from avgdesk.models.tables import User, WebSession
from avgdesk.models.types import utcnow
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.web.security import new_token
from avgdesk.web.users import hash_password, needs_rehash

log = logging.getLogger(__name__)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(engine: Engine, user_id: int, password: str, *, absolute_minutes: int) -> str:
    """Use case: record the login and a new session; returns the cookie's token.

    The caller has checked the password; it is passed on only to upgrade an old hash."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    # Crash before the commit: no session; the user logs in again. Crash after: logged in.
    with unit_of_work(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = now
        # Expired sessions are cleaned up at every login.
        session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))
        session.add(
            WebSession(
                token_sha256=token_hash(token),
                user_id=user_id,
                csrf_token=new_token(),
                created_at=now,
                expires_at=now + timedelta(minutes=absolute_minutes),
                last_seen_at=now,
            )
        )
    return token


def end(engine: Engine, digest: str) -> None:
    """Use case: logout. Crash before the commit: the session stays valid until it expires."""
    with unit_of_work(engine) as session:
        session.exec(delete(WebSession).where(col(WebSession.token_sha256) == digest))


def expire(engine: Engine, digest: str) -> None:
    """Delete a session found expired, best effort: it is refused either way, and a busy
    database leaves the row for the next visit or login to delete."""
    try:
        end(engine, digest)
    except OperationalError as exc:
        log.info("expired session kept for later (database busy): %s", type(exc).__name__)


def touch(engine: Engine, digest: str, now: datetime, busy_timeout_s: float) -> None:
    """Move last_seen_at in its own short transaction, best effort: a page that only reads
    must not fail, or wait the full busy timeout, because another process holds the lock."""
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            # On the driver's connection: through SQLAlchemy the PRAGMA would open a
            # transaction of its own, whose BEGIN IMMEDIATE waits the full timeout first.
            driver = conn.connection.driver_connection if sqlite else None
            if driver is not None:
                driver.execute("PRAGMA busy_timeout=1000")
            try:
                with conn.begin():
                    # Crash before the commit: last_seen_at is a little older; harmless.
                    conn.execute(
                        update(WebSession)
                        .where(col(WebSession.token_sha256) == digest)
                        .values(last_seen_at=now)
                    )
            finally:
                if driver is not None:
                    driver.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    except OperationalError as exc:
        log.info("session touch skipped (database busy): %s", type(exc).__name__)
