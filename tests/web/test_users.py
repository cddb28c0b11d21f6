"""The users page: disabling an account takes a confirmation step (a page and a
checkbox, no JavaScript); nobody disables themselves, nor the last active admin."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import User
from avgdesk.web.users import LastAdmin, add_user, disable_user


def _active(engine: Any, name: str) -> bool:
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == name)).one()
        return user.active


def test_disabling_asks_for_confirmation(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "beheer")
    page = client.get("/users").text
    # The list offers a link to the confirmation step, not a one-click form.
    assert 'action="/users/mw/disable"' not in page
    assert 'href="/users/mw/disable"' in page
    confirm = client.get("/users/mw/disable")
    assert confirm.status_code == 200 and _active(web_engine, "mw")
    assert "Account mw uitschakelen?" in confirm.text
    assert re.search(r'<input type="checkbox" name="confirm" value="1" required>', confirm.text)
    token = csrf_of(client, "/users")
    r = client.post("/users/mw/disable", data={"csrf_token": token})
    assert r.status_code == 409 and "Vink aan dat u dit account wilt uitschakelen." in r.text
    assert _active(web_engine, "mw")
    r = client.post("/users/mw/disable", data={"csrf_token": token, "confirm": "1"})
    assert r.status_code == 303 and not _active(web_engine, "mw")
    assert client.get("/users/niemand/disable").status_code == 404


def test_nobody_disables_themselves(client: TestClient, login: Any, csrf_of: Any, web_engine: Any) -> None:
    login(client, "beheer")
    token = csrf_of(client, "/users")
    r = client.post("/users/beheer/disable", data={"csrf_token": token, "confirm": "1"})
    assert r.status_code == 409 and "U kunt uw eigen account niet uitschakelen." in r.text
    assert _active(web_engine, "beheer")


def test_the_last_active_admin_stays(web_engine: Any) -> None:
    with Session(web_engine) as s:
        with pytest.raises(LastAdmin):
            disable_user(s, "beheer", by="cli")
        add_user(s, "tweede", "admin", "een zin van vijf lange woorden", by="test")
        disable_user(s, "beheer", by="cli")  # another admin remains
        with pytest.raises(LastAdmin):
            disable_user(s, "tweede", by="cli")
        s.rollback()
    assert _active(web_engine, "beheer")


def test_two_admins_disabling_each_other_at_once_leave_one(engine: Any, monkeypatch: Any) -> None:
    """An attack review found both succeeding on PostgreSQL (each saw the other still active)."""
    import threading
    import time

    from avgdesk.web import users

    with Session(engine) as s:
        add_user(s, "adm1", "admin", "correct horse battery staple one")
        add_user(s, "adm2", "admin", "correct horse battery staple two")
        s.commit()
    slow_get = users._get

    def slowed(session: Session, username: str) -> User:
        user = slow_get(session, username)
        time.sleep(0.3)  # both transactions have read their target before either counts
        return user

    monkeypatch.setattr(users, "_get", slowed)
    refused: list[str] = []

    def disable(victim: str, me: str) -> None:
        try:
            users.deactivate_user(engine, victim, by=me)
        except LastAdmin:
            refused.append(victim)

    threads = [threading.Thread(target=disable, args=pair) for pair in (("adm1", "adm2"), ("adm2", "adm1"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(refused) == 1
    assert [_active(engine, name) for name in ("adm1", "adm2")].count(True) == 1


@pytest.mark.parametrize("name", ["system:triage", "System", "cli", "a/b", "naam met spatie", "x" * 65, ""])
def test_names_that_would_pass_for_the_system_or_break_links_are_refused(engine: Any, name: str) -> None:
    """Attack review: an account named system:triage showed as 'avgdesk (verwerking)' on
    the drafts pages, 'cli' could not be disabled from the command line, and a '/' broke
    the disable link."""
    from avgdesk.models.errors import InvalidOperation

    with Session(engine) as s, pytest.raises(InvalidOperation):
        add_user(s, name, "medewerker", "correct horse battery staple")


def test_ordinary_names_and_addresses_are_accepted(engine: Any) -> None:
    with Session(engine) as s:
        for name in ("anna", "j.de-vries", "privacy@nhmb.example", "piet_2"):
            add_user(s, name, "medewerker", "correct horse battery staple")
        s.commit()
