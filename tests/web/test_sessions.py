"""web/sessions.py: the staff-session use cases (start, end and expiry are tested through the
pages in test_auth.py, touch moving last_seen_at too; here the one that must not wait)."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.web import sessions


def test_touch_gives_up_after_a_second_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    # A page view moves last_seen_at only as a courtesy: with the write lock held elsewhere
    # it must give up after its own short wait, not the engine's 30 s busy timeout.
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}", sqlite_busy_timeout_s=30)
    upgrade(engine)
    holder = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        sessions.touch(engine, "0" * 64, datetime.now(UTC), busy_timeout_s=30)
        waited = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert waited < 15, waited  # ~1 s; before the fix it waited the full 30 s
    # The pooled connection is back on the engine's own timeout.
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
