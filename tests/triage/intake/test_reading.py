"""Reading one raw message as triage sees it (intake.reading), and what processing makes of
the requester it reads: issue 11, item 1, end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from helpers import FixedLabels
from sqlmodel import Session, select

from avgdesk.models.tables import Case, Draft, InboundMessage
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.intake.reading import read_message

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def _raw(from_header: bytes) -> bytes:
    return (
        b"From: " + from_header + b"\r\nTo: privacy@nhmbsoftware.nl\r\nSubject: Verzoek\r\n"
        b"Message-ID: <item1@example.nl>\r\nDate: Thu, 05 Mar 2026 11:00:00 +0100\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nWis al mijn gegevens. #erasure\r\n"
    )


def _process(engine: Any, settings: Any, raw: bytes) -> tuple[InboundMessage, Case, list[Draft]]:
    """Store ``raw`` as IMAP mail, process it, and return the message, its case and the drafts."""
    pk, _ = store_local_message(engine, raw, source="imap", received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
        assert row is not None and row.case_id is not None
        case = s.get(Case, row.case_id)
        assert case is not None
        return row, case, list(s.exec(select(Draft)))


def test_spoofed_encoded_word_from_makes_the_attacker_the_requester(engine: Any, make_settings: Any) -> None:
    """``From: =?utf-8?q?anna=40example.nl?= <attacker@evil.example>`` with an erasure request:
    the requester is the attacker's address; Anna's is never a requester or a recipient.
    (Decoding before splitting made ``anna@example.nl`` the requester and mailed her.)"""
    raw = _raw(b"=?utf-8?q?anna=40example.nl?= <attacker@evil.example>")
    settings = make_settings()
    assert read_message(raw, settings).requester_email == "attacker@evil.example"
    row, case, drafts = _process(engine, settings, raw)
    assert row.requester_email == case.requester_email == "attacker@evil.example"
    assert case.rights == ["erasure"] and drafts
    assert {d.to_addr for d in drafts} == {"attacker@evil.example"}
    assert all("anna@example.nl" not in d.body_text for d in drafts)  # no name that is an address


def test_latin1_comma_display_name_keeps_the_real_sender(engine: Any, make_settings: Any) -> None:
    """``From: =?iso-8859-1?Q?M=FCller=2C_Hans?= <hans.mueller@example.nl>`` (peer-mail 0328,
    0362, 0589): the decoded comma no longer splits the address list, so the case has its
    requester, is not automatic, and the acknowledgement is drafted to him."""
    row, case, drafts = _process(
        engine, make_settings(), _raw(b"=?iso-8859-1?Q?M=FCller=2C_Hans?= <hans.mueller@example.nl>")
    )
    assert (case.requester_email, case.requester_name) == ("hans.mueller@example.nl", "Müller, Hans")
    assert not row.is_automatic
    assert [(d.kind, d.to_addr) for d in drafts] == [("acknowledgement", "hans.mueller@example.nl")]
    assert drafts[0].body_text.startswith("Geachte Hans Müller,")
