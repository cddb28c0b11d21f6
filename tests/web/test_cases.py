"""The case page's forms against the rules of closing and of a possible breach (browser
walk of the demo as a privacy officer, defects 2-4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, InboundMessage


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


def _overdue_breach(engine: Engine, settings: Any) -> str:
    from webseed import KeywordClassifier

    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor

    raw = (
        b"From: Zoe <zoe@example.nl>\r\nTo: privacy@nhmbsoftware.nl\r\nSubject: Datalek??\r\n"
        b"Message-ID: <leak2@example.nl>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Ik kreeg de factuur van een andere klant, met naam en adres.\r\n"
    )
    store_local_message(engine, raw, source="imap", received_at=datetime.now(UTC) - timedelta(hours=80))
    Processor(engine, settings, classifier=KeywordClassifier()).drain()
    with Session(engine) as s:
        message = s.exec(select(InboundMessage).where(InboundMessage.message_id == "leak2@example.nl")).one()
        case = s.get(Case, message.case_id)
        assert case is not None
        return case.reference


def test_an_overdue_breach_says_so_and_an_approver_records_the_decision(
    app_factory: Any, web_engine: Engine, web_settings: Any, login: Any, csrf_of: Any
) -> None:
    ref = _overdue_breach(web_engine, web_settings)
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as c:
        login(c, "mw")
        page = c.get(f"/cases/{ref}").text
        assert "72 uur verstreken op" in page and "Beslis vóór" not in page
        assert "De waarschuwing aan het privacyteam kon niet worden verstuurd" in page
        assert "Mogelijk datalek gesignaleerd" in page and "Mogelijk datalek gemeld" not in page
        assert f'action="/cases/{ref}/breach"' not in page  # a medewerker does not decide
        dashboard = c.get("/").text.split('id="h-breach"', 1)[1].split("</section>", 1)[0]
        assert ref in dashboard and "te laat, 72 uur verstreken op" in dashboard
        assert "waarschuwing aan het privacyteam kon niet worden verstuurd" in dashboard
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as c:
        login(c, "goedkeurder")
        assert f'action="/cases/{ref}/breach"' in c.get(f"/cases/{ref}").text
        token = csrf_of(c, f"/cases/{ref}")
        form = {"csrf_token": token, "decision": "not_notifiable"}
        refused = c.post(f"/cases/{ref}/breach", data=form)
        assert refused.status_code == 409 and "Niet meldplichtig vraagt een reden" in refused.text
        done = c.post(
            f"/cases/{ref}/breach", data={**form, "reason": "Geen risico: factuur direct verwijderd."}
        )
        assert done.status_code == 303
        page = c.get(f"/cases/{ref}").text
        assert 'id="datalek"' not in page
        assert "niet meldplichtig bij de AP, reden: Geen risico: factuur direct verwijderd." in page
        assert 'id="h-breach"' not in c.get("/").text


def test_an_approver_corrects_a_breach_decision_with_a_reason(
    app_factory: Any, web_engine: Engine, web_settings: Any, login: Any, csrf_of: Any
) -> None:
    ref = _overdue_breach(web_engine, web_settings)
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as c:
        login(c, "goedkeurder")
        token = csrf_of(c, f"/cases/{ref}")
        assert 'id="datalek-correctie"' not in c.get(f"/cases/{ref}").text  # nothing to correct yet
        first = {"csrf_token": token, "decision": "not_notifiable", "reason": "Geen risico."}
        assert c.post(f"/cases/{ref}/breach", data=first).status_code == 303
        assert 'id="datalek-correctie"' in c.get(f"/cases/{ref}").text
        fix = {"csrf_token": token, "decision": "reported", "correction": "1"}
        fix["reported_on"] = (datetime.now(UTC) - timedelta(hours=1)).date().isoformat()
        refused = c.post(f"/cases/{ref}/breach", data=fix)
        assert refused.status_code == 409 and "vraagt een reden" in refused.text
        done = c.post(f"/cases/{ref}/breach", data={**fix, "reason": "Toch gemeld na advies FG"})
        assert done.status_code == 303
        page = c.get(f"/cases/{ref}").text
        assert "Beslissing gecorrigeerd: Datalek gemeld bij de Autoriteit Persoonsgegevens" in page
        assert "niet meldplichtig bij de AP, reden: Geen risico." in page  # the first stays in the timeline
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as c:
        login(c, "mw")  # a medewerker neither decides nor corrects
        assert 'id="datalek-correctie"' not in c.get(f"/cases/{ref}").text
        token = csrf_of(c, f"/cases/{ref}")
        again = {"csrf_token": token, "decision": "not_notifiable", "reason": "x", "correction": "1"}
        assert c.post(f"/cases/{ref}/breach", data=again).status_code == 403
