"""HTML to plain text in linear time, for classification and display as text.

A small scanner rather than ``html.parser.HTMLParser``: on Python 3.11.7 the standard
library parser is itself quadratic on unclosed constructs (100,000 ``<!--`` in 400 kB
took 165 s; fixed upstream only in 3.12.11/3.13.4, gh-135462), and a tree-building
library would spend memory on 100,000 nested ``<div>`` for no gain: the text needs no
tree. Every search here starts where the previous one ended, and a search that finds
nothing ends the scan, so no byte is read more than a constant number of times.

The output is never rendered as HTML (the web UI sanitises the original); it only has
to keep the words and the paragraphs. Known simplification: a ``>`` inside a quoted
attribute value ends the tag early, so a little attribute text can leak into the text.
"""

from __future__ import annotations

import html
import re

# Elements whose content is not text; an unclosed one hides the rest, as in a browser.
_RAW_TEXT = frozenset({"script", "style", "title", "xml", "textarea", "template", "noscript"})
_BLOCK = frozenset(
    {
        "p", "div", "br", "tr", "table", "tbody", "thead", "tfoot", "ul", "ol", "dl", "dt", "dd",
        "blockquote", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
        "header", "footer", "nav", "aside", "main", "address", "center", "form", "fieldset",
        "figure", "figcaption", "caption", "body", "html", "head",
    }
)
_INLINE = frozenset(
    {
        "a", "b", "i", "u", "em", "strong", "span", "font", "small", "big", "sup", "sub", "abbr",
        "code", "mark", "s", "strike", "q", "cite", "label", "wbr", "tt", "kbd", "var", "dfn",
        "ins", "del", "bdi", "bdo", "time", "data", "o:p",
    }
)
_TAG_NAME = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]{0,40})")
_END_TAGS = {name: re.compile(rf"</{name}[\s/>]", re.I) for name in _RAW_TEXT}
_WS = re.compile(r"[ \t\u00a0\f\v]+")
_BLANKS = re.compile(r"\n{3,}")


def html_to_text(markup: str, max_chars: int | None = None) -> str:
    """Words and paragraphs of an HTML document; linear in ``len(markup)``."""
    out: list[str] = []
    pos = 0
    n = len(markup)
    while pos < n:
        lt = markup.find("<", pos)
        if lt < 0:
            out.append(markup[pos:])
            break
        out.append(markup[pos:lt])
        pos = _skip_markup(markup, lt, out)
    text = html.unescape("".join(out))
    if max_chars is not None:
        text = text[:max_chars]
    return normalise_whitespace(text)


def _skip_markup(markup: str, lt: int, out: list[str]) -> int:
    """Consume the markup starting at ``lt``; return where text resumes (``len`` = the end)."""
    n = len(markup)
    if markup.startswith("<!--", lt):
        end = markup.find("-->", lt + 4)
        return n if end < 0 else end + 3
    if markup.startswith(("<!", "<?"), lt):
        end = markup.find(">", lt + 2)
        return n if end < 0 else end + 1
    match = _TAG_NAME.match(markup, lt)
    if match is None:
        out.append("<")  # a lone "<" is text ("a < b")
        return lt + 1
    end = markup.find(">", match.end())
    if end < 0:
        return n  # an unterminated tag at the end is dropped, as browsers do
    closing = bool(match.group(1))
    name = match.group(2).lower()
    if name in _BLOCK:
        out.append("\n")
    elif name == "li" and not closing:
        out.append("\n- ")
    elif name not in _INLINE:
        out.append(" ")
    if closing or name not in _RAW_TEXT or markup[end - 1] == "/":
        return end + 1
    close = _END_TAGS[name].search(markup, end + 1)
    if close is None:
        return n
    after = markup.find(">", close.end() - 1)
    return n if after < 0 else after + 1


def normalise_whitespace(text: str) -> str:
    """One space for runs of blanks, lines right-stripped, at most one empty line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_WS.sub(" ", line).rstrip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
