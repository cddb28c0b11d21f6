"""Issue 17 test helpers: an access case with its draft, its tasks closed, a sample PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.tables import Case, CaseTask, User
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import drafts, tasks
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def access_draft(engine: Any, settings: Any) -> tuple[str, int]:
    """An access request from Jan de Vries, identity checked, and its access draft by anna."""
    raw = mail(1, sender="jan.devries@example.nl", body="#access")
    store_local_message(engine, raw, received_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        s.add(User(username="anna", password_hash="x", role=Role.APPROVER))
        case = s.exec(select(Case)).one()
        case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
        s.add(case)
        s.commit()
        reference = case.reference
    created = drafts.create(engine, settings, reference, "access", by="anna")
    assert created.render_error is None
    return reference, created.draft_id


def close_all_tasks(engine: Any) -> None:
    with Session(engine) as s:
        ids = [t.id for t in s.exec(select(CaseTask))]
    for task_id in ids:
        tasks.close_task(engine, task_id or 0, "done", by="anna")
