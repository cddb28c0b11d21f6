"""The worker lease (one IMAP poller at a time), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from avgdesk.models.types import utcnow
from avgdesk.triage.worker import lease


def test_lease_is_exclusive_until_it_expires(engine) -> None:
    now = utcnow()
    assert lease.try_acquire(engine, "x", "a", 30, now)
    assert not lease.try_acquire(engine, "x", "b", 30, now)
    assert lease.try_acquire(engine, "x", "a", 30, now)  # renewal
    assert lease.try_acquire(engine, "x", "b", 30, now + timedelta(seconds=31))
    lease.release(engine, "x", "b")
    assert lease.try_acquire(engine, "x", "a", 30)
