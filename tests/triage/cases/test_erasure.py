"""Issue 17: erasure in an sql system, against a real sample CRM on SQLite and PostgreSQL (two
customers who share a surname). The preview shows what the read queries found; only a named
approver can run the statements, in one transaction, for exactly the approved person; a
failing or slow statement rolls everything back and leaves the task open with the error.
Identity keys: the customer number recorded on the case binds :customer_number; a statement
whose key the case lacks is skipped with a note, never run with NULL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from crm import create_crm
from helpers import FixedLabels, mail
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, select

from avgdesk.models.errors import ApproverRequired, TaskRefused
from avgdesk.models.tables import AuditEvent, Case, CaseExtract, CaseTask, TaskStatus, User
from avgdesk.models.vocabulary import Role
from avgdesk.replies.profile import default_profile_path
from avgdesk.triage.cases import collect, erasure
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

# The shipped profile's CRM erases by address; this one by the customer number staff record.
BY_NUMBER = {
    "lower(email) = lower(:email))": "customer_number = :customer_number)",
    'WHERE lower(email) = lower(:email)"': 'WHERE customer_number = :customer_number"',
}


def _profile(tmp_path: Path, replace: dict[str, str]) -> Path:
    body = default_profile_path().read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in body, old
        body = body.replace(old, new)
    path = tmp_path / "controller.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _setup(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: Any, **settings: Any
) -> tuple[Any, str]:
    create_crm(db_url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_ERASE_URL", db_url)
    config = make_settings(**settings)
    raw = mail(1, sender="jan.devries@example.nl", body="Verwijder al mijn gegevens #erasure")
    store_local_message(engine, raw, received_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    Processor(engine, config, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
        s.add(case)
        s.add(User(username="gk", password_hash="x", role=Role.APPROVER))
        s.add(User(username="mw", password_hash="x", role=Role.MEDEWERKER))
        s.commit()
        return config, case.reference


def _crm(db_url: str, sql: str) -> list[Any]:
    eng = create_engine(db_url)
    with eng.connect() as conn:
        rows = list(conn.execute(text(sql)))
    eng.dispose()
    return rows


def _plan(engine: Any, config: Any, ref: str) -> erasure.ErasurePlan:
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == ref)).one()
        [plan] = erasure.plans(s, case, config)
        return plan


def _crm_task(engine: Any) -> CaseTask:
    with Session(engine) as s:
        return s.exec(select(CaseTask).where(CaseTask.system_id == "crm", CaseTask.right == "erasure")).one()


def test_erasure_deletes_exactly_the_approved_person(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config, ref = _setup(
        engine, make_settings, db_url, monkeypatch, controller_profile=_profile(tmp_path, BY_NUMBER)
    )
    plan = _plan(engine, config, ref)
    assert not plan.collected and [s.missing for s in plan.statements] == [("klantnummer",)] * 2
    with pytest.raises(TaskRefused, match="nothing collected"):
        erasure.run(engine, config, ref, "crm", by="gk", token=plan.token)
    collect.collect(engine, config, ref, by="mw")
    collect.set_identity_keys(engine, ref, customer_number="K-1001", contract_number="", by="mw")
    assert not _plan(engine, config, ref).collected  # a key changed: collect again
    collect.collect(engine, config, ref, by="mw")
    plan = _plan(engine, config, ref)
    assert [(f.query, f.row_count) for f in plan.found] == [("klantgegevens", 1), ("contracten", 2)]
    assert [s.missing for s in plan.statements] == [(), ()]
    with pytest.raises(ApproverRequired):
        erasure.run(engine, config, ref, "crm", by="mw", token=plan.token)
    with pytest.raises(TaskRefused, match="preview changed"):
        erasure.run(engine, config, ref, "crm", by="gk", token="0" * 32)
    assert len(_crm(db_url, "SELECT * FROM contracts")) == 3  # refusals touched nothing
    outcome = erasure.run(engine, config, ref, "crm", by="gk", token=plan.token)
    assert outcome.error is None and outcome.counts == {"contracten_wissen": 2, "klant_wissen": 1}
    # Anna de Vries (same surname, K-1002) and her contract are untouched; Jan is gone.
    assert _crm(db_url, "SELECT customer_number, name FROM customers") == [("K-1002", "Anna de Vries")]
    assert _crm(db_url, "SELECT contract_number FROM contracts") == [("C-601",)]
    task = _crm_task(engine)
    assert task.status is TaskStatus.DONE and task.closed_by == "gk" and task.last_error is None
    assert task.erasure_counts and task.erasure_counts["counts"] == outcome.counts
    assert task.note == "avgdesk wiste in CRM: contracten_wissen 2 rijen, klant_wissen 1 rij"
    with Session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]
        erased = s.exec(select(AuditEvent).where(AuditEvent.action == "system.erased")).one()
        left = list(s.exec(select(CaseExtract)))
    assert actions.index("system.erase_started") < actions.index("system.erased")
    assert erased.actor == "gk" and erased.detail["counts"] == outcome.counts
    assert erased.detail["keys"] == ["customer_number", "email"]
    assert left == []  # an erasure-only case keeps no copy of the erased rows
    with pytest.raises(TaskRefused, match="is done"):
        erasure.run(engine, config, ref, "crm", by="gk", token=plan.token)


def test_a_failing_statement_rolls_everything_back(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, ref = _setup(engine, make_settings, db_url, monkeypatch)
    collect.collect(engine, config, ref, by="mw")
    plan = _plan(engine, config, ref)
    assert [(f.query, f.row_count) for f in plan.found] == [("klantgegevens", 1), ("contracten", 2)]
    # The second statement (customers) now fails after the first deleted Jan's contracts.
    eng = create_engine(db_url)
    with eng.begin() as conn:
        conn.execute(text("ALTER TABLE customers RENAME TO klanten"))
        # DISTINCT: a view no database can delete from (the statement fails, the subquery reads)
        conn.execute(text("CREATE VIEW customers AS SELECT DISTINCT * FROM klanten"))
    eng.dispose()
    outcome = erasure.run(engine, config, ref, "crm", by="gk", token=plan.token)
    assert outcome.error and outcome.error.startswith("Wissen mislukt, niets gewist: system crm:")
    assert "devries" not in outcome.error.lower()
    assert len(_crm(db_url, "SELECT * FROM contracts")) == 3  # never a partial delete
    task = _crm_task(engine)
    assert task.status is TaskStatus.OPEN and task.last_error == outcome.error
    assert task.erasure_counts is None
    with Session(engine) as s:
        failed = s.exec(select(AuditEvent).where(AuditEvent.action == "system.erase_failed")).one()
    assert failed.actor == "gk" and failed.detail["system"] == "crm"


def _slow_delete(db_url: str) -> str:
    if db_url.startswith("sqlite"):
        endless = "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c)"
        return f"DELETE FROM customers WHERE lower(email) = lower(:email) AND {endless} > 0"
    return "DELETE FROM customers WHERE lower(email) = lower(:email) AND pg_sleep(30) IS NOT NULL"


def test_a_slow_statement_is_stopped_and_nothing_is_erased(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    slow = {
        'sql = "DELETE FROM customers WHERE lower(email) = lower(:email)"': f'sql = "{_slow_delete(db_url)}"'
    }
    config, ref = _setup(
        engine,
        make_settings,
        db_url,
        monkeypatch,
        controller_profile=_profile(tmp_path, slow),
        sql_erasure_timeout_s=1.0,
    )
    collect.collect(engine, config, ref, by="mw")
    outcome = erasure.run(engine, config, ref, "crm", by="gk", token=_plan(engine, config, ref).token)
    assert outcome.error and "took too long" in outcome.error
    assert (
        len(_crm(db_url, "SELECT * FROM contracts")) == 3
        and len(_crm(db_url, "SELECT * FROM customers")) == 2
    )
    task = _crm_task(engine)
    assert task.status is TaskStatus.OPEN and task.last_error == outcome.error


def test_a_held_lock_times_out_on_postgresql(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row another session holds: the statement waits, the time limit ends it, rolled back."""
    if db_url.startswith("sqlite"):
        pytest.skip("row locks are PostgreSQL's; SQLite's whole-file lock is the busy timeout")
    config, ref = _setup(engine, make_settings, db_url, monkeypatch, sql_erasure_timeout_s=1.0)
    collect.collect(engine, config, ref, by="mw")
    token = _plan(engine, config, ref).token
    holder = create_engine(db_url)
    with holder.connect() as conn:
        conn.execute(text("SELECT * FROM customers WHERE customer_number = 'K-1001' FOR UPDATE"))
        outcome = erasure.run(engine, config, ref, "crm", by="gk", token=token)
        conn.rollback()
    holder.dispose()
    assert outcome.error and "took too long" in outcome.error
    assert len(_crm(db_url, "SELECT * FROM contracts")) == 3
    assert _crm_task(engine).status is TaskStatus.OPEN


