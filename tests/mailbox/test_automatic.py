from __future__ import annotations

import re

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


# --- not a request: the receiving spam filter's verdict, list traffic not addressed to us ---

TO_US = "To: privacy@nhmbsoftware.nl\r\n"
TO_LIST = "To: dev-discuss@lists.example.org\r\n"


@pytest.mark.parametrize(
    "extra",
    [
        "X-Spam-Flag: YES\r\n",
        "X-Spam-Status: Yes, score=9.1 required=5.0\r\n",
        "X-Spam: yes\r\n",
        "X-MS-Exchange-Organization-SCL: 6\r\n",
        "X-Forefront-Antispam-Report: CIP:192.0.2.1;CTRY:;SFV:SPM;SFS:(13230001);\r\n",
    ],
)
def test_spam_verdict_of_the_receiving_filter_is_other(extra: str) -> None:
    v = verdict(TO_US + extra)
    assert v.rule_label == "other" and v.not_a_request and not v.machine_reply
    assert v.never_auto_answer  # nothing is sent to spam


@pytest.mark.parametrize(
    "extra",
    [
        "X-Spam-Flag: NO\r\n",
        "X-Spam-Status: No, score=-1.2 required=5.0\r\n",
        "X-MS-Exchange-Organization-SCL: -1\r\n",
        "X-Forefront-Antispam-Report: SFV:NSPM;SFS:(13230001);\r\n",
        "X-Spam-Level: ****\r\n",
    ],
)
def test_a_filter_that_says_no_or_only_scores_decides_nothing(extra: str) -> None:
    v = verdict(TO_US + extra)
    assert v.rule_label is None and v.not_a_request == []


@pytest.mark.parametrize(
    "extra",
    [
        "List-Id: <dev-discuss.lists.example.org>\r\n",
        "List-Post: <mailto:dev-discuss@lists.example.org>\r\n",
        "Mailing-List: contact dev-discuss-help@lists.example.org; run by ezmlm\r\n",
        "Precedence: list\r\n",
        "Precedence: bulk\r\nSender: dev-discuss-owner@lists.example.org\r\n",
    ],
)
def test_list_post_not_addressed_to_us_is_other(extra: str) -> None:
    v = verdict(TO_LIST + extra)
    assert v.rule_label == "other" and v.not_a_request == ["list mail not addressed to us"]


def test_list_mail_addressed_to_us_is_left_to_the_model() -> None:
    # A newsletter to info@ (other by the conventions) or a removal service's bulk request.
    for to in (TO_US, "To: someone@example.org\r\nCc: Privacy <privacy@mail.nhmbsoftware.nl>\r\n"):
        v = verdict(to + "List-Id: <news.example.org>\r\nPrecedence: bulk\r\n")
        assert v.rule_label is None and v.never_auto_answer, to


def test_mail_not_addressed_to_us_without_list_headers_is_left_to_the_model() -> None:
    # A person who writes to many companies at once puts them in Bcc: still a request.
    v = verdict(TO_LIST)
    assert v.rule_label is None and not v.never_auto_answer


def test_list_rule_needs_to_know_our_domains() -> None:
    raw = (BASE.format(subject="Vraag") + TO_LIST + "List-Id: <l.example.org>\r\n\r\nTekst").encode()
    assert judge(parse_message(raw)).rule_label is None


def test_contact_form_mail_is_never_judged_not_a_request() -> None:
    v = verdict(TO_LIST + "List-Id: <l.example.org>\r\nX-Spam-Flag: YES\r\n", from_form=True)
    assert v.rule_label is None and v.not_a_request == []


def test_machine_mail_stays_auto_when_it_is_also_list_mail() -> None:
    v = verdict(TO_LIST + "List-Id: <l.example.org>\r\nAuto-Submitted: auto-replied\r\n")
    assert v.rule_label == "auto"


def test_list_notice_words_are_found_however_re_ignorecase_spells_them() -> None:
    """The cheap look before _LIST_NOTICE must never say no where the regex would say yes:
    each word, with any one letter replaced by any character re.I matches to it, is found."""
    from avgdesk.mailbox.automatic import _LIST_NOTICE_WORDS, _has_list_notice_word

    variants: dict[str, list[str]] = {}
    for code in range(0x110000):
        char = chr(code)
        if re.fullmatch("[a-z]", char, re.I):
            letter = next(x for x in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(x, char, re.I))
            variants.setdefault(letter, []).append(char)
    assert "\u017f" in variants["s"] and "\u0130" in variants["i"]  # the odd ones exist
    for word in _LIST_NOTICE_WORDS:
        for i, letter in enumerate(word):
            for char in variants[letter]:
                spelled = f"you are {word[:i]}{char}{word[i + 1 :]}."
                assert _has_list_notice_word(spelled), spelled
    assert not _has_list_notice_word("Graag inzage in mijn gegevens, met vriendelijke groet.")


@pytest.mark.parametrize(
    ("body", "machine"),
    [
        ("You are not a member of this list. Your mail could not be delivered.", True),
        ("YOUR MESSAGE TO list@example.org AWAITS approval. Undeliverable.", True),
        ("\u017fUBSCRIPTION REQUEST for support@example.org: delivery has failed", True),
        ("Your mail could not be delivered.", False),  # one kind of text evidence alone
        ("You are not a member of this list.", False),
    ],
)
def test_two_kinds_of_body_evidence_decide_without_subject_or_envelope(body: str, machine: bool) -> None:
    raw = f"From: Jan <jan@example.nl>\r\nSubject: Hallo\r\nContent-Type: text/plain\r\n\r\n{body}\r\n"
    assert _judge(raw.encode()).machine_reply is machine
