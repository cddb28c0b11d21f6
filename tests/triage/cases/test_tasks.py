"""Issue 17: per-case tasks in the controller's systems — opened with the case, following
its rights, closed by staff (done / not applicable with a note, audited), and blocking the
approval of a substantive reply while open — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, col, select

from avgdesk.models.errors import ApproverRequired, TaskNotFound, TaskRefused, TasksOpen, staff_text
from avgdesk.models.tables import AuditEvent, Case, CaseTask, TaskStatus, User
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import actions, attachments, drafts, tasks
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.reports.summary import ScheduleConfig, build_summary, render_summary

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
SYSTEMS = ["CRM", "boekhouding", "nieuwsbriefdienst", "supportdesk", "website-analytics"]


def _open(engine: Any, settings: Any, body: str, n: int = 1) -> str:
    store_local_message(engine, mail(n, sender=f"k{n}@example.nl", body=body), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        if s.exec(select(User).where(User.username == "anna")).first() is None:
            s.add(User(username="anna", password_hash="x", role=Role.APPROVER))
            s.commit()
        case = s.exec(select(Case).where(Case.requester_email == f"k{n}@example.nl")).first()
        return case.reference if case else ""


def _tasks(engine: Any, reference: str) -> list[CaseTask]:
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == reference)).one()
        return list(s.exec(select(CaseTask).where(CaseTask.case_id == case.id).order_by(col(CaseTask.id))))


def test_a_new_case_gets_one_task_per_system_and_right(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, "#access #erasure")
    rows = _tasks(engine, ref)
    assert len(rows) == 10
    titles = {t.title for t in rows}
    assert {f"Zoek gegevens in {name}" for name in SYSTEMS} <= titles
    assert {f"Wis in {name}" for name in SYSTEMS} <= titles
    assert all(t.status is TaskStatus.OPEN and t.assignee is None for t in rows)
    # A question opens no case, so no tasks either.
    _open(engine, settings, "alleen een vraag", n=2)
    with Session(engine) as s:
        assert len(list(s.exec(select(CaseTask)))) == 10


def test_tasks_follow_the_rights_when_staff_relabel(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, "#access")
    assert {t.right for t in _tasks(engine, ref)} == {"access"}
    actions.relabel(engine, settings, ref, ["access", "erasure"], by="anna")
    assert len(_tasks(engine, ref)) == 10
    actions.relabel(engine, settings, ref, ["erasure"], by="anna")
    rows = _tasks(engine, ref)
    dropped = [t for t in rows if t.right == "access"]
    assert len(rows) == 10 and all(t.status is TaskStatus.NOT_APPLICABLE for t in dropped)
    assert all("inzage" in (t.note or "") and t.closed_by == "anna" for t in dropped)
    assert all(t.status is TaskStatus.OPEN for t in rows if t.right == "erasure")


def test_access_answer_waits_for_its_tasks(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, "#access")
    draft = drafts.create(engine, settings, ref, "access", by="anna")
    assert draft.render_error is None  # issue 17: no "missing required field(s): attachment_name"
    with pytest.raises(TasksOpen) as refused:
        drafts.approve(engine, settings, draft.draft_id, by="anna")
    assert "Zoek gegevens in CRM" in staff_text(refused.value) and "taken open" in staff_text(refused.value)
    rows = _tasks(engine, ref)
    with pytest.raises(TaskRefused, match="note"):
        tasks.close_task(engine, rows[0].id or 0, "not_applicable", by="anna")
    with pytest.raises(TaskRefused):
        tasks.close_task(engine, rows[0].id or 0, "half", by="anna")
    with pytest.raises(TaskNotFound):
        tasks.close_task(engine, 999999, "done", by="anna")
    tasks.assign(engine, rows[0].id or 0, "bert", by="anna")
    tasks.close_task(engine, rows[0].id or 0, "not_applicable", by="bert", note="Geen klant in het CRM.")
    for task in rows[1:-1]:
        tasks.close_task(engine, task.id or 0, "done", by="anna", note="Gezocht.")
    with pytest.raises(TasksOpen) as still:
        drafts.approve(engine, settings, draft.draft_id, by="anna")
    assert "website-analytics" in staff_text(still.value) and "CRM" not in staff_text(still.value)
    tasks.close_task(engine, rows[-1].id or 0, "done", by="anna")
    tasks.reopen(engine, rows[-1].id or 0, by="anna")
    assert _tasks(engine, ref)[-1].status is TaskStatus.OPEN and _tasks(engine, ref)[-1].closed_by is None
    tasks.close_task(engine, rows[-1].id or 0, "done", by="anna")
    # The answer goes once every task is closed (and the package the letter names is attached).
    attachments.build_package(engine, settings, draft.draft_id, by="anna")
    assert drafts.approve(engine, settings, draft.draft_id, by="anna").state == "approved"
    first = _tasks(engine, ref)[0]
    assert first.assignee == "bert" and first.note == "Geen klant in het CRM." and first.closed_by == "bert"
    with Session(engine) as s:
        actions_seen = [e.action for e in s.exec(select(AuditEvent)) if e.action.startswith("task.")]
    assert actions_seen.count("task.closed") == 6 and "task.assigned" in actions_seen
    assert "task.reopened" in actions_seen


def test_open_counts_per_case(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, "#erasure")
    _open(engine, settings, "#access #objection", n=2)
    rows = _tasks(engine, ref)
    tasks.close_task(engine, rows[0].id or 0, "done", by="anna")
    with Session(engine) as s:
        counts = sorted(tasks.open_counts(s).values())
        views = tasks.tasks_of(s, rows[0].case_id, settings)
    assert counts == [4, 10]
    assert views[0].owner == "Verkoop (demo)" and views[0].connector == "sql" and views[0].status == "done"


def test_weekly_summary_lists_cases_with_open_tasks(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, "#erasure")
    other = _open(engine, settings, "#access", n=2)
    for task in _tasks(engine, other):
        tasks.close_task(engine, task.id or 0, "done", by="anna")
    config = ScheduleConfig(tz=settings.tz, summary_recipients=("t@example.nl",), web_base_url="https://x")
    with Session(engine) as s:
        summary = build_summary(s, datetime(2026, 3, 9, 8, 0, tzinfo=UTC), config)
    assert [(c.reference, c.detail) for c in summary.open_tasks] == [(ref, "5 taken open")]
    text, html = render_summary(summary)
    assert "TAKEN OPEN IN DE SYSTEMEN (1)" in text and f"{ref}  5 taken open" in text
    assert "Taken open in de systemen (1)" in html and other not in text.split("TAKEN OPEN")[1][:200]


def test_task_events_read_as_dutch_sentences_in_the_timeline(engine, make_settings) -> None:
    from avgdesk.triage.cases.timeline import describe

    settings = make_settings()
    ref = _open(engine, settings, "#erasure")
    first = _tasks(engine, ref)[0]
    tasks.assign(engine, first.id or 0, "bert", by="anna")
    tasks.close_task(engine, first.id or 0, "not_applicable", by="bert", note="Niet in het CRM.")
    tasks.reopen(engine, first.id or 0, by="anna")
    with Session(engine) as s:
        events = [
            e for e in s.exec(select(AuditEvent).order_by(col(AuditEvent.id))) if e.action.startswith("task.")
        ]
    assert [describe(e) for e in events] == [
        "Taak ‘Wis in CRM’ toegewezen aan bert",
        "Taak ‘Wis in CRM’: niet van toepassing",
        "Taak ‘Wis in CRM’ heropend",
    ]


def test_an_approver_overrides_open_tasks_with_a_reason(engine, make_settings) -> None:
    """The gate holds until an approver overrides it (reason, audited); a medewerker cannot;
    reopening a task takes its override away; the erasure tasks are untouched."""
    settings = make_settings()
    ref = _open(engine, settings, "#access #erasure")
    with Session(engine) as s:
        s.add(User(username="mw", password_hash="x", role=Role.MEDEWERKER))
        s.add(User(username="oud", password_hash="x", role=Role.APPROVER, active=False))
        s.commit()
    draft = drafts.create(engine, settings, ref, "access", by="mw")
    attachments.build_package(engine, settings, draft.draft_id, by="mw")
    with pytest.raises(TasksOpen):
        drafts.approve(engine, settings, draft.draft_id, by="anna")
    for who in ("mw", "oud", ""):
        with pytest.raises(ApproverRequired):
            tasks.override_open(engine, ref, "access", "Systemen onbereikbaar, termijn verloopt", by=who)
    with pytest.raises(TaskRefused, match="reason"):
        tasks.override_open(engine, ref, "access", "   ", by="anna")
    assert tasks.override_open(engine, ref, "access", "CRM-export handmatig bijgevoegd", by="anna") == 5
    first = _tasks(engine, ref)[0]
    tasks.close_task(engine, first.id or 0, "done", by="anna")
    tasks.reopen(engine, first.id or 0, by="anna")  # open again: the override no longer covers it
    with pytest.raises(TasksOpen) as refused:
        drafts.approve(engine, settings, draft.draft_id, by="anna")
    assert "Zoek gegevens in CRM" in staff_text(refused.value)
    assert tasks.override_open(engine, ref, "access", "Opnieuw bekeken", by="anna") == 1
    assert drafts.approve(engine, settings, draft.draft_id, by="anna").state == "approved"
    rows = _tasks(engine, ref)
    assert all(t.override_by is None for t in rows if t.right == "erasure")
    assert {t.override_reason for t in rows if t.right == "access"} == {
        "CRM-export handmatig bijgevoegd",
        "Opnieuw bekeken",
    }
    with Session(engine) as s:
        events = [e for e in s.exec(select(AuditEvent)) if e.action == "tasks.overridden"]
    assert [(e.actor, e.detail["reason"], len(e.detail["titles"])) for e in events] == [
        ("anna", "CRM-export handmatig bijgevoegd", 5),
        ("anna", "Opnieuw bekeken", 1),
    ]
