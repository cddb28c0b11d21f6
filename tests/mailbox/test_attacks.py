"""One regression test per attack of issue 11 on the mailbox layer, named for the attack.

The linear-time tests compare the parser's own CPU time on an input and on one four
times larger: linear code takes about 4×, the quadratic code these replace took 16× or
more (and seconds). They are complexity checks, not speed thresholds; the absolute
figures are in benchmarks/hostile.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from avgdesk.mailbox.automatic import judge
from avgdesk.mailbox.contact_form import FormSubmission, form_body, parse_form_body
from avgdesk.mailbox.parsing import ParsedMessage, parse_message
from avgdesk.mailbox.sanitize import sanitize_html

HEAD = "To: privacy@nhmbsoftware.nl\r\nMessage-ID: <m1@example.nl>\r\n"


def _parse(
    headers: bytes, body: bytes = b"Ik wil dat u mijn gegevens wist.", ctype: bytes = b"text/plain"
) -> ParsedMessage:
    return parse_message(headers + b"\r\n" + HEAD.encode() + b"Content-Type: " + ctype + b"\r\n\r\n" + body)


def test_spoofed_encoded_word_from_is_not_the_requester() -> None:
    parsed = _parse(b"From: =?utf-8?q?anna=40example.nl?= <attacker@evil.example>\r\nSubject: Wissen")
    assert parsed.from_addr == "attacker@evil.example"
    assert parsed.from_name == "anna@example.nl"
    assert parsed.from_name_for_letter is None  # an address is not a name for a letter
    assert not judge(parsed).never_auto_answer


def test_spoofed_encoded_word_in_to_cc_and_reply_to() -> None:
    parsed = _parse(
        b"From: a@example.nl\r\n"
        b"Reply-To: =?utf-8?q?anna=40example.nl?= <attacker@evil.example>\r\n"
        b"Cc: =?utf-8?q?anna=40example.nl=2C_b=40example.nl?= <attacker@evil.example>"
    )
    assert parsed.reply_to_addrs == ["attacker@evil.example"]
    assert parsed.cc_addrs == ["attacker@evil.example"]
    assert parsed.headers["reply-to"] == "attacker@evil.example"


def test_latin1_comma_display_name_keeps_sender() -> None:
    parsed = _parse(b"From: =?iso-8859-1?Q?M=FCller=2C_Hans?= <hans.mueller@example.nl>\r\nSubject: Inzage")
    assert (parsed.from_addr, parsed.from_name) == ("hans.mueller@example.nl", "Müller, Hans")
    assert parsed.from_name_for_letter == "Hans Müller"
    verdict = judge(parsed)
    assert not verdict.never_auto_answer and not verdict.machine_reply


def test_route_syntax_sender_is_not_shortened() -> None:
    parsed = _parse(b"From: a:b@example.nl\r\nSubject: Inzage")
    assert parsed.from_addr is None and parsed.from_addr_raw == "a:b@example.nl"
    assert parsed.from_problem == "group or route syntax"
    assert judge(parsed).never_auto_answer  # nobody is mailed automatically


def test_ip_literal_sender_is_never_writable() -> None:
    parsed = _parse(b"From: Jan <jan@[192.0.2.7]>\r\nSubject: Inzage")
    assert parsed.from_addr is None and parsed.from_addr_raw == "jan@[192.0.2.7]"
    assert parsed.from_name == "Jan" and not parsed.from_verified


def test_phishing_display_name_is_not_used_in_letters() -> None:
    parsed = _parse(
        b'From: "Uw account is geblokkeerd, log in op https://evil.example" <x@evil.example>\r\nSubject: x'
    )
    assert parsed.from_name is not None and parsed.from_name_for_letter is None


def test_raw_utf8_and_latin1_header_bytes_keep_the_name() -> None:
    for raw_name in ("Zoë Bakker".encode(), "Zoë Bakker".encode("latin-1")):
        parsed = _parse(b"From: " + raw_name + b" <zoe@example.nl>\r\nSubject: " + raw_name)
        assert (parsed.from_name, parsed.subject) == ("Zoë Bakker", "Zoë Bakker")
        assert parsed.from_name_for_letter == "Zoë Bakker"


def test_unknown_charset_word_does_not_spoil_the_subject() -> None:
    parsed = _parse(
        b"From: a@example.nl\r\nSubject: =?iso-8859-8-i?B?7vLw5CAn4PDpIOzgIPDu9uAnOiBJbnZvaWNlIDAyNzIyMDI3?="
        b" =?x-vendor?q?=80?= =?utf-8?q?=C3=A9?="
    )
    assert parsed.subject.startswith("מענה 'אני לא נמצא': Invoice 02722027")
    assert parsed.subject.endswith("é") and "=?" not in parsed.subject


def test_one_invalid_byte_does_not_turn_a_part_into_mojibake() -> None:
    parsed = _parse(
        b"From: a@example.nl",
        "Здравствуйте, удалите мои данные".encode() + b"\xaa",
        b"text/plain; charset=utf-8",
    )
    assert parsed.text.startswith("Здравствуйте, удалите мои данные")
    gbk = _parse(b"From: a@example.nl", "朱镕基".encode("gbk"), b"text/plain; charset=gb2312")
    assert gbk.text == "朱镕基"


def test_malformed_header_line_does_not_end_the_headers() -> None:
    raw = (
        b"Fro :uMmlti Sender <multi@example.test>\r\nthis line is no header\r\n"
        b"From: Jan <jan@example.nl>\r\nSubject: Inzageverzoek\r\n"
        b"Content-Type: text/plain\r\n\r\nGraag inzage."
    )
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_addr, parsed.text) == (
        "Inzageverzoek",
        "jan@example.nl",
        "Graag inzage.",
    )
    assert any("malformed header" in d for d in parsed.defects)


def test_encoded_crlf_in_subject_cannot_add_a_header() -> None:
    parsed = _parse(b"From: a@example.nl\r\nSubject: =?utf-8?q?Inzage=0D=0AContent-Type=3A_text/html?=")
    assert parsed.subject == "Inzage Content-Type: text/html"
    assert parsed.content_type == "text/plain"


def test_contact_form_field_with_line_break_cannot_add_a_field() -> None:
    sub = FormSubmission(
        "Jan\nE-mailadres: attacker@evil.example", "jan@example.nl", "x\r\nBericht: nep", "echt"
    )
    parsed = parse_form_body(form_body(sub))
    assert parsed is not None and parsed.email == "jan@example.nl" and parsed.message == "echt"


def test_contact_form_route_and_ip_addresses_are_unverified() -> None:
    for typed in ("a:b@example.nl", "jan@[192.0.2.7]", "=?utf-8?q?anna=40example.nl?= <x@evil.example>"):
        parsed = parse_form_body(f"Naam: Jan\nE-mailadres: {typed}\nBericht:\nwissen\n")
        assert parsed is not None
        assert parsed.email != "b@example.nl" and parsed.email != "anna@example.nl"
    route = parse_form_body("E-mailadres: a:b@example.nl\nBericht: x\n")
    assert route is not None and route.email == "a:b@example.nl" and not route.email_valid


def _cpu(fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return max(best, 0.002)


def _assert_linear(build: Callable[[int], bytes], n: int) -> None:
    small, large = build(n), build(4 * n)
    ratio = _cpu(lambda: parse_message(large)) / _cpu(lambda: parse_message(small))
    assert ratio < 9, f"4x input took {ratio:.1f}x the CPU time: not linear"


def _html(body: str) -> bytes:
    return b"From: a@example.nl\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body.encode()


def test_unclosed_script_html_is_linear() -> None:
    assert parse_message(_html("<p>Inzage</p><script>" + "a<b " * 1000)).text == "Inzage"
    _assert_linear(lambda n: _html("<p>Inzage</p><script>" + "a<b " * n), 40_000)


def test_many_unclosed_comments_html_is_linear() -> None:
    assert parse_message(_html("<p>Inzage</p>" + "<!--" * 1000)).text == "Inzage"
    _assert_linear(lambda n: _html("<p>Inzage</p>" + "<!--" * n), 40_000)


def test_nested_divs_html_is_linear() -> None:
    assert parse_message(_html("<div>" * 1000 + "Inzage")).text == "Inzage"
    _assert_linear(lambda n: _html("<div>" * n + "Inzage"), 30_000)


def test_huge_attribute_tags_without_end_and_entities_are_linear() -> None:
    _assert_linear(lambda n: _html('<a href="' + "x" * (20 * n) + '">Inzage</a>'), 10_000)
    _assert_linear(lambda n: _html("Inzage " + "<a " * n), 40_000)
    _assert_linear(lambda n: _html("Inzage " + "<p <!-- > -->" * n), 10_000)
    _assert_linear(lambda n: _html("<style>" + "<p>x</p><script>" * n), 10_000)


def test_encoded_word_subject_is_linear() -> None:
    def build(n: int) -> bytes:
        return b"From: a@example.nl\r\nSubject: " + b"=?utf-8?q?caf=C3=A9_?= " * n + b"\r\n\r\nx"

    assert parse_message(build(3)).subject == "café café café"
    _assert_linear(build, 3_000)
    _assert_linear(lambda n: b"From: a@example.nl\r\nSubject: " + b"=?" * n + b"\r\n\r\nx", 40_000)


def test_long_address_list_is_linear() -> None:
    def build(n: int) -> bytes:
        cc = ", ".join(f"=?utf-8?q?N=C3=A4me_{i}?= <a{i}@example.nl>" for i in range(n))
        return f"From: a@example.nl\r\nCc: {cc}\r\nTo: {'=?utf-8?q?a?= ' * n}<b@example.nl>\r\n\r\nx".encode()

    assert len(parse_message(build(150)).cc_addrs) == 100
    _assert_linear(build, 800)


def test_hundred_thousand_nested_divs_sanitise_in_linear_time() -> None:
    """Item 7: 100,000 nested ``<div>`` (500 kB) took the sanitiser 24.7 s per case-page view.
    The caps make its work linear in the input (and bounded once the caps cut it)."""

    def build(n: int) -> str:
        return "<div>" * n + "Inzage" + "</div>" * n

    assert "Inzage" in sanitize_html(build(1_000))
    small, large = build(25_000), build(100_000)
    ratio = _cpu(lambda: sanitize_html(large)) / _cpu(lambda: sanitize_html(small))
    assert ratio < 9, f"4x input took {ratio:.1f}x the CPU time: not linear"
