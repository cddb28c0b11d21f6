"""Approving from the editor never drops typed text: the approve button submits the text
boxes, and text that differs from the version read is refused with the boxes kept."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import Draft, DraftState, OutboxItem


def _acknowledgement(engine: Any) -> Draft:
    with Session(engine) as s:
        draft = s.exec(
            select(Draft).where(Draft.kind == "acknowledgement", Draft.state == DraftState.DRAFT)
        ).first()
        assert draft is not None
        return draft


def test_the_approve_button_submits_the_text_boxes(client: TestClient, login: Any, web_engine: Any) -> None:
    login(client, "goedkeurder")
    page = client.get(f"/drafts/{_acknowledgement(web_engine).id}").text
    button = re.search(r"<button[^>]*>Goedkeuren en versturen</button>", page)
    assert button and 'form="draft-text"' in button.group(0)
    assert 'id="draft-text"' in page and 'formaction="/drafts/' in button.group(0)
    confirm = re.search(r'<input type="checkbox" name="confirm"[^>]*> Ik heb deze versie', page)
    assert confirm and 'form="draft-text"' in confirm.group(0)


def test_unsaved_text_is_refused_and_kept(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "goedkeurder")
    draft = _acknowledgement(web_engine)
    url = f"/drafts/{draft.id}"
    token = csrf_of(client, url)
    typed = draft.body_text + "\r\nPS: getypt maar niet opgeslagen"
    r = client.post(
        f"{url}/approve",
        data={
            "csrf_token": token,
            "version": str(draft.version),
            "confirm": "1",
            "subject": draft.subject,
            "body_text": typed,
        },
    )
    assert r.status_code == 409
    assert "Uw wijzigingen zijn nog niet opgeslagen: sla eerst op en lees de nieuwe versie." in r.text
    assert "PS: getypt maar niet opgeslagen" in html.unescape(r.text.split('id="body_text"', 1)[1])
    with Session(web_engine) as s:
        stored = s.get(Draft, draft.id)
        assert stored is not None and stored.state is DraftState.DRAFT
        assert s.exec(select(OutboxItem).where(OutboxItem.draft_id == draft.id)).first() is None


def test_unchanged_text_is_approved(client: TestClient, login: Any, csrf_of: Any, web_engine: Any) -> None:
    login(client, "goedkeurder")
    draft = _acknowledgement(web_engine)
    url = f"/drafts/{draft.id}"
    token = csrf_of(client, url)
    data = {"csrf_token": token, "version": str(draft.version), "subject": draft.subject}
    # As a browser sends the textarea: CRLF line ends.
    data["body_text"] = draft.body_text.replace("\n", "\r\n")
    r = client.post(f"{url}/approve", data=data)
    assert r.status_code == 409 and "Vink aan dat u deze versie goedkeurt" in r.text
    r = client.post(f"{url}/approve", data={**data, "confirm": "1"})
    assert r.status_code == 303, r.text
    with Session(web_engine) as s:
        stored = s.get(Draft, draft.id)
        assert stored is not None and stored.state is DraftState.APPROVED


def test_the_text_box_keeps_a_leading_newline(client: TestClient, login: Any, web_engine: Any) -> None:
    """HTML drops one newline right after <textarea>: the template writes one, so a body
    that starts with a blank line comes back whole (and is not taken for an edit)."""
    login(client, "goedkeurder")
    page = client.get(f"/drafts/{_acknowledgement(web_engine).id}").text
    assert re.search(r'<textarea id="body_text"[^>]*>\n', page)


def test_a_stale_version_is_said_before_a_missing_confirmation(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    """Attack review: an approver who read v1 while a colleague saved v2 and forgot the box
    was only told to tick it, and the page that said so carried v2: ticking approved a
    version nobody said had changed."""
    draft = _acknowledgement(web_engine)
    url = f"/drafts/{draft.id}"
    login(client, "mw")
    token = csrf_of(client, url)
    saved = client.post(
        f"{url}/text",
        data={
            "csrf_token": token,
            "version": str(draft.version),
            "subject": draft.subject,
            "body_text": "Nieuw",
        },
    )
    assert saved.status_code == 303
    client.cookies.clear()
    login(client, "goedkeurder")
    token = csrf_of(client, url)
    r = client.post(
        f"{url}/approve",
        data={
            "csrf_token": token,
            "version": str(draft.version),
            "subject": draft.subject,
            "body_text": draft.body_text,
        },
    )
    assert r.status_code == 409 and "De brief is intussen gewijzigd." in r.text
    assert "Vink aan dat u deze versie goedkeurt" not in r.text


def test_a_lone_carriage_return_never_blocks_approval(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    """A stored lone CR came back from the browser as CRLF and refused every approval."""
    draft = _acknowledgement(web_engine)
    url = f"/drafts/{draft.id}"
    login(client, "mw")
    token = csrf_of(client, url)
    body = "Regel een\rRegel twee\r\nRegel drie"
    saved = client.post(
        f"{url}/text",
        data={
            "csrf_token": token,
            "version": str(draft.version),
            "subject": draft.subject,
            "body_text": body,
        },
    )
    assert saved.status_code == 303
    with Session(web_engine) as s:
        stored = s.get(Draft, draft.id)
        assert stored is not None and stored.body_text == "Regel een\nRegel twee\nRegel drie"
    client.cookies.clear()
    login(client, "goedkeurder")
    token = csrf_of(client, url)
    as_browser = stored.body_text.replace("\n", "\r\n")
    r = client.post(
        f"{url}/approve",
        data={
            "csrf_token": token,
            "version": str(stored.version),
            "confirm": "1",
            "subject": stored.subject,
            "body_text": as_browser,
        },
    )
    assert r.status_code == 303, r.text


def test_the_unsaved_text_refusal_offers_to_throw_the_edits_away(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    """Saving makes the approver an editor (four eyes then stop them): the way out is to
    drop the typed text, which the refusal offers."""
    login(client, "goedkeurder")
    draft = _acknowledgement(web_engine)
    url = f"/drafts/{draft.id}"
    token = csrf_of(client, url)
    r = client.post(
        f"{url}/approve",
        data={
            "csrf_token": token,
            "version": str(draft.version),
            "confirm": "1",
            "subject": draft.subject,
            "body_text": draft.body_text + " getypt",
        },
    )
    assert r.status_code == 409
    assert f'<a href="/drafts/{draft.id}">Wijzigingen weggooien en de opgeslagen versie lezen</a>' in r.text
