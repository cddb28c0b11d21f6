"""Per-case tasks in the controller's systems (issue 17): the checklist behind an answer.

When a case opens, and when its rights change, every system of the profile's register gets
one task per right ("Zoek gegevens in CRM", "Wis in nieuwsbriefdienst"). Staff assign a task
and close it as done or not applicable, with a note; a substantive reply (an access answer,
an erasure confirmation, ...) cannot be approved while a task of its right is open, unless an
approver overrode the open tasks with a reason (:func:`override_open`, audited, shown on the
case page; reopening a task takes its override away).

:func:`open_for_new_case` and :func:`sync_rights` work inside the caller's transaction (the
worker's processing batch, a relabel); the staff use cases (:func:`assign`,
:func:`close_task`, :func:`reopen`) own theirs, like :mod:`avgdesk.triage.cases.actions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import ApproverRequired, TaskNotFound, TaskRefused, TasksOpen
from avgdesk.models.tables import Case, CaseTask, Draft, TaskStatus, User
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import APPROVER_ROLES, LABEL_NL, OPEN_STATES, DraftKind
from avgdesk.replies.profile import System, default_profile_path, load_profile
from avgdesk.triage.cases import audit
from avgdesk.triage.settings import Settings

__all__ = [
    "TASK_TITLES",
    "TaskView",
    "assign",
    "close_task",
    "open_counts",
    "open_for_new_case",
    "override_open",
    "reopen",
    "require_approver",
    "require_done_for",
    "sync_rights",
    "systems",
    "tasks_of",
]

TASK_TITLES: dict[str, str] = {
    "access": "Zoek gegevens in {system}",
    "portability": "Exporteer gegevens uit {system}",
    "erasure": "Wis in {system}",
    "rectification": "Corrigeer in {system}",
    "restriction": "Beperk de verwerking in {system}",
    "objection": "Stop de verwerking voor het bezwaar in {system}",
}
"""One task title per right, in Dutch (staff read them)."""

REPLY_RIGHT: dict[str, str] = {
    DraftKind.ACCESS: "access",
    DraftKind.NO_DATA: "access",
    DraftKind.PORTABILITY: "portability",
    DraftKind.ERASURE: "erasure",
    DraftKind.RECTIFICATION: "rectification",
    DraftKind.RESTRICTION: "restriction",
    DraftKind.OBJECTION: "objection",
    DraftKind.OBJECTION_ANSWER: "objection",
    DraftKind.WITHHELD: "access",
}
"""Substantive replies and the right whose tasks must be closed before they are approved."""

NOTE_MAX_CHARS = 2000
TASK_TABLE: Table = CaseTask.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TaskView:
    id: int
    system_id: str
    system_name: str
    owner: str
    connector: str
    right: str
    title: str
    status: str
    assignee: str | None
    note: str | None
    last_error: str | None
    closed_by: str | None
    erasure_counts: dict[str, Any] | None = None
    override_reason: str | None = None
    override_by: str | None = None


@lru_cache(maxsize=8)
def _register(path: str, mtime_ns: int) -> tuple[System, ...]:
    return load_profile(Path(path)).systems


@lru_cache(maxsize=1)
def _default_path() -> Path:
    return default_profile_path()


def systems(settings: Settings) -> tuple[System, ...]:
    """The profile's systems register, read once per file version (case opening is hot)."""
    path = settings.controller_profile or _default_path()
    return _register(str(path), path.stat().st_mtime_ns)


def _rows(case: Case, rights: Sequence[str], register: Sequence[System]) -> list[dict[str, object]]:
    now = utcnow()
    return [
        {
            "case_id": case.id,
            "system_id": system.id,
            "right": right,
            "title": TASK_TITLES[right].format(system=system.name),
            "status": TaskStatus.OPEN,
            "created_at": now,
            "updated_at": now,
        }
        for right in rights
        if right in TASK_TITLES
        for system in register
    ]


def new_case_rows(case: Case, settings: Settings) -> list[dict[str, object]]:
    """The task rows of a just-opened case (a processing batch inserts them together)."""
    return _rows(case, case.rights, systems(settings))


def open_for_new_case(session: Session, case: Case, settings: Settings) -> None:
    """One task per system and right of a just-opened case: one bulk INSERT, no reads."""
    rows = new_case_rows(case, settings)
    if rows:
        # A Core executemany on the session's connection (same transaction): the ORM's bulk
        # path and its autoflush cost several ms per case in a processing batch.
        session.connection().execute(TASK_TABLE.insert(), rows)


