from __future__ import annotations

import random
import re

import pytest

from avgdesk.mailbox.html_text import MAX_ENTITIES, html_to_text, normalise_whitespace


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<ul><li>een</li><li>twee</li></ul>", "- een\n- twee"),
        ("<p>Alinea een</p><p>Alinea twee</p>", "Alinea een\n\nAlinea twee"),
        ("in<b>za</b>ge en <span>verzoek</span>", "inzage en verzoek"),
        ("a < b &amp; c &gt; d &eacute;&#233;&#x41;", "a < b & c > d ééA"),
        ("<head><title>Titel</title><style>p{}</style></head><body>Tekst</body>", "Tekst"),
        ("voor<script type='x'>alert(1)</script >na", "voor na"),
        ("voor<SCRIPT>x</Script>na<!-- weg -->!", "voor na !"),
        ("zichtbaar<script>verborgen, nooit gesloten", "zichtbaar"),
        ("zichtbaar<!-- verborgen, nooit gesloten", "zichtbaar"),
        ("zichtbaar<p class='x' ", "zichtbaar"),
        ("<!DOCTYPE html><?xml version='1.0'?><![CDATA[x]]>tekst", "tekst"),
        ("regel<br>regel<br/>regel", "regel\nregel\nregel"),
        ("<div>" * 50 + "diep" + "</div>" * 50, "diep"),
    ],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_output_is_capped() -> None:
    assert (
        html_to_text("<p>" + "woord " * 1000, max_chars=20) == "woord woord woord w"
    )  # the <p> line break counts


def test_a_page_of_entities_keeps_the_common_ones_only() -> None:
    text = html_to_text("&amp;&#65;" * (MAX_ENTITIES + 1))
    assert text.startswith("&&#65;&&#65;")


def test_normalise_whitespace() -> None:
    assert normalise_whitespace("a \t b  \r\n\r\n\r\n\r\n c \n") == "a b\n\n c"


def _normalise_whitespace_by_the_rule(text: str) -> str:
    """The rule, written plainly: every blank run one space, lines right-stripped, no more
    than one empty line in a row (normalise_whitespace skips what would change nothing)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r" +\n", "\n", re.sub(r"[ \t\u00a0\f\v]+", " ", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def test_normalise_whitespace_is_the_rule_on_every_mix_of_blanks() -> None:
    rng = random.Random(16)
    alphabet = [" ", " ", "\t", "\u00a0", "\f", "\v", "\n", "\r", "\r\n", "x", "yz", "\u2003"]
    texts = ["", " ", "x", "a b", "a  b", "a\tb", "a \n", "\n\n\n", "a\u00a0b", " \t \t "]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(5000)]
    for text in texts:
        assert normalise_whitespace(text) == _normalise_whitespace_by_the_rule(text), repr(text)
