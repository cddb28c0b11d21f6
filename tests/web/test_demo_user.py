"""Issue 14 item 9: the demo login is an admin, so the tour can open /users."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import User
from avgdesk.web.plugin import DEMO_PASSWORD, DEMO_USERNAME, ensure_demo_user


def test_demo_user_is_an_admin_and_can_open_users(app_factory: Any, web_engine: Any, login: Any) -> None:
    ensure_demo_user(web_engine)
    with Session(web_engine) as s:
        user = s.exec(select(User).where(User.username == DEMO_USERNAME)).one()
    assert str(getattr(user.role, "value", user.role)) == "admin"
    with TestClient(app_factory(), follow_redirects=False) as c:
        login(c, DEMO_USERNAME, DEMO_PASSWORD)
        assert c.get("/users").status_code == 200
