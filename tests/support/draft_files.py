"""Issue 17 test helpers: an access case with its draft, its tasks closed, a sample PDF.

Two starting points: :func:`access_case` / :func:`access_draft` make the case themselves
(one request from Jan de Vries, processed, identity checked; approver ``anna``), and
:func:`seeded_access_draft` takes the access request of the web tests' seed (webseed.py,
subject "Inzageverzoek"; staff ``mw``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.tables import Case, CaseTask, InboundMessage, User
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import drafts, tasks
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def access_case(engine: Any, settings: Any, body: str = "#access") -> str:
    """An access request from Jan de Vries, processed, identity checked, with approver anna
    as a user: the case's reference."""
    raw = mail(1, sender="jan.devries@example.nl", body=body)
    store_local_message(engine, raw, received_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        s.add(User(username="anna", password_hash="x", role=Role.APPROVER))
        case = s.exec(select(Case)).one()
        case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
        s.add(case)
        s.commit()
        return case.reference


def access_draft(engine: Any, settings: Any) -> tuple[str, int]:
    """:func:`access_case` and its access draft by anna: (reference, draft id)."""
    reference = access_case(engine, settings)
    created = drafts.create(engine, settings, reference, "access", by="anna")
    assert created.render_error is None
    return reference, created.draft_id


def close_all_tasks(engine: Any, *, by: str = "anna", note: str = "") -> None:
    """Every task of every case done."""
    with Session(engine) as s:
        ids = [t.id for t in s.exec(select(CaseTask))]
    for task_id in ids:
        tasks.close_task(engine, task_id or 0, "done", by=by, note=note)


def seeded_access_draft(engine: Any, settings: Any) -> tuple[str, int]:
    """The seeded access request's case with its tasks done by mw, and its access draft by mw:
    (reference, draft id)."""
    with Session(engine) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == "Inzageverzoek")).one()
        case = s.get(Case, msg.case_id)
        assert case is not None
        reference = case.reference
        task_ids = [t.id for t in s.exec(select(CaseTask).where(CaseTask.case_id == case.id))]
    for task_id in task_ids:
        tasks.close_task(engine, task_id or 0, "done", by="mw")
    return reference, drafts.create(engine, settings, reference, "access", by="mw").draft_id
