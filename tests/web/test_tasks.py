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
