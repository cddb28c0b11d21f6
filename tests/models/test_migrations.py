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


def _case_row(n: int, at: datetime) -> dict[str, object]:
    """The columns every migration has of a case in progress, written at ``at`` (raw insert)."""
    return {
        "id": n,
        "reference": f"AVG-2026-000{n}",
        "state": "in_progress",
        "rights": ["access"],
        "is_complaint": False,
        "language": "nl",
        "via_form": False,
        "received_at": at,
        "created_at": at,
        "updated_at": at,
    }


def test_0013_takes_the_last_reopening_from_the_audit_trail(db_url: str) -> None:
    from avgdesk.models.tables import Case

    engine = make_engine(db_url)
    upgrade(engine, "0012")
    at = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    cases, events = Case.__table__, AuditEvent.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(cases.insert().values(**_case_row(n, at)))
        for days in (3, 9):
            conn.execute(
                events.insert().values(
                    at=at + timedelta(days=days), actor="anna", action="case.reopened", case_id=1, detail={}
                )
            )
    upgrade(engine)
    with Session(engine) as s:
        found = {c.reference: c for c in s.exec(select(Case))}
    assert found["AVG-2026-0001"].reopened_at == at + timedelta(days=9)
    assert found["AVG-2026-0002"].reopened_at is None
    assert found["AVG-2026-0001"].answers_sent_at is None
    if engine.dialect.name == "sqlite":  # the snapshot still reads only its covering index
        from avgdesk.triage.cases.queries import _open_groups

        with engine.connect() as conn:
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN "
                    + str(_open_groups(at.date()).compile(engine, compile_kwargs={"literal_binds": True}))
                )
            )
        assert "COVERING INDEX ix_case_open_snapshot" in plan, plan
    engine.dispose()


def test_0013_and_0014_go_down_and_up_again_with_data(db_url: str) -> None:
    """Review of 7085f6d (4): PostgreSQL kept ix_draft_state_case_kind (upgrading again failed),
    SQLite's batch rebuild of "case" failed on the foreign keys of its rows."""
    from alembic import command

    from avgdesk.models.migrate import _config
    from avgdesk.models.tables import Case, Draft

    engine = make_engine(db_url)
    upgrade(engine)
    at = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    with engine.begin() as conn:
        row = _case_row(1, at) | {"answers_sent_at": at, "answered_on": at.date(), "reopened_at": at}
        conn.execute(Case.__table__.insert().values(**row))  # type: ignore[attr-defined]
        conn.execute(
            Draft.__table__.insert().values(  # type: ignore[attr-defined]
                id=1,
                case_id=1,
                kind="access",
                state="sent",
                subject="s",
                body_text="b",
                fields={},
                to_addr="a@example.nl",
                message_id="<1@x>",
                references=[],
                author="anna",
                editors=[],
                created_at=at,
                updated_at=at,
            )
        )
        conn.execute(
            AuditEvent.__table__.insert().values(  # type: ignore[attr-defined]
                at=at, actor="anna", action="case.reopened", case_id=1, detail={}
            )
        )
    triggers = "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:  # the search index's triggers (0011) survive
        before = conn.exec_driver_sql(triggers).scalar() if sqlite else 0
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0012")
    assert current_revision(engine) == "0012"
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        assert case.reference == "AVG-2026-0001" and case.reopened_at == at and case.answers_sent_at is None
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, SQLModel.metadata) == []
        assert (conn.exec_driver_sql(triggers).scalar() if sqlite else 0) == before
    engine.dispose()
