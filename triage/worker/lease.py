"""A named lease in the database: one mailbox poller at a time, whatever the workers.

Compare-and-set on one row works the same on SQLite and PostgreSQL: the holder renews
``expires_at`` every ``poller_renew_s``; when it dies, another worker takes the lease
once it has expired (``poller_lease_s``). Intake is idempotent by its content key, so
the short overlap a paused-then-resumed holder could cause never duplicates mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import IntegrityError

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import WorkerLease
from avgdesk.models.types import utcnow


def try_acquire(engine: Engine, name: str, holder: str, ttl_s: float, now: datetime | None = None) -> bool:
    """Take or renew the lease; True when ``holder`` holds it afterwards."""
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl_s)
    with session_scope(engine) as session:
        taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(WorkerLease)
            .where(
                WorkerLease.name == name,  # type: ignore[arg-type]
                or_(WorkerLease.holder == holder, WorkerLease.expires_at < now),  # type: ignore[arg-type]
            )
            .values(holder=holder, expires_at=expires)
        )
        if taken.rowcount:
            # Crash after: we hold the lease until it expires; a successor waits that long.
            session.commit()
            return True
        try:
            session.execute(
                insert(WorkerLease).values(name=name, holder=holder, expires_at=expires, acquired_at=now)
            )
            # Crash after: we hold the new lease until it expires; a successor waits that long.
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease up at once (clean shutdown), so a standby takes over without waiting."""
    with session_scope(engine) as session:
        session.execute(
            update(WorkerLease)
            .where(WorkerLease.name == name, WorkerLease.holder == holder)  # type: ignore[arg-type]
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        # Crash before: the lease is not released but still expires; a standby waits that long.
        session.commit()
