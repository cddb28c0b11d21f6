"""Issue 17: the sql connector against a real sample CRM on SQLite and PostgreSQL — one
person's rows only (two customers share a surname), the row limit, the time limit, read
only, errors without the URL or the address; and the collect use case that stores the rows
per case or leaves the tasks open with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from crm import create_crm
from helpers import FixedLabels, mail
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, select

from avgdesk.models.errors import ConnectorFailed, TaskRefused
from avgdesk.models.tables import AuditEvent, Case, CaseExtract, CaseTask, TaskStatus
from avgdesk.replies import load_profile
from avgdesk.replies.profile import System
from avgdesk.triage import sql_connector
from avgdesk.triage.cases import collect
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

JAN = "Jan.DeVries@example.nl"  # as the customer wrote it: the query compares lower-case
CRM = load_profile().system("crm")
assert CRM is not None


def _system(sql: str) -> System:
    return System.model_validate(
        {
            **CRM.model_dump(),
            "queries": [{"name": "q", "category": "contact", "sql": sql}],
        }
    )


def _read(url: str, system: System = CRM, *, max_rows: int = 100, timeout_s: float = 10.0) -> Any:
    return sql_connector.read_person(system, JAN, url=url, max_rows=max_rows, timeout_s=timeout_s)


def test_one_person_only_with_row_limit(db_url: str) -> None:
    create_crm(db_url, extra_contracts=3)
    klant, contracten = _read(db_url)
    assert klant.columns == ["customer_number", "name", "email", "phone", "street", "city"]
    assert klant.rows == [
        ["K-1001", "Jan de Vries", "jan.devries@example.nl", "06-11111111", "Dorpsstraat 1", "Zevenaar"]
    ]
    assert {row[1] for row in contracten.rows} == {"C-501", "C-502", "C-90000", "C-90001", "C-90002"}
    assert all(row[0] == "K-1001" for row in contracten.rows)  # none of Anna de Vries
    assert contracten.rows[0][3] == "2024-01-01" and not contracten.truncated  # dates as ISO text
    limited = _read(db_url, max_rows=2)[1]
    assert len(limited.rows) == 2 and limited.truncated


def test_the_address_is_bound_never_pasted(db_url: str) -> None:
    create_crm(db_url)
    hostile = "x' OR '1'='1"
    results = sql_connector.read_person(CRM, hostile, url=db_url, max_rows=100, timeout_s=10)
    assert [r.rows for r in results] == [[], []]


def test_a_slow_query_is_stopped(db_url: str) -> None:
    create_crm(db_url)
    if db_url.startswith("sqlite"):
        slow = (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            "SELECT count(*) FROM c WHERE :email IS NOT NULL"
        )
    else:
        slow = "SELECT pg_sleep(30) WHERE CAST(:email AS text) IS NOT NULL"
    with pytest.raises(ConnectorFailed, match="took too long") as failed:
        _read(db_url, _system(slow), timeout_s=0.5)
    assert "devries" not in str(failed.value).lower()


def test_read_only_on_postgresql(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite: the file is opened mode=ro; a SELECT cannot write there")
    create_crm(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE SEQUENCE crm_seq"))
    engine.dispose()
    writes = "SELECT nextval('crm_seq') WHERE CAST(:email AS text) IS NOT NULL"
    with pytest.raises(ConnectorFailed, match="read only"):
        _read(db_url, _system(writes))


def test_unreachable_and_unset(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AVGDESK_SYSTEM_CRM_URL", raising=False)
    with pytest.raises(ConnectorFailed, match="AVGDESK_SYSTEM_CRM_URL is not set"):
        sql_connector.url_for(CRM)
    if db_url.startswith("sqlite"):
        gone = db_url.replace("avgdesk.sqlite3", "missing.sqlite3")
    else:
        gone = "postgresql+psycopg://crm:geheim@127.0.0.1:9/crm"
    with pytest.raises(ConnectorFailed, match="cannot be reached") as failed:
        _read(gone)
    assert "geheim" not in str(failed.value)


# --- the collect use case ---------------------------------------------------------------------


def _case(engine: Any, settings: Any, *, verified: bool) -> str:
    body = "#access"
    raw = mail(1, sender="jan.devries@example.nl", body=body)
    store_local_message(engine, raw, received_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        if verified:
            case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
            case.identity_verified_by = "anna"
            s.add(case)
            s.commit()
        return case.reference


def test_collect_stores_rows_and_notes_the_tasks(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_crm(db_url)
    settings = make_settings()
    ref = _case(engine, settings, verified=False)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    with pytest.raises(TaskRefused) as refused:
        collect.collect(engine, settings, ref, by="anna")
    assert "identiteit" in refused.value.staff_message
    ref = _verify(engine, ref)
    [outcome] = collect.collect(engine, settings, ref, by="anna")
    assert outcome.system_id == "crm" and outcome.rows == 3 and outcome.error is None
    collect.collect(engine, settings, ref, by="anna")  # again: replaces, never doubles
    with Session(engine) as s:
        extracts = list(s.exec(select(CaseExtract).order_by(col(CaseExtract.query_name))))
        crm_task = s.exec(select(CaseTask).where(CaseTask.system_id == "crm")).one()
        events = [e for e in s.exec(select(AuditEvent)) if e.action == "system.collected"]
    assert [(e.query_name, e.row_count) for e in extracts] == [("contracten", 2), ("klantgegevens", 1)]
    assert crm_task.status is TaskStatus.OPEN and crm_task.note == "avgdesk vond 3 rijen in CRM"
    assert events[-1].detail["rows"] == {"klantgegevens": 1, "contracten": 2}
    assert "devries" not in str(events[-1].detail)


def _verify(engine: Any, ref: str) -> str:
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == ref)).one()
        case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
        s.add(case)
        s.commit()
    return ref


def test_a_failing_system_keeps_nothing_and_leaves_the_task_open(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_crm(db_url)
    settings = make_settings()
    ref = _case(engine, settings, verified=True)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    collect.collect(engine, settings, ref, by="anna")
    engine_crm = create_engine(db_url)
    with engine_crm.begin() as conn:
        conn.execute(text("DROP TABLE contracts"))  # the second query now fails
    engine_crm.dispose()
    [outcome] = collect.collect(engine, settings, ref, by="anna")
    assert outcome.error and outcome.error.startswith("Ophalen mislukt: system crm:")
    with Session(engine) as s:
        task = s.exec(select(CaseTask).where(CaseTask.system_id == "crm")).one()
        kept = list(s.exec(select(CaseExtract)))
    assert task.status is TaskStatus.OPEN and task.last_error == outcome.error
    # The earlier, complete collection is kept; nothing of the failed half-run was stored.
    assert sorted(e.row_count for e in kept) == [1, 2]
