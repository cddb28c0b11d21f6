"""Retention: closed cases and unlinked mail disappear when their time is up, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from helpers import FixedLabels, mail
from sqlalchemy import func
from sqlmodel import Session, select

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import AuditEvent, Case, Draft, InboundMessage, LabelCorrection, MessageRaw
from avgdesk.triage.cases import lifecycle
from avgdesk.triage.cases.retention import purge, purge_daily
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def count(engine: Any, table: Any) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(table)).one())


def test_purge_deletes_old_closed_cases_and_old_unlinked_mail_only(engine, make_settings) -> None:
    settings = make_settings(retention_days=365, retention_unlinked_days=90)
    old = NOW - timedelta(days=500)
    store_local_message(engine, mail(1, sender="a@example.nl", body="#access"), received_at=old)
    store_local_message(engine, mail(2, sender="b@example.nl", body="#erasure"), received_at=old)
    store_local_message(engine, mail(3, sender="c@example.nl", body="gewone vraag"), received_at=old)
    recent = NOW - timedelta(days=10)
    store_local_message(engine, mail(4, sender="d@example.nl", body="gewone vraag"), received_at=recent)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with session_scope(engine) as s:
        first = lifecycle.find_case(s, "AVG-2025-0001")
        lifecycle.close(
            s,
            first,
            by="anna",
            outcome="closed",
            justification="Dubbel verzoek",
            now=old + timedelta(days=20),
        )
        msg = s.exec(select(InboundMessage).where(InboundMessage.case_id == first.id)).one()
        s.add(LabelCorrection(message_pk=msg.id, labels=["access"], corrected_by="anna"))  # type: ignore[arg-type]
        s.commit()
    assert count(engine, InboundMessage) == 4
    dry = purge(engine, settings, now=NOW, dry_run=True)
    assert dry.cases == ["AVG-2025-0001"] and dry.messages == 2 and count(engine, InboundMessage) == 4
    result = purge(engine, settings, now=NOW)
    assert result.cases == ["AVG-2025-0001"] and result.messages == 2
    with Session(engine) as s:
        refs = [c.reference for c in s.exec(select(Case))]
        senders = sorted(m.from_addr or "" for m in s.exec(select(InboundMessage)))
        purged = [e for e in s.exec(select(AuditEvent)) if e.action == "case.purged"]
    assert refs == ["AVG-2025-0002"]  # still open: kept however old
    assert senders == ["b@example.nl", "d@example.nl"]
    assert count(engine, MessageRaw) == 2 and count(engine, LabelCorrection) == 0
    assert count(engine, Draft) == 1  # the open case's acknowledgement
    assert purged[0].detail == {"reference": "AVG-2025-0001", "retention_days": 365}
    assert purged[0].case_id is None and "a@example.nl" not in str(purged[0].detail)


def test_daily_purge_runs_once_per_day(engine, make_settings) -> None:
    settings = make_settings()
    assert purge_daily(engine, settings, NOW) is not None
    assert purge_daily(engine, settings, NOW + timedelta(hours=3)) is None
    assert purge_daily(engine, settings, NOW + timedelta(days=1)) is not None


def test_purge_deletes_draft_versions_and_internal_notes_with_the_case(engine, make_settings) -> None:
    """Versions hold letter texts and notes hold staff remarks: both go with their case (on
    PostgreSQL a left-over version would also block deleting the draft)."""
    from avgdesk.models.tables import CaseNote, DraftVersion

    settings = make_settings(retention_days=365)
    old = NOW - timedelta(days=500)
    store_local_message(engine, mail(1, sender="a@example.nl", body="#access"), received_at=old)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with session_scope(engine) as s:
        case = lifecycle.find_case(s, "AVG-2025-0001")
        draft = s.exec(select(Draft).where(Draft.case_id == case.id)).one()
        s.add(
            DraftVersion(draft_id=draft.id, version=1, subject="s", body_text="Geachte Anna", editor="anna")
        )  # type: ignore[arg-type]
        s.add(CaseNote(case_id=case.id, author="anna", text="belde op 06-12345678"))  # type: ignore[arg-type]
        lifecycle.close(
            s, case, by="anna", outcome="closed", justification="Dubbel verzoek", now=old + timedelta(days=20)
        )
        s.commit()
    result = purge(engine, settings, now=NOW)
    assert result.cases == ["AVG-2025-0001"]
    assert count(engine, DraftVersion) == 0 and count(engine, CaseNote) == 0
    assert count(engine, Draft) == 0 and count(engine, Case) == 0
