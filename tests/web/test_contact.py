"""The public contact form: stored as the website's form mail, processed into a case."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, InboundMessage, MessageRaw
from avgdesk.web.app import create_app
from avgdesk.web.config import WebSettings

GOOD = {
    "name": "Anna Jansen",
    "email": "anna.jansen@example.nl",
    "subject": "Inzage in mijn gegevens",
    "message": "Graag wil ik inzage in welke gegevens u van mij verwerkt.\nMet vriendelijke groet, Anna",
    "request_type": "inzage",
    "website": "",
}


def _newest(engine: Any) -> InboundMessage:
    with Session(engine) as s:
        return s.exec(select(InboundMessage).order_by(col(InboundMessage.id).desc())).first()  # type: ignore[return-value]


def test_get_form_is_public_accessible_and_has_the_fields(client: TestClient) -> None:
    r = client.get("/contact")
    assert r.status_code == 200
    for name in ("name", "email", "subject", "message", "request_type", "website"):
        assert f'name="{name}"' in r.text
        if name != "website":
            assert f'<label for="{name}"' in r.text
    assert '<html lang="nl">' in r.text and "<main" in r.text and "<script" not in r.text


def test_submission_makes_a_case_and_shows_its_reference(
    client: TestClient, web_engine: Any, web_settings: Any
) -> None:
    r = client.post("/contact", data=GOOD)
    assert r.status_code == 303 and r.headers["location"].startswith("/contact/ontvangen?t=")
    done = client.get(r.headers["location"])
    ref = re.search(r'id="kenmerk">(AVG-\d{4}-\d{4})<', done.text)
    assert ref, done.text
    msg = _newest(web_engine)
    assert msg.via_form and msg.source.value == "form" and msg.received_at_source == "form"
    assert msg.requester_email == "anna.jansen@example.nl" and msg.requester_name == "Anna Jansen"
    assert msg.from_addr == web_settings.form_senders[0]
    with Session(web_engine) as s:
        case = s.exec(select(Case).where(Case.reference == ref.group(1))).one()
        assert case.requester_email == "anna.jansen@example.nl" and "access" in case.rights
        raw = s.get(MessageRaw, msg.id).data  # type: ignore[union-attr]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"].endswith("@nhmbsoftware.nl>")
    body = parsed.get_content()
    assert (
        "Naam: Anna Jansen" in body and "E-mailadres: anna.jansen@example.nl" in body and "Bericht:" in body
    )
    # A forged or stale confirmation link shows nothing.
    assert client.get("/contact/ontvangen?t=forged").status_code == 303


def test_errors_are_dutch_and_keep_what_was_typed(client: TestClient, web_engine: Any) -> None:
    before = _newest(web_engine).id
    data = {**GOOD, "email": "geen-adres", "message": "Mijn lange verhaal <b>met</b> tekens"}
    r = client.post("/contact", data=data)
    assert r.status_code == 400
    assert "Dit lijkt geen geldig e-mailadres" in r.text
    assert 'value="geen-adres"' in r.text and "Mijn lange verhaal &lt;b&gt;met&lt;/b&gt; tekens" in r.text
    assert 'aria-invalid="true"' in r.text and 'href="#email"' in r.text
    too_long = {**GOOD, "message": "x" * 20_001}
    r = client.post("/contact", data=too_long)
    assert r.status_code == 400 and "hoogstens 20000 tekens" in r.text and "x" * 20_001 in r.text
    r = client.post("/contact", data={**GOOD, "subject": "", "email": ""})
    assert "Vul een onderwerp in." in r.text and "Vul uw e-mailadres in" in r.text
    assert _newest(web_engine).id == before


def test_header_injection_in_the_subject_is_flattened(client: TestClient, web_engine: Any) -> None:
    r = client.post("/contact", data={**GOOD, "subject": "Hallo\r\nBcc: victim@evil.invalid"})
    assert r.status_code == 303
    with Session(web_engine) as s:
        raw = s.get(MessageRaw, _newest(web_engine).id).data  # type: ignore[union-attr]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["Subject"] == "Hallo Bcc: victim@evil.invalid"


def test_honeypot_pretends_success_but_stores_nothing(client: TestClient, web_engine: Any) -> None:
    before = _newest(web_engine).id
    r = client.post("/contact", data={**GOOD, "website": "http://spam.example"})
    assert r.status_code == 303
    assert "Bedankt" in client.get(r.headers["location"]).text
    assert _newest(web_engine).id == before


def test_rate_limit_per_client_keeps_the_text(app_factory: Any) -> None:
    with TestClient(app_factory(contact_max_per_ip=2), follow_redirects=False) as c:
        assert [c.post("/contact", data=GOOD).status_code for _ in range(2)] == [303, 303]
        r = c.post("/contact", data={**GOOD, "message": "Mijn derde bericht"})
        assert r.status_code == 429 and "veel berichten" in r.text and "Mijn derde bericht" in r.text


def test_oversized_body_is_refused(client: TestClient) -> None:
    r = client.post("/contact", data={**GOOD, "message": "x" * 300_000})
    assert r.status_code == 413


def test_when_processing_fails_the_submission_number_is_shown(web_settings: Any, web_engine: Any) -> None:
    def broken() -> Any:
        raise RuntimeError("model missing")

    app = create_app(
        web_settings, web_engine, WebSettings.from_settings(web_settings), classifier_factory=broken
    )
    with TestClient(app, follow_redirects=False) as c:
        r = c.post("/contact", data=GOOD)
        assert r.status_code == 303
        done = c.get(r.headers["location"])
    number = re.search(r'id="volgnummer">(\d+)<', done.text)
    assert number and "per e-mail" in done.text
    msg = _newest(web_engine)
    assert str(msg.id) == number.group(1) and msg.state.value == "received"  # the worker processes it later


# --- issue 11: attacks through the contact form, one test each ---------------------------------


def _stored(web_engine: Any) -> tuple[InboundMessage, email.message.EmailMessage]:
    msg = _newest(web_engine)
    with Session(web_engine) as s:
        raw = s.get(MessageRaw, msg.id).data  # type: ignore[union-attr]
    return msg, email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _reference_shown(client: TestClient, response: Any) -> str | None:
    done = client.get(response.headers["location"])
    assert done.status_code == 200
    found = re.search(r'id="kenmerk">(AVG-\d{4}-\d{4,6})<', done.text)
    return found.group(1) if found else None


def test_anonymous_threading_into_another_case_by_subject_reference(
    client: TestClient, web_engine: Any, web_settings: Any
) -> None:
    from avgdesk.models.tables import CasePause, CaseState, PauseReason

    own = _reference_shown(client, client.post("/contact", data=GOOD))
    assert own is not None
    with Session(web_engine) as s:
        # The state a sent identity request leaves behind.
        case = s.exec(select(Case).where(Case.reference == own)).one()
        when = case.received_at
        s.add(CasePause(case_id=case.id, reason=PauseReason.IDENTITY, requested_at=when, paused_by="bert"))
        case.state = CaseState.AWAITING_IDENTITY
        s.commit()
    stranger = {**GOOD, "name": "Eve", "email": "eve@evil.example", "subject": f"Re: {own}",
                "message": "Verwijder al mijn gegevens", "request_type": "wissen"}  # fmt: skip
    # The same address as the requester proves nothing on a form anyone can fill in.
    posing = {**GOOD, "subject": f"Re: {own}", "message": "Hier is mijn identiteitsbewijs"}
    for data in (stranger, posing):
        shown = _reference_shown(client, client.post("/contact", data=data))
        msg = _newest(web_engine)
        with Session(web_engine) as s:
            case = s.exec(select(Case).where(Case.reference == own)).one()
            assert msg.case_id != case.id and msg.suggested_case_id == case.id
            assert case.state is CaseState.AWAITING_IDENTITY  # the clock was not resumed
        assert shown != own  # never someone else's reference
        if msg.case_id is not None:
            with Session(web_engine) as s:
                assert shown == s.get(Case, msg.case_id).reference  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "subject",
    [
        "=?utf-8?q?Vraag=0D=0AContent-Type:_multipart/mixed;_boundary=XX?=",
        "=?utf-8?b?VnJhYWcNCkNvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L21peGVkOyBib3VuZGFyeT1YWA==?=",
    ],
)
def test_encoded_word_subject_with_crlf_cannot_add_an_attachment(
    client: TestClient, web_engine: Any, subject: str
) -> None:
    from avgdesk.models.tables import Attachment

    payload = (
        "Zie bijlage.\n--XX\nContent-Type: application/octet-stream; name=factuur.pdf.exe\n"
        "Content-Disposition: attachment; filename=factuur.pdf.exe\n\nTVqQAAMAAAAEAAAA\n--XX--\n"
    )
    r = client.post("/contact", data={**GOOD, "subject": subject, "message": payload})
    assert r.status_code == 303
    msg, parsed = _stored(web_engine)
    assert not parsed.is_multipart() and parsed.get_content_type() == "text/plain"
    assert parsed["Content-Type"].count("multipart") == 0 and len(parsed.get_all("Content-Type") or []) == 1
    with Session(web_engine) as s:
        assert s.exec(select(Attachment).where(Attachment.message_pk == msg.id)).all() == []
    assert "factuur.pdf.exe" in (msg.text or "")  # the typed text is kept, as text


def test_bcc_injection_by_encoded_word_subject(client: TestClient, web_engine: Any) -> None:
    r = client.post("/contact", data={**GOOD, "subject": "=?utf-8?q?Hallo=0D=0ABcc:_evil@evil.example?="})
    assert r.status_code == 303
    msg, parsed = _stored(web_engine)
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["privacy@nhmbsoftware.nl"]
    assert "\n" not in str(parsed["Subject"]) and "evil@evil.example" in str(parsed["Subject"])
    assert msg.requester_email == GOOD["email"]


@pytest.mark.parametrize(
    "address",
    ["a:b@example.nl", "x@[127.0.0.1]", "x@127.0.0.1", '"a b"@example.nl', "x@localhost",
     "anna@example.invalid", "ann%a@example.nl", "anna@exämple.nl", "anna@@example.nl"],
)  # fmt: skip
def test_form_refuses_addresses_the_mail_builder_would_refuse(
    client: TestClient, web_engine: Any, address: str
) -> None:
    before = _newest(web_engine).id
    r = client.post("/contact", data={**GOOD, "email": address})
    assert r.status_code == 400 and "Dit lijkt geen geldig e-mailadres" in r.text
    assert _newest(web_engine).id == before
