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


def _judge(raw: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return judge(parse_message(raw), own_domains=["nhmbsoftware.nl"], **kw)  # type: ignore[arg-type]


def _multipart(ctype: str, parts: list[tuple[str, str]], head: str = "") -> bytes:
    body = "".join(f"--b\r\nContent-Type: {t}\r\n\r\n{c}\r\n" for t, c in parts) + "--b--\r\n"
    return (
        "From: Klant <klant@example.nl>\r\nSubject: Vraag\r\nMIME-Version: 1.0\r\n"
        + head
        + f'Content-Type: {ctype}; boundary="b"\r\n\r\n'
        + body
    ).encode()


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (_multipart("multipart/report", [("text/plain", "x")]), "multipart/report without report-type"),
        (_multipart("multipart/report; report-type=tlsrpt", [("text/plain", "x")]), "any report-type"),
        (
            _multipart("multipart/report; report-type=feedback-report", [("message/feedback-report", "x")]),
            "ARF",
        ),
        (
            _multipart(
                "multipart/mixed", [("text/plain", "x"), ("message/delivery-status", "Action: failed")]
            ),
            "delivery-status part in a mixed",
        ),
        (
            b"From: Klant <klant@example.nl>\r\nSubject: Vraag\r\n"
            b"Content-Type: message/delivery-status\r\n\r\n"
            b"Reporting-MTA: dns; mx.example.nl\r\n",
            "bare message/delivery-status",
        ),
        (
            _multipart("multipart/mixed", [("message/disposition-notification", "Disposition: displayed")]),
            "read receipt part",
        ),
    ],
)
def test_structure_makes_mail_automatic(raw: bytes, why: str) -> None:
    v = _judge(raw)
    assert v.machine_reply and v.never_auto_answer, why


@pytest.mark.parametrize(
    ("sender", "subject", "extra", "body"),
    [
        ("neko-owner@lists.example.nl", "You are not a member of neko", "", "Your post was rejected."),
        ("mailman@lists.example.nl", "Your message to GPC-talk awaits moderator approval", "", "Held."),
        (
            "E500_SMTP_Mail_Service@example.org",
            "Returned Mail - Error During Delivery",
            "",
            "Failed Recipients: <x@example.com>: mailbox unavailable",
        ),
        ('"Jetmail System" <>', "Mail Error", "", "Your mail could not be delivered."),
        (
            "imss@example.be",
            "Mail could not be delivered",
            "Return-Path: <MAILER-DAEMON@mx.example.be>\r\n",
            "Unable to deliver",
        ),
        ("kijitora@example.com", "Auto reply: Nyaan", "", "I am away."),
        ("Jan <jan@example.nl>", "Automatisch antwoord: Inzageverzoek", "", "Ik ben afwezig."),
        ("Jan <jan@example.nl>", "Afwezig", "X-Auto-Response-Suppress: All\r\n", "Tot maandag."),
    ],
)
def test_list_notices_bounces_and_auto_replies_are_machine_mail(
    sender: str, subject: str, extra: str, body: str
) -> None:
    raw = f"From: {sender}\r\nSubject: {subject}\r\n{extra}Content-Type: text/plain\r\n\r\n{body}\r\n"
    assert _judge(raw.encode()).machine_reply


@pytest.mark.parametrize(
    ("subject", "extra", "body"),
    [
        (
            "Fwd: Undelivered Mail Returned to Sender",
            "",
            "Mijn verzoek kwam niet aan: could not be delivered. Graag alsnog inzage.",
        ),
        (
            "Nieuwsbrief november",
            "Precedence: bulk\r\nList-Id: <nieuws.example.nl>\r\n",
            "Nieuws van deze maand.",
        ),
        ("Mijn mail kwam niet aan", "", "Ik kreeg een melding dat de mail could not be delivered."),
        ("Inzageverzoek", "X-Auto-Response-Suppress: All\r\n", "Graag inzage in mijn gegevens."),
    ],
)
def test_people_and_newsletters_are_not_machine_replies(subject: str, extra: str, body: str) -> None:
    raw = f"From: Jan <jan@example.nl>\r\nSubject: {subject}\r\n{extra}"
    raw += f"Content-Type: text/plain\r\n\r\n{body}\r\n"
    assert not _judge(raw.encode()).machine_reply


def test_form_mail_is_never_judged_by_its_text() -> None:
    raw = (
        b"From: website@nhmbsoftware.nl\r\nSubject: Contactformulier\r\nContent-Type: text/plain\r\n\r\n"
        b"Naam: Jan\r\nE-mailadres: jan@example.nl\r\nOnderwerp: Returned mail\r\nBericht:\r\n"
        b"Mijn mail could not be delivered, daarom via het formulier: inzage graag.\r\n"
    )
    assert not _judge(raw, from_form=True).machine_reply