def test_an_unknown_key_skips_with_a_note_never_null(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A query by contract number when the case has none: skipped and noted, not run with NULL
    (a NULL-matching query such as 'IS NOT DISTINCT FROM' would otherwise find rows)."""
    by_contract = (
        'sql = "SELECT k.customer_number, c.contract_number, c.product, c.start_date, c.end_date '
        "FROM contracts c JOIN customers k ON k.id = c.customer_id WHERE lower(k.email) = lower(:email) "
        'ORDER BY c.contract_number"'
    )
    null_matching = (
        'sql = "SELECT contract_number, product FROM contracts '
        'WHERE contract_number IS NOT DISTINCT FROM :contract_number OR end_date IS NULL"'
    )
    config, ref = _setup(
        engine,
        make_settings,
        db_url,
        monkeypatch,
        controller_profile=_profile(tmp_path, {by_contract: null_matching}),
    )
    [outcome] = collect.collect(engine, config, ref, by="mw")
    assert outcome.skipped == ("contracten",) and outcome.rows == 1
    with Session(engine) as s:
        task = s.exec(select(CaseTask).where(CaseTask.system_id == "crm")).one()
        assert [e.query_name for e in s.exec(select(CaseExtract))] == ["klantgegevens"]
    assert task.note == "avgdesk vond 1 rij in CRM; niet uitgevoerd: contracten (contractnummer onbekend)"
    collect.set_identity_keys(engine, ref, customer_number="", contract_number="C-601", by="mw")
    [outcome] = collect.collect(engine, config, ref, by="mw")
    assert outcome.skipped == () and outcome.rows == 1 + 2  # C-601, and the contract without end date


def test_an_update_anonymises_and_counts_its_rows(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An UPDATE statement (anonymise, keep the row) reports the rows it changed."""
    anonymise = {
        'sql = "DELETE FROM customers WHERE lower(email) = lower(:email)"': (
            "sql = \"UPDATE customers SET name = 'geanonimiseerd', email = NULL, phone = NULL "
            'WHERE lower(email) = lower(:email)"'
        )
    }
    config, ref = _setup(
        engine, make_settings, db_url, monkeypatch, controller_profile=_profile(tmp_path, anonymise)
    )
    collect.collect(engine, config, ref, by="mw")
    outcome = erasure.run(engine, config, ref, "crm", by="gk", token=_plan(engine, config, ref).token)
    assert outcome.counts == {"contracten_wissen": 2, "klant_wissen": 1}
    assert _crm(db_url, "SELECT customer_number, name, email FROM customers ORDER BY 1") == [
        ("K-1001", "geanonimiseerd", None),
        ("K-1002", "Anna de Vries", "anna.devries@example.nl"),
    ]
