"""The case page shows the classifier's runner-up label when it was close (issue 15)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, InboundMessage


def test_case_page_shows_the_runner_up(client: TestClient, login: Any, web_engine: Any) -> None:
    with Session(web_engine) as s:
        msg = s.exec(select(InboundMessage).where(col(InboundMessage.case_id).is_not(None))).first()
        assert msg is not None
        case = s.get(Case, msg.case_id)
        assert case is not None
        ref = case.reference
        msg.runner_up = {"label": "objection", "score": 0.31}
        s.add(msg)
        s.commit()
    login(client, "mw")
    client_page = client.get(f"/cases/{ref}").text
    assert "Tweede keuze" in client_page and "31%" in client_page.split("Tweede keuze", 1)[1][:300]
    with Session(web_engine) as s:
        msg = s.exec(select(InboundMessage).where(col(InboundMessage.case_id).is_not(None))).first()
        assert msg is not None
        msg.runner_up = None
        s.add(msg)
        s.commit()
    plain = client.get(f"/cases/{ref}").text
    assert "Tweede keuze" not in plain
