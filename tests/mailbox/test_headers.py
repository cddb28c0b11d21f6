from __future__ import annotations

import base64
import random
import re

import pytest

from avgdesk.mailbox.headers import (
    codec_for,
    decode_bytes,
    decode_encoded_words,
    decode_header_value,
    single_line,
    split_header_block,
)


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("iso-8859-8-i", "iso8859-8"),
        ("GB2312", "gb18030"),
        ("ks_c_5601-1987", "cp949"),
        ("Shift_JIS", "cp932"),
        ("iso-8859-1", "cp1252"),
        ('"utf8"', "utf-8"),
        ("x-unknown", None),
        ("unknown-8bit", None),
        ("us-ascii", None),
        ("no-such-charset", None),
        ("base64", None),
        ("rot13", None),
        ("unicode_escape", None),
        ("idna", None),
        ("x" * 50, None),
    ],
)
def test_codec_for_real_world_labels(label: str, codec: str | None) -> None:
    assert codec_for(label) == codec


def test_each_encoded_word_decodes_on_its_own() -> None:
    defects: list[str] = []
    value = "=?iso-8859-8-i?B?7vLw5A==?= =?x-nope?q?caf=E9?= =?utf-8?b?!!!?= =?utf-8?q?gel=C3=BCkt?= klaar"
    decoded = decode_encoded_words(value, defects, "subject")
    assert decoded.startswith("מענה")
    assert "café" in decoded and "gelükt klaar" in decoded
    assert defects and "unknown charset" in defects[0]


def test_character_split_over_two_words_survives() -> None:
    euro = "€".encode()
    first = base64.b64encode(b"prijs " + euro[:2]).decode()
    second = base64.b64encode(euro[2:] + b" 10").decode()
    assert decode_encoded_words(f"=?utf-8?b?{first}?=\r\n =?utf-8?b?{second}?=") == "prijs € 10"


def test_whitespace_between_words_is_dropped_but_not_around_plain_text() -> None:
    assert decode_encoded_words("=?utf-8?q?a?= =?utf-8?q?b?= c =?utf-8?q?d?=") == "ab c d"


def test_gbk_text_labelled_gb2312_and_korean_labels() -> None:
    gbk = "镕基".encode("gbk")  # 镕 is GBK, not GB2312
    assert decode_encoded_words(f"=?gb2312?b?{base64.b64encode(gbk).decode()}?=") == "镕基"
    korean = base64.b64encode("안녕".encode("cp949")).decode()
    assert decode_encoded_words(f"=?ks_c_5601-1987?b?{korean}?=") == "안녕"


def test_iso2022jp_vendor_characters() -> None:
    # CIRCLED DIGIT ONE is not in ISO-2022-JP proper; Windows (CP50221) writes it.
    text, problem = decode_bytes(base64.b64decode("GyRCLSEbKEIgGyRCNF0/dDt6JUYlOSVIGyhC"), "iso-2022-jp")
    assert text == "① 丸数字テスト" and problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Zoë Bakker".encode(), "Zoë Bakker"),
        ("Zoë Bakker".encode("latin-1"), "Zoë Bakker"),
        ("Zoë € Bakker".encode("cp1252"), "Zoë € Bakker"),
        (b"Inzage\r\n\tverzoek", "Inzage verzoek"),
        (b"=?utf-8?b?SW56YWdlDQpCY2M6IHZAZXhhbXBsZS5jb20=?=", "Inzage Bcc: v@example.com"),
        (b"a\x00b\x0bc\xc2\x85d\xe2\x80\xa8e", "a b c d e"),
    ],
)
def test_header_values_keep_what_they_can_and_stay_single_line(raw: bytes, expected: str) -> None:
    assert decode_header_value(raw) == expected


def test_body_bytes_keep_their_charset_with_one_bad_byte() -> None:
    cyrillic = "Здравствуйте".encode() + b"\xaa"
    text, problem = decode_bytes(cyrillic, "utf-8")
    assert text == "Здравствуйте\ufffd" and problem
    latin, _ = decode_bytes("Café verzoek".encode("latin-1"), "utf-8")
    assert latin == "Café verzoek"
    assert decode_bytes(b"caf\xe9", None) == ("café", "8-bit bytes without a charset")
    assert decode_bytes(b"caf\xe9", "x-nope")[1] == "unknown charset 'x-nope'"


def test_malformed_header_line_is_skipped_not_the_end_of_the_headers() -> None:
    raw = b"Fro :uMmlti Sender\r\nbroken line\r\nSubject: kept\r\nFrom: a@example.nl\r\n\r\nbody"
    block = split_header_block(raw)
    assert block.get("subject") == b" kept" and block.get("from") == b" a@example.nl"
    assert block.skipped_lines == 1 and block.repaired is not None
    assert block.repaired.endswith(b"\r\n\r\nbody") and b"broken" not in block.repaired
    assert block.get("fro") == b"uMmlti Sender"  # obsolete "Name :" syntax is a field


def test_a_body_without_the_blank_line_starts_at_the_first_non_field() -> None:
    raw = b"From: a@example.nl\nSubject: x\nHallo, dit is de tekst.\nTweede regel\n"
    block = split_header_block(raw)
    assert [h.name for h in block.headers] == ["from", "subject"]
    assert raw[block.body_start :].startswith(b"Hallo")
    assert block.repaired == b"From: a@example.nl\nSubject: x\n\r\nHallo, dit is de tekst.\nTweede regel\n"


def test_folding_and_cr_only_line_ends() -> None:
    block = split_header_block(b"Subject: een\r twee\rFrom: a@example.nl\r\rbody")
    assert decode_header_value(block.get("subject") or b"") == "een twee"
    assert block.repaired is None and block.get("from") == b" a@example.nl"


def _single_line_by_the_rule(value: str) -> str:
    value = re.sub(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]", " ", value)
    value = re.sub(r"[ \t\u00a0]+", " ", value)
    return value.encode("utf-8", "replace").decode("utf-8")


def test_single_line_is_the_rule_on_every_mix() -> None:
    """single_line skips the substitutions that would change nothing; the rule decides."""
    rng = random.Random(16)
    alphabet = [" ", " ", "\t", "\u00a0", "\r", "\n", "\x00", "\x7f", "\x85", "\u2028", "a", "\ud800"]
    alphabet.append("\u00e9")
    values = ["", " ", "a b", "a  b", "a\tb", "\ud800", "caf\u00e9", "\r\n "]
    values += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(5000)]
    for value in values:
        assert single_line(value) == _single_line_by_the_rule(value), repr(value)
