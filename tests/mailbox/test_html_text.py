from __future__ import annotations

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
