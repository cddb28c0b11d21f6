"""Staff never see internal names: roles by their Dutch names on the 403 page, the
pipeline's author as the timeline names it, and a malformed id is a Dutch 404."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import Draft
from avgdesk.triage.cases.timeline import actor_nl


def test_the_403_page_names_roles_in_dutch(client: TestClient, login: Any, csrf_of: Any) -> None:
    login(client, "mw")
    token = csrf_of(client, "/drafts/1")
    r = client.post("/drafts/1/approve", data={"csrf_token": token, "version": "1"})
    assert r.status_code == 403
    assert "Hiervoor is de rol goedkeurder nodig; u bent medewerker." in r.text
    r = client.get("/users")
    assert r.status_code == 403 and "Hiervoor is de rol beheerder nodig; u bent medewerker." in r.text
    assert "approver" not in r.text and "rol admin" not in r.text


def test_the_pipeline_author_has_the_timelines_name(client: TestClient, login: Any, web_engine: Any) -> None:
    with Session(web_engine) as s:
        draft = s.exec(select(Draft).where(Draft.author == "system:triage")).first()
    assert draft is not None
    friendly = actor_nl("system:triage")
    assert friendly != "system:triage"
    login(client, "mw")
    for url in ("/drafts", "/drafts?state=all", f"/drafts/{draft.id}"):
        page = client.get(url).text
        assert "system:triage" not in page, url
        assert friendly in page, url


def test_a_malformed_id_is_a_dutch_404(client: TestClient, login: Any, csrf_of: Any) -> None:
    login(client, "goedkeurder")
    for url in ("/drafts/abc", "/drafts/1x/attachments/1", "/drafts/-", "/drafts/1/attachments/zz"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "Controleer deze velden" not in r.text, url
    assert "Deze brief bestaat niet" in client.get("/drafts/abc").text
    assert "Deze bijlage bestaat niet" in client.get("/drafts/1/attachments/zz").text
    token = csrf_of(client, "/drafts")
    for url in ("/drafts/abc/approve", "/drafts/abc/text", "/drafts/abc/discard", "/drafts/abc/fields"):
        r = client.post(url, data={"csrf_token": token})
        assert r.status_code == 404 and "Deze brief bestaat niet" in r.text, url
    # The number that names nothing says the same.
    assert "Brief 999999 bestaat niet" in client.get("/drafts/999999").text
    assert re.search(r"<title>[^<]*Niet gevonden", client.get("/drafts/abc").text)