def sync_rights(session: Session, case: Case, settings: Settings, *, by: str) -> None:
    """After the rights changed: tasks for new rights; open tasks of a dropped right are
    closed as not applicable (kept, with the reason, for the audit)."""
    existing = list(session.exec(select(CaseTask).where(CaseTask.case_id == case.id)))
    have = {(t.system_id, t.right) for t in existing}
    rows = [
        r for r in _rows(case, case.rights, systems(settings)) if (r["system_id"], r["right"]) not in have
    ]
    if rows:
        session.execute(insert(CaseTask), rows)
    now = utcnow()
    for task in existing:
        if task.right not in case.rights and task.status is TaskStatus.OPEN:
            task.status = TaskStatus.NOT_APPLICABLE
            task.note = f"Het recht op {LABEL_NL.get(task.right, task.right)} is niet meer gevraagd."
            task.closed_by, task.closed_at, task.updated_at = by, now, now


def tasks_of(session: Session, case_id: int, settings: Settings) -> list[TaskView]:
    """The case's tasks, with the system's name, owner and connector from the register."""
    register = {s.id: s for s in systems(settings)}
    tasks = session.exec(
        select(CaseTask).where(CaseTask.case_id == case_id).order_by(col(CaseTask.right), col(CaseTask.id))
    )
    views = []
    for t in tasks:
        system = register.get(t.system_id)
        assert t.id is not None
        views.append(
            TaskView(
                id=t.id,
                system_id=t.system_id,
                system_name=system.name if system else t.system_id,
                owner=system.owner if system else "–",
                connector=system.connector if system else "manual",
                right=t.right,
                title=t.title,
                status=t.status.value,
                assignee=t.assignee,
                note=t.note,
                last_error=t.last_error,
                closed_by=t.closed_by,
                erasure_counts=t.erasure_counts,
                override_reason=t.override_reason,
                override_by=t.override_by,
            )
        )
    return views


def open_counts(session: Session) -> dict[int, int]:
    """Open tasks per open case (for the weekly summary and the queue)."""
    query = (
        select(CaseTask.case_id, func.count())
        .join(Case, col(Case.id) == CaseTask.case_id)
        .where(CaseTask.status == TaskStatus.OPEN, col(Case.state).in_(list(OPEN_STATES)))
        .group_by(col(CaseTask.case_id))
    )
    return {int(case_id): int(n) for case_id, n in session.exec(query)}


def require_done_for(session: Session, draft: Draft) -> None:
    """Refuse to approve a substantive reply while tasks of its right are open (issue 17),
    unless an approver overrode them with a reason."""
    right = REPLY_RIGHT.get(draft.kind)
    if right is None:
        return
    titles = list(
        session.exec(
            select(CaseTask.title).where(
                CaseTask.case_id == draft.case_id,
                CaseTask.right == right,
                CaseTask.status == TaskStatus.OPEN,
                col(CaseTask.override_at).is_(None),
            )
        )
    )
    if titles:
        raise TasksOpen(
            f"draft {draft.id}: {len(titles)} open task(s) for {right}",
            "Deze brief kan nog niet worden goedgekeurd: er staan nog taken open ("
            + "; ".join(titles[:5])
            + (" …" if len(titles) > 5 else "")
            + "). Rond ze af of markeer ze als niet van toepassing, met een toelichting"
            + " (of een goedkeurder gaat er met een reden aan voorbij).",
        )


def require_approver(session: Session, by: str, what: str) -> None:
    """Only an active staff member with the approver (or admin) role, by name."""
    user = session.exec(select(User).where(User.username == by)).first() if by else None
    if user is None or not user.active or user.role not in APPROVER_ROLES:
        raise ApproverRequired(
            f"{by or 'nobody'} may not {what} (an active approver is needed)",
            f"Alleen een actieve goedkeurder of beheerder, met naam, mag {what}.",
        )


