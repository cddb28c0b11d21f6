"""Collect a requester's data from the ``sql`` systems of the register (issue 17): the
use case behind "Gegevens ophalen" on the case page and ``avgdesk``'s package builder.

The queries run outside any avgdesk transaction (another database, maybe slow); what they
return is stored per system in one transaction (``case_extract``, replacing an earlier
collection), with the counts written on the system's tasks and an audit event. A system
that fails stores nothing: its tasks stay open with the reason (``last_error``).
Only for a verified requester: the address searched for must be the person's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import ConnectorFailed, TaskRefused
from avgdesk.models.tables import CaseExtract, CaseTask, TaskStatus
from avgdesk.models.types import utcnow
from avgdesk.replies.profile import System
from avgdesk.triage import sql_connector
from avgdesk.triage.cases import audit, lifecycle, tasks
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.triage.settings import Settings

__all__ = ["SystemOutcome", "collect"]


@dataclass(frozen=True)
class SystemOutcome:
    system_id: str
    rows: int = 0
    truncated: bool = False
    error: str | None = None


def _targets(session: Session, reference: str, settings: Settings) -> tuple[int, str, list[System]]:
    case = lifecycle.find_case(session, reference)
    if case.identity_verified_at is None or not case.requester_email:
        raise TaskRefused(
            f"case {reference}: identity not verified; no data collected",
            "Stel eerst de identiteit van de verzoeker vast: pas dan haalt avgdesk gegevens op "
            "bij dit e-mailadres.",
        )
    assert case.id is not None
    with_tasks = set(session.exec(select(CaseTask.system_id).where(CaseTask.case_id == case.id)))
    systems = [s for s in tasks.systems(settings) if s.connector == "sql" and s.id in with_tasks]
    return case.id, case.requester_email, systems


def _store(
    engine: Engine, case_id: int, system: System, results: list[sql_connector.QueryResult], *, by: str
) -> SystemOutcome:
    rows = sum(len(r.rows) for r in results)
    truncated = any(r.truncated for r in results)
    with unit_of_work(engine) as session:
        session.execute(
            delete(CaseExtract).where(
                col(CaseExtract.case_id) == case_id, col(CaseExtract.system_id) == system.id
            )
        )
        for r in results:
            session.add(
                CaseExtract(
                    case_id=case_id,
                    system_id=system.id,
                    query_name=r.query,
                    category=r.category,
                    columns=r.columns,
                    rows=r.rows,
                    row_count=len(r.rows),
                    truncated=r.truncated,
                    collected_by=by,
                )
            )
        found = f"avgdesk vond {rows} {'rij' if rows == 1 else 'rijen'} in {system.name}"
        if truncated:
            found += " (meer dan de limiet: kijk ook in het systeem zelf)"
        _mark_tasks(session, case_id, system.id, note=found, error=None)
        counts = {r.query: len(r.rows) for r in results}
        audit.record(
            session, actor=by, action="system.collected", case_id=case_id, system=system.id, rows=counts
        )
    # Crash before the commit above: nothing stored, the task stays as it was; run it again.
    return SystemOutcome(system.id, rows=rows, truncated=truncated)


def _mark_tasks(
    session: Session, case_id: int, system_id: str, *, note: str | None, error: str | None
) -> None:
    now = utcnow()
    for task in session.exec(
        select(CaseTask).where(
            CaseTask.case_id == case_id, CaseTask.system_id == system_id, CaseTask.status == TaskStatus.OPEN
        )
    ):
        task.last_error = error
        if note is not None:
            task.note = note
        task.updated_at = now


def _failed(engine: Engine, case_id: int, system: System, exc: ConnectorFailed, *, by: str) -> SystemOutcome:
    reason = f"Ophalen mislukt: {exc}"
    with unit_of_work(engine) as session:
        _mark_tasks(session, case_id, system.id, note=None, error=reason)
        audit.record(
            session,
            actor=by,
            action="system.collect_failed",
            case_id=case_id,
            system=system.id,
            error=type(exc.__cause__ or exc).__name__,
        )
    return SystemOutcome(system.id, error=reason)


def collect(engine: Engine, settings: Settings, reference: str, *, by: str) -> list[SystemOutcome]:
    """Run every ``sql`` system's queries for the case's verified requester and keep the rows."""
    with unit_of_work(engine) as session:
        case_id, email, systems = _targets(session, reference, settings)
    outcomes = []
    for system in systems:
        try:
            results = sql_connector.read_person(
                system,
                email,
                url=sql_connector.url_for(system),
                max_rows=settings.sql_connector_max_rows,
                timeout_s=settings.sql_connector_timeout_s,
            )
        except ConnectorFailed as exc:
            outcomes.append(_failed(engine, case_id, system, exc, by=by))
            continue
        outcomes.append(_store(engine, case_id, system, list(results), by=by))
    return outcomes
