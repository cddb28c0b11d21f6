"""Issue 17: the task checklist on the case page, through HTTP — listed with owner and
status, assigned, closed (not applicable needs a note: refused in Dutch), reopened; an
access answer cannot be approved while its tasks are open."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, CaseTask, InboundMessage, TaskStatus


def _access_case(engine: Any) -> tuple[str, list[CaseTask]]:
    with Session(engine) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == "Inzageverzoek")).one()
        case = s.get(Case, msg.case_id)
        assert case is not None
        query = select(CaseTask).where(CaseTask.case_id == case.id).order_by(col(CaseTask.id))
        tasks = list(s.exec(query))
        return case.reference, tasks


def test_case_page_lists_and_closes_tasks(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "mw")
    ref, tasks = _access_case(web_engine)
    assert len(tasks) == 5
    page = client.get(f"/cases/{ref}").text
    assert "Taken in de systemen (5 open)" in page
    assert "Zoek gegevens in CRM" in page and "Verkoop (demo)" in page and "gekoppeld" in page
    token = csrf_of(client, f"/cases/{ref}")
    first = tasks[0].id
    r = client.post(f"/tasks/{first}/assign", data={"csrf_token": token, "assignee": "mw"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{ref}#taken"
    r = client.post(f"/tasks/{first}/close", data={"csrf_token": token, "status": "not_applicable"})
    assert r.status_code == 409 and "niet van toepassing" in r.text and "notitie" in r.text
    r = client.post(
        f"/tasks/{first}/close",
        data={"csrf_token": token, "status": "not_applicable", "note": "Geen klant <b>CRM</b>"},
    )
    assert r.status_code == 303
    page = client.get(f"/cases/{ref}").text
    assert "(4 open)" in page and "Geen klant &lt;b&gt;CRM&lt;/b&gt;" in page
    assert re.search(rf'id="taak-{first}" data-status="not_applicable"', page)
    assert client.post("/tasks/999999/close", data={"csrf_token": token, "status": "done"}).status_code == 404
    r = client.post(f"/tasks/{first}/reopen", data={"csrf_token": token})
    assert r.status_code == 303
    with Session(web_engine) as s:
        task = s.get(CaseTask, first)
        assert task is not None and task.status is TaskStatus.OPEN and task.assignee == "mw"
    # Without the CSRF token nothing changes.
    assert client.post(f"/tasks/{first}/close", data={"status": "done"}).status_code in (400, 403)
    client.cookies.clear()
    assert (
        client.post(f"/tasks/{first}/close", data={"csrf_token": token, "status": "done"}).status_code == 401
    )
    with Session(web_engine) as s:
        task = s.get(CaseTask, first)
        assert task is not None and task.status is TaskStatus.OPEN  # staff only


def test_collect_button_refuses_before_identity(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "mw")
    ref, _ = _access_case(web_engine)
    page = client.get(f"/cases/{ref}").text
    assert "Gegevens ophalen uit gekoppelde systemen" in page
    token = csrf_of(client, f"/cases/{ref}")
    r = client.post(f"/cases/{ref}/collect", data={"csrf_token": token})
    assert r.status_code == 409 and "identiteit" in r.text


# --- erasure and the override (issue 17) ------------------------------------------------------


def _erasure_case(engine: Any, tmp_path: Any, monkeypatch: Any) -> str:
    """The seeded erasure request, from Jan de Vries of the sample CRM, identity verified."""
    from datetime import UTC, datetime

    from crm import create_crm

    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    create_crm(url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_ERASE_URL", url)
    with Session(engine) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == "Verwijder mijn account")).one()
        case = s.get(Case, msg.case_id)
        assert case is not None and "erasure" in case.rights
        case.requester_email = "jan.devries@example.nl"
        case.identity_verified_at = datetime.now(UTC)
        s.add(case)
        s.commit()
        return case.reference


def _crm_names(tmp_path: Any) -> list[str]:
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.sqlite3") as conn:
        return [r[0] for r in conn.execute("SELECT customer_number FROM customers ORDER BY 1")]


def test_only_an_approver_runs_the_erasure_after_the_preview(
    app_factory: Any, login: Any, csrf_of: Any, web_engine: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    ref = _erasure_case(web_engine, tmp_path, monkeypatch)
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as mw:
        login(mw, "mw")
        token = csrf_of(mw, f"/cases/{ref}")
        page = mw.get(f"/cases/{ref}").text
        assert "Wissen in CRM" in page and "Haal eerst de gegevens op" in page
        keys = {"csrf_token": token, "customer_number": "K-1001", "contract_number": ""}
        assert mw.post(f"/cases/{ref}/identity-keys", data=keys).status_code == 303
        assert mw.post(f"/cases/{ref}/collect", data={"csrf_token": token}).status_code == 303
        page = mw.get(f"/cases/{ref}").text
        assert "klantgegevens: 1 rij" in page and "Jan de Vries" in page and "Anna de Vries" not in page
        assert 'value="K-1001"' in page and "Alleen een goedkeurder kan het wissen uitvoeren" in page
        preview = re.search(r'name="token" value="([0-9a-f]+)"', page)
        assert preview is None  # no form for a medewerker
        r = mw.post(f"/cases/{ref}/erase/crm", data={"csrf_token": token, "token": "x", "confirm": "ja"})
        assert r.status_code == 403
        r = mw.post(
            f"/cases/{ref}/tasks/override", data={"csrf_token": token, "right": "erasure", "reason": "x"}
        )
        assert r.status_code == 403
    assert _crm_names(tmp_path) == ["K-1001", "K-1002"]
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as gk:
        login(gk, "goedkeurder")
        token = csrf_of(gk, f"/cases/{ref}")
        page = gk.get(f"/cases/{ref}").text
        found = re.search(r'name="token" value="([0-9a-f]+)"', page)
        assert found and "contracten_wissen" in page and "DELETE FROM contracts" in page
        form = {"csrf_token": token, "token": found.group(1)}
        r = gk.post(f"/cases/{ref}/erase/crm", data=form)
        assert r.status_code == 409 and "Vink eerst aan" in r.text  # not confirmed
        r = gk.post(f"/cases/{ref}/erase/crm", data={**form, "token": "0" * 32, "confirm": "ja"})
        assert r.status_code == 409 and "intussen veranderd" in r.text
        assert _crm_names(tmp_path) == ["K-1001", "K-1002"]
        r = gk.post(f"/cases/{ref}/erase/crm", data={**form, "confirm": "ja"})
        assert r.status_code == 303 and r.headers["location"] == f"/cases/{ref}#taken"
        assert _crm_names(tmp_path) == ["K-1002"]  # Jan gone, Anna de Vries kept
        page = gk.get(f"/cases/{ref}").text
        assert "Gewist door goedkeurder: contracten_wissen: 2 rijen, klant_wissen: 1 rij" in page
        reason = {
            "csrf_token": token,
            "right": "erasure",
            "reason": "Nieuwsbrief <b>handmatig</b> gecontroleerd",
        }
        assert gk.post(f"/cases/{ref}/tasks/override", data=reason).status_code == 303
        page = gk.get(f"/cases/{ref}").text
        assert "goedkeurder staat het antwoord toch toe: Nieuwsbrief &lt;b&gt;handmatig&lt;/b&gt;" in page
        # The timeline says it in Dutch: started, erased with the count, the override and why.
        assert "Wissen in crm gestart" in page and "Gewist in crm: 3 rijen" in page
        assert "Antwoord toegestaan ondanks 4 open taken: Nieuwsbrief &lt;b&gt;handmatig" in page
    with Session(web_engine) as s:
        task = s.exec(select(CaseTask).where(CaseTask.system_id == "crm", CaseTask.right == "erasure")).one()
        assert task.status is TaskStatus.DONE and task.closed_by == "goedkeurder"