def override_open(engine: Engine, reference: str, right: str, reason: str, *, by: str) -> int:
    """Use case: an approver lets the answer for ``right`` be approved while its tasks are
    still open, and says why (audited; shown on the case page). Returns how many tasks."""
    from avgdesk.triage.cases import lifecycle  # lifecycle imports this module

    reason = reason.strip()
    if not reason or len(reason) > NOTE_MAX_CHARS:
        raise TaskRefused(
            "an override needs a reason",
            f"Schrijf op waarom de brief ondanks open taken mag worden goedgekeurd (hoogstens "
            f"{NOTE_MAX_CHARS} tekens).",
        )
    with _unit_of_work(engine) as session:
        require_approver(session, by, "open taken overslaan")
        case = lifecycle.find_case(session, reference)
        open_tasks = list(
            session.exec(
                select(CaseTask).where(
                    CaseTask.case_id == case.id,
                    CaseTask.right == right,
                    CaseTask.status == TaskStatus.OPEN,
                    col(CaseTask.override_at).is_(None),
                )
            )
        )
        if not open_tasks:
            raise TaskRefused(f"case {reference}: no open tasks for {right}", "Er staan geen taken open.")
        now = utcnow()
        for task in open_tasks:
            task.override_reason, task.override_by, task.override_at, task.updated_at = reason, by, now, now
        audit.record(
            session,
            actor=by,
            action="tasks.overridden",
            case_id=case.id,
            right=right,
            titles=[t.title for t in open_tasks],
            reason=reason,
        )
        # Crash before the commit: no override, the approval stays refused. After: in, audited.
        return len(open_tasks)


def _unit_of_work(engine: Engine) -> AbstractContextManager[Session]:
    # actions imports lifecycle, which calls this module when a case opens: import late.
    from avgdesk.triage.cases.actions import unit_of_work

    return unit_of_work(engine)


def _load(session: Session, task_id: int) -> CaseTask:
    task = session.get(CaseTask, task_id)
    if task is None:
        raise TaskNotFound(f"no task {task_id}")
    return task


def _reference(session: Session, task: CaseTask) -> str:
    case = session.get(Case, task.case_id)
    assert case is not None  # a foreign key
    return case.reference


def assign(engine: Engine, task_id: int, assignee: str | None, *, by: str) -> str:
    """Give the task to a staff member (None: nobody); returns the case reference."""
    with _unit_of_work(engine) as session:
        task = _load(session, task_id)
        before = task.assignee
        task.assignee = (assignee or "").strip()[:64] or None
        task.updated_at = utcnow()
        audit.record(
            session,
            actor=by,
            action="task.assigned",
            case_id=task.case_id,
            task_id=task_id,
            title=task.title,
            before=before,
            after=task.assignee,
        )
        return _reference(session, task)


def close_task(engine: Engine, task_id: int, status: str, *, by: str, note: str = "") -> str:
    """Done, or not applicable (which needs a note saying why); returns the case reference."""
    try:
        new = TaskStatus(status)
    except ValueError as exc:
        raise TaskRefused(f"unknown task status {status!r}", "Onbekende status voor een taak.") from exc
    note = note.strip()
    if new is TaskStatus.OPEN:
        raise TaskRefused("close_task needs done or not_applicable")
    if new is TaskStatus.NOT_APPLICABLE and not note:
        raise TaskRefused(
            "not applicable needs a note", "Schrijf bij ‘niet van toepassing’ in een notitie waarom."
        )
    if len(note) > NOTE_MAX_CHARS:
        raise TaskRefused("task note too long", f"Een notitie is hoogstens {NOTE_MAX_CHARS} tekens.")
    with _unit_of_work(engine) as session:
        task = _load(session, task_id)
        before = task.status.value
        now = utcnow()
        task.status, task.note, task.closed_by, task.closed_at, task.updated_at = (
            new,
            note or None,
            by,
            now,
            now,
        )
        audit.record(
            session,
            actor=by,
            action="task.closed",
            case_id=task.case_id,
            task_id=task_id,
            title=task.title,
            before=before,
            after=new.value,
        )
        return _reference(session, task)


def reopen(engine: Engine, task_id: int, *, by: str) -> str:
    with _unit_of_work(engine) as session:
        task = _load(session, task_id)
        before = task.status.value
        task.status, task.closed_by, task.closed_at, task.updated_at = TaskStatus.OPEN, None, None, utcnow()
        # Open again for a new reason: an earlier override no longer covers it.
        task.override_reason, task.override_by, task.override_at = None, None, None
        audit.record(
            session,
            actor=by,
            action="task.reopened",
            case_id=task.case_id,
            task_id=task_id,
            title=task.title,
            before=before,
        )
        return _reference(session, task)
