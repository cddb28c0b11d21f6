"""Storing a message that did not come over IMAP (intake.local): the contact form's mail is
built, parsed back and refused when it carries a header, part or recipient we did not set
(issue 11, "messages we build, we verify"). The flattening in ``header_text`` is the first
defence; these tests hold the second one, the parse-back, on its own."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from avgdesk.mailbox.contact_form import FormSubmission
from avgdesk.triage.intake import local
from avgdesk.triage.intake.local import (
    SAFE_FORM_SUBJECT,
    FormMessageRefused,
    build_form_message,
    check_form_message,
)

WHEN = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
SENDER, TO = "website@nhmbsoftware.nl", "privacy@nhmbsoftware.nl"
INJECTED = "=?utf-8?q?Hallo=0D=0ABcc:_evil@evil.example?="


def _submission(subject: str = "Vraag") -> FormSubmission:
    return FormSubmission("Jan de Vries", "jan@example.nl", subject, "Graag inzage.")


def _build(submission: FormSubmission) -> bytes:
    return build_form_message(submission, sender=SENDER, to=TO, domain="nhmbsoftware.nl", when=WHEN)


def test_an_ordinary_submission_is_built_as_typed() -> None:
    parsed = email.message_from_bytes(_build(_submission()), policy=email.policy.default)
    assert str(parsed["Subject"]) == "Vraag" and parsed["Bcc"] is None


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ("Bcc: evil@evil.example", "unexpected"),
        ("Subject: tweede onderwerp", "repeated"),
        ("Content-Disposition: attachment; filename=factuur.pdf.exe", "unexpected"),
    ],
)
def test_a_built_message_with_a_header_we_did_not_set_is_refused(header: str, why: str) -> None:
    head, body = _build(_submission()).split(b"\r\n\r\n", 1)
    raw = head + b"\r\n" + header.encode() + b"\r\n\r\n" + body
    with pytest.raises(FormMessageRefused, match=why):
        check_form_message(raw, _submission(), subject="Vraag", sender=SENDER, to=TO)


def test_a_built_message_with_another_recipient_is_refused() -> None:
    raw = _build(_submission()).replace(f"To: {TO}".encode(), f"To: {TO}, evil@evil.example".encode())
    with pytest.raises(FormMessageRefused, match="to names other addresses"):
        check_form_message(raw, _submission(), subject="Vraag", sender=SENDER, to=TO)


def test_when_the_flattening_fails_the_parse_back_stores_a_fixed_subject(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without ``header_text`` the standard library decodes the typed encoded word and folds
    its CR/LF back raw: a real Bcc header. The parse-back catches it, and the message is
    stored with a fixed subject instead (the typed subject stays in the body)."""
    monkeypatch.setattr(local, "header_text", lambda value: value)
    parsed = email.message_from_bytes(_build(_submission(INJECTED)), policy=email.policy.default)
    assert parsed["Bcc"] is None and str(parsed["Subject"]) == SAFE_FORM_SUBJECT
    assert [a.addr_spec for a in parsed["To"].addresses] == [TO]
