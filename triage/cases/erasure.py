"""Erasure in the ``sql`` systems of the register (issue 17): what would be removed, and
removing it after a named approver confirmed.

:func:`plans` shows, per system with ``[[systems.erasure]]`` statements and an erasure task
on the case, the rows the system's read queries found (the last collection, made with the
case's current identity keys), the statements that would run and those skipped because a key
they bind is not known. Its ``token`` is a digest of exactly that (keys, collected rows,
statements): :func:`run` refuses a token that no longer matches, so an approver never
confirms one picture and erases another.

:func:`run` is the one use case behind the case page's button and ``avgdesk tasks erase``:
the approver's check and an "erasure started" audit event (own transaction), the statements
in ONE transaction on the system's writable connection with ``sql_erasure_timeout_s``
(:func:`avgdesk.triage.sql_connector.erase`), then the counts on the task, which is done
(own transaction). A failure or timeout rolls the system's transaction back: nothing erased,
the task open with the error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import ConnectorFailed, TaskNotFound, TaskRefused
from avgdesk.models.tables import Case, CaseExtract, CaseTask, TaskStatus
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import IDENTITY_KEY_NL
from avgdesk.replies.profile import System
from avgdesk.triage import sql_connector
from avgdesk.triage.cases import audit, collect, tasks
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.triage.settings import Settings

__all__ = ["ErasureOutcome", "ErasurePlan", "PlannedStatement", "plans", "run"]

PREVIEW_ROWS = 20
"""Rows per query shown in the preview (the counts are always complete)."""


@dataclass(frozen=True)
class PlannedStatement:
    name: str
    sql: str
    missing: tuple[str, ...]
    """Dutch names of the keys this statement binds that the case lacks (then it is skipped)."""


@dataclass(frozen=True)
class FoundRows:
    query: str
    row_count: int
    truncated: bool
    columns: list[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class ErasurePlan:
    system_id: str
    system_name: str
    task_id: int
    task_status: str
    collected: bool
    """False: the read queries have not run with the current keys; no erasure yet."""
    found: list[FoundRows]
    statements: list[PlannedStatement]
    token: str
    erasure_counts: dict[str, object] | None = None


@dataclass(frozen=True)
class ErasureOutcome:
    reference: str
    system_id: str
    counts: dict[str, int] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()
    error: str | None = None


def _erasure_systems(settings: Settings) -> dict[str, System]:
    return {s.id: s for s in tasks.systems(settings) if s.connector == "sql" and s.erasure}


def _extracts(session: Session, case_id: int, system_id: str) -> list[CaseExtract]:
    return list(
        session.exec(
            select(CaseExtract)
            .where(CaseExtract.case_id == case_id, CaseExtract.system_id == system_id)
            .order_by(col(CaseExtract.id))
        )
    )


def _token(system: System, keys: Mapping[str, str | None], extracts: list[CaseExtract]) -> str:
    """A digest of what the approver sees: keys, collected rows and the statements."""
    seen = {
        "system": system.id,
        "keys": dict(sorted(keys.items())),
        "found": [[e.id, e.query_name, e.row_count, e.rows] for e in extracts],
        "statements": [[s.name, s.sql] for s in system.erasure],
    }
    blob = json.dumps(seen, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _plan(session: Session, case: Case, system: System, task: CaseTask) -> ErasurePlan:
    assert case.id is not None and task.id is not None
    keys = collect.identity_keys(case)
    extracts = _extracts(session, case.id, system.id)
    statements = [
        PlannedStatement(s.name, s.sql, tuple(IDENTITY_KEY_NL[k] for k in s.keys if not keys.get(k)))
        for s in system.erasure
    ]
    found = [
        FoundRows(e.query_name, e.row_count, e.truncated, e.columns, e.rows[:PREVIEW_ROWS]) for e in extracts
    ]
    return ErasurePlan(
        system_id=system.id,
        system_name=system.name,
        task_id=task.id,
        task_status=task.status.value,
        collected=bool(extracts),
        found=found,
        statements=statements,
        token=_token(system, keys, extracts),
        erasure_counts=task.erasure_counts,
    )


def plans(session: Session, case: Case, settings: Settings) -> list[ErasurePlan]:
    """One plan per system with erasure statements and an erasure task on this case."""
    register = _erasure_systems(settings)
    if not register:
        return []
    found = session.exec(
        select(CaseTask)
        .where(CaseTask.case_id == case.id, CaseTask.right == "erasure")
        .order_by(col(CaseTask.id))
    )
    return [_plan(session, case, register[t.system_id], t) for t in found if t.system_id in register]


def _prepare(
    engine: Engine, settings: Settings, reference: str, system_id: str, *, by: str, token: str
) -> tuple[int, System, dict[str, str | None]]:
    """Check everything and record that the run starts; returns (task id, system, keys)."""
    system = _erasure_systems(settings).get(system_id)
    if system is None:
        raise TaskNotFound(f"system {system_id} has no erasure statements", "Dit systeem kent geen wissen.")
    with unit_of_work(engine) as session:
        tasks.require_approver(session, by, "wissen in een systeem uitvoeren")
        case, keys = collect.verified_keys(session, reference)
        task = session.exec(
            select(CaseTask).where(
                CaseTask.case_id == case.id, CaseTask.system_id == system_id, CaseTask.right == "erasure"
            )
        ).first()
        if task is None or task.id is None:
            raise TaskNotFound(
                f"case {reference}: no erasure task for {system_id}", "Deze zaak vraagt hier geen wissen."
            )
        if task.status is not TaskStatus.OPEN:
            raise TaskRefused(
                f"task {task.id} is {task.status.value}",
                "Deze taak is al afgesloten; heropen haar om opnieuw te wissen.",
            )
        plan = _plan(session, case, system, task)
        if not plan.collected:
            raise TaskRefused(
                "nothing collected: no preview",
                "Haal eerst de gegevens op: pas als u ziet wat er wordt gewist, kan het wissen.",
            )
        if token != plan.token:
            raise TaskRefused(
                "the preview changed since it was confirmed",
                "Wat er zou worden gewist is intussen veranderd; bekijk het overzicht opnieuw en "
                "bevestig dan.",
            )
        audit.record(session, actor=by, action="system.erase_started", case_id=case.id, system=system_id)
        # Crash after this commit and before the system's commit: "started" without an outcome
        # on the case page; the system rolled back, so running it again is safe.
        return task.id, system, keys


def run(
    engine: Engine, settings: Settings, reference: str, system_id: str, *, by: str, token: str
) -> ErasureOutcome:
    """Use case: erase the case's requester in one ``sql`` system after ``by`` (an approver)
    confirmed the preview whose ``token`` they saw. A connector failure is returned (the task
    stays open with it), not raised; refusals of the rules are raised."""
    task_id, system, keys = _prepare(engine, settings, reference, system_id, by=by, token=token)
    try:
        result = sql_connector.erase(
            system, keys, url=sql_connector.erase_url_for(system), timeout_s=settings.sql_erasure_timeout_s
        )
    except ConnectorFailed as exc:
        return _failed(engine, reference, task_id, system, exc, by=by)
    return _done(engine, reference, task_id, system, keys, result, by=by)


def _failed(
    engine: Engine, reference: str, task_id: int, system: System, exc: ConnectorFailed, *, by: str
) -> ErasureOutcome:
    reason = f"Wissen mislukt, niets gewist: {exc}"
    with unit_of_work(engine) as session:
        task = session.get(CaseTask, task_id)
        assert task is not None
        task.last_error, task.updated_at = reason, utcnow()
        audit.record(
            session,
            actor=by,
            action="system.erase_failed",
            case_id=task.case_id,
            system=system.id,
            error=type(exc.__cause__ or exc).__name__,
        )
    # Crash before this commit: the task shows no error, but nothing was erased either.
    return ErasureOutcome(reference, system.id, error=reason)


def _done(
    engine: Engine,
    reference: str,
    task_id: int,
    system: System,
    keys: Mapping[str, str | None],
    result: sql_connector.ErasureResult,
    *,
    by: str,
) -> ErasureOutcome:
    parts = [f"{name} {n} {'rij' if n == 1 else 'rijen'}" for name, n in result.counts.items()]
    note = f"avgdesk wiste in {system.name}: {', '.join(parts) or 'niets'}"
    if result.skipped:
        note += f"; {collect.skipped_note(system, result.skipped, keys)}"
    with unit_of_work(engine) as session:
        task = session.get(CaseTask, task_id)
        assert task is not None
        # Two approvers at once: the second run found what the first left (0 rows); the
        # first run's counts stay on the task, the audit trail keeps both.
        if task.status is TaskStatus.OPEN:
            _record_on_task(task, note, result, by=by)
        _forget_preview(session, task.case_id, system.id)
        audit.record(
            session,
            actor=by,
            action="system.erased",
            case_id=task.case_id,
            system=system.id,
            title=task.title,
            counts=result.counts,
            skipped=result.skipped,
            keys=sorted(k for k, v in keys.items() if v),
        )
    # Crash before this commit: erased in the system but not recorded here; the task stays
    # open with "started" in the audit trail, and a second run records 0 rows.
    return ErasureOutcome(reference, system.id, counts=result.counts, skipped=tuple(result.skipped))


def _record_on_task(task: CaseTask, note: str, result: sql_connector.ErasureResult, *, by: str) -> None:
    now = utcnow()
    task.status, task.closed_by, task.closed_at, task.updated_at = TaskStatus.DONE, by, now, now
    task.note, task.last_error = note, None
    task.erasure_counts = {
        "counts": result.counts,
        "skipped": result.skipped,
        "by": by,
        "at": now.isoformat(),
    }


def _forget_preview(session: Session, case_id: int, system_id: str) -> None:
    """The collected copy of erased rows goes too, unless an access or portability answer of
    this case still needs it for its package."""
    case = session.get(Case, case_id)
    if case is not None and not {"access", "portability"} & set(case.rights):
        session.execute(
            delete(CaseExtract).where(
                col(CaseExtract.case_id) == case_id, col(CaseExtract.system_id) == system_id
            )
        )
