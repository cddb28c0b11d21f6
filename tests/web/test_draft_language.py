"""Issue 15: staff may write a letter in German; a language without letters is refused in
Dutch, never a server error and never silently replaced by the customer's language."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import Case, Draft


def _reference(engine: Any) -> str:
    with Session(engine) as s:
        return s.exec(select(Case).order_by(Case.id)).first().reference  # type: ignore[union-attr]


def test_the_language_choice_offers_german(client: TestClient, login: Any, web_engine: Any) -> None:
    login(client, "mw")
    page = client.get(f"/cases/{_reference(web_engine)}/drafts/new").text
    for code, name in (("nl", "Nederlands"), ("en", "Engels"), ("de", "Duits")):
        assert f'<option value="{code}">{name}</option>' in page


def test_a_german_draft_is_written_in_german(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "mw")
    token = csrf_of(client)
    ref = _reference(web_engine)
    r = client.post(
        f"/cases/{ref}/drafts/new",
        data={"csrf_token": token, "kind": "clarification_request", "language": "de"},
    )
    assert r.status_code == 303
    with Session(web_engine) as s:
        draft = s.get(Draft, int(r.headers["location"].rsplit("/", 1)[1]))
    assert draft is not None and draft.language == "de" and not draft.render_error
    page = client.get(f"/drafts/{draft.id}").text
    assert "taal Duits" in page  # the language's name, not its code
    assert (
        "Vielen Dank für Ihre Nachricht" in draft.body_text and "Mit freundlichen Grüßen" in draft.body_text
    )


def test_an_unknown_language_is_refused_in_dutch(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "mw")
    token = csrf_of(client)
    ref = _reference(web_engine)
    with Session(web_engine) as s:
        before = len(list(s.exec(select(Draft))))
    r = client.post(
        f"/cases/{ref}/drafts/new",
        data={"csrf_token": token, "kind": "clarification_request", "language": "fr"},
    )
    assert r.status_code == 409 and "Onbekende taal voor de brief" in r.text and "Duits" in r.text
    r = client.post(
        f"/cases/{ref}/drafts/new",
        data={"csrf_token": token, "kind": "clarification_request", "language": "deu"},
    )
    assert r.status_code == 400 and "Ongeldige invoer" in r.text
    with Session(web_engine) as s:
        assert len(list(s.exec(select(Draft)))) == before


def test_the_preview_is_in_the_drafts_language_and_signed_as_the_letter(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    """Review of issue 15: the editor's preview used the case's language and the login name, so
    an English draft on a Dutch case previewed as a Dutch letter signed "mw"."""
    import html
    import re

    login(client, "mw")
    ref = _reference(web_engine)
    with Session(web_engine) as s:
        case_language = s.exec(select(Case).where(Case.reference == ref)).one().language
    other = "en" if case_language != "en" else "de"
    r = client.post(
        f"/cases/{ref}/drafts/new",
        data={"csrf_token": csrf_of(client), "kind": "clarification_request", "language": other},
    )
    draft_id = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(web_engine) as s:
        stored = s.get(Draft, draft_id)
        assert stored is not None
        first_line = stored.body_text.strip().splitlines()[0]
    r = client.post(f"/drafts/{draft_id}/fields", data={"csrf_token": csrf_of(client), "action": "preview"})
    shown = re.search(r'<div class="mail-text letter">(.*?)</div>', r.text, re.S)
    assert r.status_code == 200 and shown is not None
    preview = html.unescape(shown.group(1)).strip()
    assert preview.splitlines()[0] == first_line
    assert "\nmw\n" not in preview and not preview.rstrip().endswith("mw")
