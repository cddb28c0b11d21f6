"""The sanitiser's caps (issue 11): nesting, tag count, entities, attributes, unterminated
tags. What the pre-pass leaves, nh3 still cleans; these tests check the caps hold and that
ordinary mail passes through unchanged. Speed is measured in benchmarks/hostile_web.py."""

from __future__ import annotations

import re

import pytest

from avgdesk.mailbox.sanitize import (
    MAX_AMPERSANDS,
    MAX_DEPTH,
    MAX_TAGS,
    TRUNCATED_NOTE,
    cap_structure,
    sanitize_html,
)


def _max_depth(markup: str) -> int:
    depth = deepest = 0
    for closing, _name in re.findall(r"<(/?)(div|span|b|table|blockquote)\b[^>]*>", markup):
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    return deepest


def test_deep_nesting_is_capped_and_the_text_kept() -> None:
    markup = "<div>" * 9_000 + "Inzage gevraagd" + "</div>" * 9_000  # under MAX_TAGS
    out = sanitize_html(markup)
    assert "Inzage gevraagd" in out and _max_depth(out) <= MAX_DEPTH


def test_ordinary_mail_is_not_changed_by_the_caps() -> None:
    letter = (
        '<div dir="ltr"><p>Geachte heer,</p><blockquote><div><b>Van:</b> NHMB</div><ul><li>een<li>twee'
        '</ul></blockquote><table><tr><td>a<td>b</table><img src="x.png" alt="logo"><br>Groet</div>'
    )
    assert cap_structure(letter) == (letter, False)
    assert sanitize_html(letter).count("<li>") == 2


def test_unclosed_formatting_tags_are_capped() -> None:
    out = sanitize_html("<b>x" * 10_000)
    assert _max_depth(out) <= MAX_DEPTH and out.count("x") == 10_000


@pytest.mark.parametrize(
    ("markup", "char", "limit"),
    [("<p>x" * (MAX_TAGS + 10), "<p>", MAX_TAGS), ("&amp;" * (MAX_AMPERSANDS + 10), "&amp;", MAX_AMPERSANDS)],
)
def test_a_flood_of_tags_or_entities_is_cut_with_a_note(markup: str, char: str, limit: int) -> None:
    out = sanitize_html(markup)
    assert out.endswith(TRUNCATED_NOTE) and out.count(char) <= limit


def test_a_tag_without_end_and_huge_attribute_lists_are_cut() -> None:
    capped, _ = cap_structure("<p>Inzage</p><div " + " ".join(f"a{i}=x" for i in range(100_000)))
    assert capped == "<p>Inzage</p>"
    capped, _ = cap_structure("<div " + " ".join(f"a{i}=x" for i in range(100_000)) + ">tekst</div>")
    assert len(capped) < 5_000 and capped.endswith(">tekst</div>")


def test_an_inline_image_keeps_its_long_source() -> None:
    png = "data:image/png;base64," + "iVBORw0KGgo" * 50_000
    out = sanitize_html(f'<img alt="scan" src="{png}">')
    assert png in out


def test_what_the_pre_pass_leaves_is_still_sanitised() -> None:
    # Dropping a tag beyond the depth cap joins the text around it: still no script.
    markup = "<div>" * (MAX_DEPTH + 5) + "<scr<div>ipt>alert(1)</script>" + "<img src=x onerror=alert(2)>"
    out = sanitize_html(markup)
    assert "<script" not in out and "onerror" not in out
