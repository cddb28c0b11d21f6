from __future__ import annotations

import pytest

from avgdesk.mailbox.parsing import (
    clean_text,
    dedupe_key,
    html_to_text,
    normalise_message_id,
    parse_message,
    read_message_id,
)
from avgdesk.models.errors import MessageParseError


def _mail(headers: str, body: str = "Hallo", ctype: str = "text/plain; charset=utf-8") -> bytes:
    return (headers + f"Content-Type: {ctype}\r\n\r\n" + body).encode("utf-8", "surrogateescape")


def test_exchange_message_id_and_trailing_comma_in_cc_do_not_raise() -> None:
    raw = _mail(
        "From: A <a@example.nl>\r\nCc: b@example.nl, \r\n"
        "Message-ID: <[83c4a1f2-aa@EXCHANGE.microsoft.com]@Microsoft.com>\r\n"
        "In-Reply-To: <[x1]@microsoft.com>\r\nSubject: x\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "[83c4a1f2-aa@EXCHANGE.microsoft.com]@microsoft.com"
    assert parsed.cc_addrs == ["b@example.nl"]
    assert parsed.in_reply_to == "[x1]@microsoft.com"


def test_rfc2047_subject_and_nul_bytes() -> None:
    raw = _mail(
        "From: a@example.nl\r\nSubject: =?utf-8?q?Verzoek_tot_inzage_=E2=80=93_art._15?=\r\n",
        "tekst\x00met nul",
    )
    parsed = parse_message(raw)
    assert parsed.subject == "Verzoek tot inzage – art. 15"
    assert "\x00" not in parsed.text and "tekstmet nul" in parsed.text


def test_subject_can_never_carry_a_line_break() -> None:
    raw = _mail("From: a@example.nl\r\nSubject: =?utf-8?b?SW56YWdlDQpCY2M6IHZAZXhhbXBsZS5jb20=?=\r\n")
    parsed = parse_message(raw)
    assert "\r" not in parsed.subject and "\n" not in parsed.subject


def test_declared_charset_falls_back_when_bytes_do_not_match() -> None:
    raw = (
        b"From: a@example.nl\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCaf\xe9 verzoek"
    )
    parsed = parse_message(raw)
    assert "Café verzoek" in parsed.text
    assert any("do not match charset" in d for d in parsed.defects)


def test_unknown_charset_is_a_defect_not_an_error() -> None:
    raw = b"From: a@example.nl\r\nContent-Type: text/plain; charset=x-nope\r\n\r\ninzageverzoek"
    parsed = parse_message(raw)
    assert "inzageverzoek" in parsed.text and any("unknown charset" in d for d in parsed.defects)


def test_html_only_becomes_text_without_scripts() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>Graag&nbsp;inzage</p>"
        "<script>alert(1)</script><br>Groet</body></html>"
    )
    parsed = parse_message(_mail("From: a@example.nl\r\n", html, "text/html; charset=utf-8"))
    assert parsed.text.split() == ["Graag", "inzage", "Groet"] and "alert" not in parsed.text
    assert parsed.html is not None and "<script>" in parsed.html  # kept raw; only shown sanitised


def test_html_to_text_keeps_list_items() -> None:
    assert html_to_text("<ul><li>een</li><li>twee</li></ul>") == "- een\n- twee"


def test_limits_on_parts_and_depth_are_recorded() -> None:
    from avgdesk.mailbox.parsing import ParseLimits

    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(50))
    raw = _mail(
        "From: a@example.nl\r\nMIME-Version: 1.0\r\n", parts + "--b--\r\n", 'multipart/mixed; boundary="b"'
    )
    parsed = parse_message(raw, ParseLimits(max_parts=10))
    assert any("MIME limits" in d for d in parsed.defects)
    assert "part 8" in parsed.text and "part 30" not in parsed.text


def test_attachment_names_are_never_paths() -> None:
    body = (
        "--b\r\nContent-Type: text/plain\r\n\r\nzie bijlage\r\n"
        "--b\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="../../etc/passwd"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
    )
    parsed = parse_message(
        _mail("From: a@example.nl\r\nMIME-Version: 1.0\r\n", body, 'multipart/mixed; boundary="b"')
    )
    (att,) = parsed.attachments
    assert att.filename == "_.._etc_passwd" and att.size_bytes == 5 and len(att.sha256) == 64


def test_empty_and_binary_input_raise_parse_error() -> None:
    with pytest.raises(MessageParseError):
        parse_message(b"   \r\n")
    with pytest.raises(MessageParseError):
        parse_message(bytes(range(256)) * 4)


def test_dedupe_key_separates_same_id_with_other_content() -> None:
    assert dedupe_key("a@b", "1" * 64) != dedupe_key("a@b", "2" * 64)
    assert dedupe_key("a@b", "1" * 64) == dedupe_key("a@b", "1" * 64)
    assert normalise_message_id("<Foo@Example.COM>") == "Foo@example.com"
    assert read_message_id(b"Message-ID: <x@Y.nl>\r\n\r\nbody") == "x@y.nl"
    assert read_message_id(b"Subject: none\r\n\r\nbody") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Message-ID: <x@Y.nl>\r\n\r\nbody", "x@y.nl"),
        (b"Subject: a\r\nMessage-Id:\r\n <fold@X.nl>\r\n\r\n", "fold@x.nl"),
        (b"Subject: none\r\n\r\nMessage-ID: <in@body>", None),
        (b"Message-ID: <a@b>\nMessage-ID: <c@d>\n\n", "a@b"),
    ],
)
def test_read_message_id_fast_path_agrees_with_the_parser(raw: bytes, expected: str | None) -> None:
    assert read_message_id(raw) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gewoon", "gewoon"),
        ("a\x00b", "ab"),
        ("caf\u00e9 \ud800!", "caf\u00e9 ?!"),  # a lone surrogate becomes "?", the rest stays
        ("\udcff\x00", "?"),
    ],
)
def test_clean_text_drops_nul_and_lone_surrogates(value: str, expected: str) -> None:
    assert clean_text(value) == expected
