"""Collect a requester's data from the ``sql`` systems of the register (issue 17): the
use case behind "Gegevens ophalen" on the case page and ``avgdesk``'s package builder.

The queries run outside any avgdesk transaction (another database, maybe slow); what they
return is stored per system in one transaction (``case_extract``, replacing an earlier
collection), with the counts written on the system's tasks and an audit event. A system
that fails stores nothing: its tasks stay open with the reason (``last_error``).
Only for a verified requester: the address searched for must be the person's own.

Identity keys: the verified address (``:email``) and what staff recorded on the case
(``:customer_number``, ``:contract_number``; :func:`set_identity_keys`). A query whose key
is not known for the case is skipped with a note on the task, never run with NULL. Changing
a key throws the earlier collection away: it was made with the old keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import ConnectorFailed, TaskRefused
from avgdesk.models.tables import Case, CaseExtract, CaseTask, TaskStatus
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import IDENTITY_KEY_NL
from avgdesk.replies.profile import System
from avgdesk.triage import sql_connector
from avgdesk.triage.cases import audit, lifecycle, tasks
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.triage.settings import Settings

__all__ = ["KEY_MAX_CHARS", "SystemOutcome", "collect", "identity_keys", "set_identity_keys", "verified_keys"]


KEY_MAX_CHARS = 64


@dataclass(frozen=True)
class SystemOutcome:
    system_id: str
    rows: int = 0
    truncated: bool = False
    error: str | None = None
    skipped: tuple[str, ...] = ()
    """Queries not run: a key they bind is not known for the case."""


def identity_keys(case: Case) -> dict[str, str | None]:
    """The values the sql systems may bind for this case (None: not known)."""
    return {
        "email": case.requester_email or None,
        "customer_number": case.customer_number or None,
        "contract_number": case.contract_number or None,
    }


def verified_keys(session: Session, reference: str) -> tuple[Case, dict[str, str | None]]:
    """The case and its keys; refused while the requester's identity is not verified."""
    case = lifecycle.find_case(session, reference)
    if case.identity_verified_at is None or not case.requester_email:
        raise TaskRefused(
            f"case {reference}: identity not verified; systems not searched",
            "Stel eerst de identiteit van de verzoeker vast: pas dan zoekt avgdesk in de "
            "gekoppelde systemen.",
        )
    return case, identity_keys(case)


def _targets(
    session: Session, reference: str, settings: Settings
) -> tuple[int, dict[str, str | None], list[System]]:
    case, keys = verified_keys(session, reference)
    assert case.id is not None
    with_tasks = set(session.exec(select(CaseTask.system_id).where(CaseTask.case_id == case.id)))
    systems = [s for s in tasks.systems(settings) if s.connector == "sql" and s.id in with_tasks]
    return case.id, keys, systems


def skipped_note(system: System, skipped: list[str], keys: Mapping[str, str | None]) -> str:
    """Dutch: which queries/statements were not run and which key they lack."""
    statements = {q.name: q.keys for q in system.queries} | {e.name: e.keys for e in system.erasure}
    missing = sorted(
        {IDENTITY_KEY_NL[k] for name in skipped for k in statements.get(name, ()) if not keys.get(k)}
    )
    return f"niet uitgevoerd: {', '.join(skipped)} ({' en '.join(missing)} onbekend)"


def _store(
    engine: Engine, case_id: int, system: System, read: sql_connector.ReadResult, note: str, *, by: str
) -> SystemOutcome:
    results = read.results
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
        if note:
            found += f"; {note}"
        _mark_tasks(session, case_id, system.id, note=found, error=None)
        counts = {r.query: len(r.rows) for r in results}
        audit.record(
            session,
            actor=by,
            action="system.collected",
            case_id=case_id,
            system=system.id,
            rows=counts,
            skipped=read.skipped,
        )
    # Crash before the commit above: nothing stored, the task stays as it was; run it again.
    return SystemOutcome(system.id, rows=rows, truncated=truncated, skipped=tuple(read.skipped))


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
        case_id, keys, systems = _targets(session, reference, settings)
    outcomes = []
    for system in systems:
        try:
            read = sql_connector.read_keys(
                system,
                keys,
                url=sql_connector.url_for(system),
                max_rows=settings.sql_connector_max_rows,
                timeout_s=settings.sql_connector_timeout_s,
            )
        except ConnectorFailed as exc:
            outcomes.append(_failed(engine, case_id, system, exc, by=by))
            continue
        note = skipped_note(system, read.skipped, keys) if read.skipped else ""
        outcomes.append(_store(engine, case_id, system, read, note, by=by))
    return outcomes


def set_identity_keys(
    engine: Engine, reference: str, *, customer_number: str, contract_number: str, by: str
) -> bool:
    """Use case: staff record the requester's customer and contract number (empty: unknown).
    A change throws away rows collected with the old keys (staff collect again, and an
    erasure preview never shows another person's rows). Returns whether anything changed."""
    new = {
        "customer_number": customer_number.strip() or None,
        "contract_number": contract_number.strip() or None,
    }
    for key, value in new.items():
        if value is not None and (len(value) > KEY_MAX_CHARS or not value.isprintable()):
            raise TaskRefused(
                f"{key} not accepted", f"Een {IDENTITY_KEY_NL[key]} is hoogstens {KEY_MAX_CHARS} tekens."
            )
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        before = {"customer_number": case.customer_number, "contract_number": case.contract_number}
        if before == new:
            return False
        case.customer_number, case.contract_number = new["customer_number"], new["contract_number"]
        case.updated_at = utcnow()
        session.execute(delete(CaseExtract).where(col(CaseExtract.case_id) == case.id))
        changed = sorted(k for k in new if new[k] != before[k])
        audit.record(
            session, actor=by, action="case.identity_keys", case_id=case.id, changed=changed, after=new
        )
        # Crash before the commit: the old keys and rows stay. After: new keys, no stale rows.
        return True
