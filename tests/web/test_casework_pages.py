"""The case page, its actions and the draft editor, through HTTP."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from avgdesk.models.tables import (
    AuditEvent,
    Case,
    CaseTask,
    Draft,
    DraftState,
    InboundMessage,
    LabelCorrection,
    OutboxItem,
)
from avgdesk.triage.cases import tasks


def _case(engine: Any, ref: str) -> Case:
    with Session(engine) as s:
        return s.exec(select(Case).where(Case.reference == ref)).one()


def _hostile_ref(engine: Any) -> str:
    with Session(engine) as s:
        msg = s.exec(select(InboundMessage).where(col(InboundMessage.html).is_not(None))).one()
        case = s.get(Case, msg.case_id)
        assert case is not None
        return case.reference


def test_queue_sorted_by_deadline_filters_and_search(client: TestClient, login: Any) -> None:
    login(client, "mw")
    page = client.get("/cases").text
    refs = re.findall(r'<a href="/cases/(AVG-\d{4}-\d{4})">', page)
    assert len(refs) == 3
    assert client.get("/cases?q=fatima@example").text.count('<a href="/cases/AVG-') == 1
    assert client.get(f"/cases?q={refs[0].lower()}").text.count('<a href="/cases/AVG-') == 1
    erasure = client.get("/cases?right=erasure").text
    assert erasure.count('<a href="/cases/AVG-') == 1 and "fatima@example.nl" in erasure
    assert client.get("/cases?state=closed").text.count('<a href="/cases/AVG-') == 0
    assert (
        "0 zaken" in client.get("/cases?due=overdue").text
        or "te laat" in client.get("/cases?due=overdue").text
    )


def test_case_page_shows_sanitised_mail_labels_deadline_and_timeline(
    client: TestClient, login: Any, web_engine: Any
) -> None:
    login(client, "mw")
    ref = _hostile_ref(web_engine)
    page = client.get(f"/cases/{ref}").text
    body = page.split('<main id="inhoud"', 1)[1]
    assert "evil.invalid" not in body
    assert "<script" not in body and "onerror" not in body and "javascript:" not in body
    assert '<a href="https://example.nl/echte-link" rel="noopener noreferrer nofollow">' in body
    assert "wissen 91%" in body and "op grond van: “verwijder”" in body
    assert "Hoe deze termijn is berekend" in body and "Wettelijke termijn" in body
    assert "Zaak geopend (wissen)" in body  # the Dutch timeline: no raw keys, no hashes
    assert "state:" not in body and "complaint:" not in body
    assert re.search(r'/attachments/\d+" download>[^<]*passwd[^<]*\.pdf</a>', body)  # a display name only


def test_attachment_download_is_safe(client: TestClient, login: Any, web_engine: Any) -> None:
    login(client, "mw")
    ref = _hostile_ref(web_engine)
    link = re.search(r'href="(/messages/\d+/attachments/\d+)"', client.get(f"/cases/{ref}").text)
    assert link
    r = client.get(link.group(1))
    assert r.status_code == 200 and r.content == b"%PDF-1.4 fake pdf"
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["x-content-type-options"] == "nosniff"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    plain = re.search(r'filename="([^"]*)"', disposition)
    assert plain and "/" not in plain.group(1) and ".." not in plain.group(1) and "<" not in plain.group(1)
    assert "sandbox" in r.headers["content-security-policy"]
    client.cookies.clear()
    assert client.get(link.group(1)).status_code == 303  # staff only


def test_relabel_records_a_correction(client: TestClient, login: Any, csrf_of: Any, web_engine: Any) -> None:
    login(client, "mw")
    token = csrf_of(client)
    with Session(web_engine) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == "Inzageverzoek")).one()
        ref = s.get(Case, msg.case_id).reference  # type: ignore[union-attr]
    r = client.post(
        f"/cases/{ref}/relabel",
        data={"csrf_token": token, "message_id": msg.id, "labels": ["access", "erasure"]},
    )
    assert r.status_code == 303
    with Session(web_engine) as s:
        corr = s.exec(select(LabelCorrection)).one()
        assert corr.labels == ["access", "erasure"] and corr.corrected_by == "mw"
    assert set(_case(web_engine, ref).rights) == {"access", "erasure"}
    r = client.post(
        f"/cases/{ref}/relabel",
        data={"csrf_token": token, "message_id": msg.id, "labels": ["other", "access"]},
    )
    assert r.status_code == 409 and "‘overig’ staat op zichzelf" in r.text  # the service's Dutch message


def test_pause_resume_extend_and_close(client: TestClient, login: Any, csrf_of: Any, web_engine: Any) -> None:
    login(client, "mw")
    token = csrf_of(client)
    ref = _hostile_ref(web_engine)
    refused = client.post(f"/cases/{ref}/pause", data={"csrf_token": token})
    assert refused.status_code == 409 and "Kies waarop de zaak wacht" in refused.text
    # The clock pauses only once the request is sent (issue 13): asking drafts the request.
    r = client.post(
        f"/cases/{ref}/pause",
        data={"csrf_token": token, "reason": "identity", "note": "Het adres wijkt af van ons klantbestand."},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/drafts/")
    refused = client.post(f"/cases/{ref}/resume", data={"csrf_token": token})
    assert refused.status_code == 409 and "wacht niet op de verzoeker" in refused.text

    refused = client.post(f"/cases/{ref}/extend", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    r = client.post(
        f"/cases/{ref}/extend",
        data={"csrf_token": token, "ground": "spread", "reason": "Veel systemen doorzoeken", "months": "2"},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/drafts/"), r.headers["location"]
    case = _case(web_engine, ref)
    assert case.extended_deadline is not None and case.extension_reason == "Veel systemen doorzoeken"
    editor = client.get(r.headers["location"]).text
    assert "Verlengingsbericht" in editor and "kon niet worden opgesteld" not in editor

    # Art. 12(5): only an approver, only with a justification.
    r = client.post(
        f"/cases/{ref}/close", data={"csrf_token": token, "outcome": "unfounded", "justification": "x"}
    )
    assert r.status_code == 403
    unconfirmed = client.post(f"/cases/{ref}/close", data={"csrf_token": token, "outcome": "withdrawn"})
    assert unconfirmed.status_code == 409 and "Vink aan dat u de zaak wilt sluiten" in unconfirmed.text
    assert _case(web_engine, ref).state.value == "new"
    assert (
        client.post(
            f"/cases/{ref}/close", data={"csrf_token": token, "outcome": "withdrawn", "confirm": "1"}
        ).status_code
        == 303
    )
    assert _case(web_engine, ref).state.value == "withdrawn"
    with Session(web_engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id))]
    assert {"case.pause_requested", "case.extended", "case.closed"} <= set(actions)


def test_draft_editor_fields_text_preview_and_approval(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    login(client, "goedkeurder")
    token = csrf_of(client)
    ref = _hostile_ref(web_engine)
    r = client.post(f"/cases/{ref}/drafts/new", data={"csrf_token": token, "kind": "erasure"})
    assert r.status_code == 303
    url = r.headers["location"]
    draft_id = int(url.rsplit("/", 1)[1])
    page = client.get(url).text
    assert "Gewiste gegevens" in page and "kon niet worden opgesteld" in page  # required field missing

    # Preview without saving.
    r = client.post(
        f"{url}/fields",
        data={"csrf_token": token, "action": "preview", "field_erased_items": "uw account\nuw adres"},
    )
    assert r.status_code == 200 and "Voorbeeld (niet opgeslagen)" in r.text and "uw adres" in r.text
    with Session(web_engine) as s:
        assert s.get(Draft, draft_id).render_error  # type: ignore[union-attr]

    r = client.post(
        f"{url}/fields",
        data={"csrf_token": token, "action": "apply", "field_erased_items": "uw account\nuw adres"},
    )
    assert r.status_code == 303
    with Session(web_engine) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.render_error is None and "uw adres" in d.body_text
        version, subject, body = d.version, d.subject, d.body_text

    r = client.post(
        f"{url}/text",
        data={
            "csrf_token": token,
            "subject": subject,
            "body_text": body + "\nPS: tot ziens",
            "action": "save",
        },
    )
    assert r.status_code == 303
    # Approving an older version than the one on screen is refused.
    r = client.post(f"{url}/approve", data={"csrf_token": token, "version": str(version), "confirm": "1"})
    assert r.status_code == 409 and "intussen gewijzigd" in r.text
    r = client.post(f"{url}/approve", data={"csrf_token": token, "version": str(version + 1)})
    assert r.status_code == 409 and "Vink aan dat u deze versie goedkeurt" in r.text  # no confirmation
    # Issue 17: the erasure confirmation waits for the erasure tasks in the systems.
    r = client.post(f"{url}/approve", data={"csrf_token": token, "version": str(version + 1), "confirm": "1"})
    assert r.status_code == 409 and "taken open" in r.text and "Wis in CRM" in r.text
    with Session(web_engine) as s:
        open_tasks = [
            t.id for t in s.exec(select(CaseTask).where(CaseTask.case_id == _case(web_engine, ref).id))
        ]
    for task_id in open_tasks:
        tasks.close_task(web_engine, task_id or 0, "done", by="goedkeurder")
    r = client.post(f"{url}/approve", data={"csrf_token": token, "version": str(version + 1), "confirm": "1"})
    assert r.status_code == 303
    with Session(web_engine) as s:
        d = s.get(Draft, draft_id)
        assert d is not None and d.state is DraftState.APPROVED and d.approved_by == "goedkeurder"
        item = s.exec(select(OutboxItem).where(OutboxItem.draft_id == draft_id)).one()
        assert b"PS: tot ziens" in item.raw
    assert "goedgekeurd door <strong>goedkeurder</strong>" in client.get(url).text


def test_dashboard_counts_and_chart(client: TestClient, login: Any) -> None:
    login(client, "mw")
    page = client.get("/").text
    assert "<svg" in page and 'role="img"' in page and "Open zaken naar termijn" in page
    assert re.search(r"<strong>3</strong> open zaken", page)
    # The snapshot's definition: open cases with an unapproved draft (each has its acknowledgement).
    assert re.search(r'<span class="num">3</span> zaken wachten op goedkeuring', page)
    assert "Brieven die wachten op goedkeuring" in page


def test_saved_views_keep_only_queue_filters_and_belong_to_their_owner(
    client: TestClient, login: Any, csrf_of: Any, web_engine: Any
) -> None:
    from avgdesk.models.tables import SavedView

    login(client, "mw")
    token = csrf_of(client)
    r = client.post(
        "/cases/views",
        data={"csrf_token": token, "name": "Wissen", "query": "right=erasure&evil=%0d%0aX&q=fatima"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/cases?right=erasure&q=fatima"
    with Session(web_engine) as s:
        view = s.exec(select(SavedView)).one()
    assert (view.owner, view.name, view.query) == ("mw", "Wissen", "right=erasure&q=fatima")
    mine = client.get("/cases").text
    assert 'href="/cases?right=erasure&amp;q=fatima"' in mine and ">Wissen</a>" in mine
    client.cookies.clear()
    login(client, "goedkeurder")
    other = csrf_of(client)
    assert ">Wissen</a>" not in client.get("/cases").text  # saved views are personal
    client.post(f"/cases/views/{view.id}/delete", data={"csrf_token": other})
    with Session(web_engine) as s:
        assert s.get(SavedView, view.id) is not None  # not the owner: nothing deleted
