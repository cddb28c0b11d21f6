from __future__ import annotations

import pytest

from avgdesk.mailbox.automatic import judge
from avgdesk.mailbox.parsing import parse_message

BASE = "From: Klant <klant@example.nl>\r\nSubject: {subject}\r\nMessage-ID: <m1@example.nl>\r\n"


def verdict(extra: str = "", subject: str = "Vraag", sender: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    head = BASE.format(subject=subject)
    if sender is not None:
        head = head.replace("Klant <klant@example.nl>", sender)
    raw = (head + extra + "Content-Type: text/plain\r\n\r\nTekst").encode()
    return judge(parse_message(raw), own_domains=["nhmbsoftware.nl"], **kw)  # type: ignore[arg-type]


def test_ordinary_mail_is_answerable() -> None:
    v = verdict()
    assert not v.never_auto_answer and not v.machine_reply and v.reasons == []


@pytest.mark.parametrize(
    ("extra", "machine"),
    [
        ("Auto-Submitted: auto-replied\r\n", True),
        ("Auto-Submitted: auto-generated\r\n", False),
        ("Precedence: bulk\r\n", False),
        ("List-Unsubscribe: <mailto:u@example.nl>\r\n", False),
        ("List-Id: <news.example.nl>\r\n", False),
        ("Return-Path: <>\r\n", False),
        ("X-Autoreply: yes\r\n", True),
        ("X-Loop: avgdesk\r\n", True),
        ("X-Avgdesk-Loop: AVG-2026-0001\r\n", True),
        ("X-Auto-Response-Suppress: All\r\n", False),
    ],
)
def test_header_rules(extra: str, machine: bool) -> None:
    v = verdict(extra)
    assert v.never_auto_answer
    assert v.machine_reply is machine


def test_auto_submitted_no_is_a_person() -> None:
    assert not verdict("Auto-Submitted: no\r\n").never_auto_answer


def test_mailer_daemon_and_delivery_report_are_machine_replies() -> None:
    assert verdict(sender="MAILER-DAEMON@mx.example.nl", subject="Undelivered Mail").machine_reply
    raw = (
        b"From: postmaster@example.nl\r\nSubject: Delivery Status Notification\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n"
    )
    v = judge(parse_message(raw))
    assert v.machine_reply and any("delivery-status" in r for r in v.reasons)


def test_own_message_id_domain_but_not_for_the_contact_form() -> None:
    raw = (
        BASE.format(subject="x").replace("m1@example.nl", "abc@web01.nhmbsoftware.nl") + "\r\nbody"
    ).encode()
    parsed = parse_message(raw)
    assert judge(parsed, own_domains=["nhmbsoftware.nl"]).never_auto_answer
    assert not judge(parsed, own_domains=["nhmbsoftware.nl"], from_form=True).never_auto_answer
