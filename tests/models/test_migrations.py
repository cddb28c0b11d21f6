"""Migrations: from nothing to head on both databases, matching the tables exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import current_revision, head_revision, include_object, upgrade
from avgdesk.models.tables import AuditEvent


def test_upgrade_reaches_head_and_matches_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        # The search index (migration 0011) lives in the database only.
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], diff
    engine.dispose()


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    from alembic import command

    from avgdesk.models.migrate import _config

    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_datetimes_round_trip_as_aware_utc(engine) -> None:  # type: ignore[no-untyped-def]
    amsterdam = timezone(timedelta(hours=1))
    when = datetime(2026, 3, 5, 23, 30, tzinfo=amsterdam)
    with Session(engine) as s:
        s.add(AuditEvent(at=when, actor="t", action="x"))
        s.commit()
    with Session(engine) as s:
        row = s.exec(select(AuditEvent)).one()
    assert row.at == when and row.at.tzinfo is not None and row.at.utcoffset() == timedelta(0)
    assert row.at.tzinfo == UTC


def test_naive_datetimes_are_refused(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import StatementError

    with Session(engine) as s, pytest.raises(StatementError):
        s.add(AuditEvent(at=datetime(2026, 1, 1), actor="t", action="x"))
        s.commit()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url, sqlite_busy_timeout_s=7)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
