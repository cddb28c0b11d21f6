"""The case page's forms against the rules of closing and of a possible breach (browser
walk of the demo as a privacy officer, defects 2-4)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case


def _first_open(engine: Engine) -> str:
    with Session(engine) as s:
        return s.exec(select(Case).order_by(col(Case.reference))).first().reference  # type: ignore[union-attr]


def test_closing_as_gesloten_asks_for_a_reason_and_shows_it(
    client: TestClient, web_engine: Engine, login: Any, csrf_of: Any
) -> None:
    login(client, "mw")
    ref = _first_open(web_engine)
    page = client.get(f"/cases/{ref}").text
    assert "verplicht bij ‘gesloten’" in page
    token = csrf_of(client, f"/cases/{ref}")
    form = {"csrf_token": token, "outcome": "closed", "confirm": "1"}
    refused = client.post(f"/cases/{ref}/close", data=form)
    assert refused.status_code == 409 and "vraagt een reden" in refused.text
    done = client.post(f"/cases/{ref}/close", data={**form, "justification": "Dubbel verzoek"})
    assert done.status_code == 303
    page = client.get(f"/cases/{ref}").text
    assert "Reden: Dubbel verzoek" in page  # the timeline


def test_kennelijk_ongegrond_is_offered_only_to_approvers(
    app_factory: Any, web_engine: Engine, login: Any
) -> None:
    ref = _first_open(web_engine)
    for user, offered in (("mw", False), ("goedkeurder", True), ("beheer", True)):
        with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as c:
            login(c, user)
            page = c.get(f"/cases/{ref}").text
        assert ('value="unfounded"' in page) is offered, user
        assert ("kennelijk ongegrond of buitensporig" in page) is offered, user
        assert 'value="closed"' in page and 'value="withdrawn"' in page
