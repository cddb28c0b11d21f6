"""HTML to plain text in linear time, for classification and display as text.

Not ``html.parser.HTMLParser``: on Python 3.11.7 the standard library parser is itself
quadratic on unclosed constructs (100,000 ``<!--`` in 400 kB took 165 s; fixed upstream
only in 3.12.11/3.13.4, gh-135462), and a tree-building library would spend memory and
time on 100,000 nested ``<div>`` for no gain: the text needs no tree. Instead:

1. What can never close is cut first: after the last ``>`` no tag can end, after the
   last ``-->`` no comment, after the last ``</script`` no script. Browsers hide such a
   rest too. From then on every ``<`` has a ``>`` after it and every comment its end, so
   each regular expression below finds its match where it starts looking, consumes it,
   and never rescans: linear, and run in C (``re.sub`` with a string replacement).
2. Comments go, then elements whose content is not text (script, style, title, …) in a
   loop over those elements only, then tags (blocks become line breaks, list items
   ``- ``, inline tags nothing, other tags a space), then entities.

The output is never rendered as HTML (the web UI sanitises the original); it only has
to keep the words and the paragraphs. Known simplifications: a ``>`` inside a quoted
attribute ends the tag early (a little attribute text may leak), and a comment inside
a script counts as a comment.
"""

from __future__ import annotations

import html
import re

_RAW_TEXT = ("script", "style", "title", "xml", "textarea", "template", "noscript")
_BLOCK_NAMES = (
    "p|div|br|tr|table|tbody|thead|tfoot|ul|ol|dl|dt|dd|blockquote|pre|hr|h[1-6]|section|article|"
    "header|footer|nav|aside|main|address|center|form|fieldset|figure|figcaption|caption|body|html|head"
)
_INLINE_NAMES = (
    "a|b|i|u|em|strong|span|font|small|big|sup|sub|abbr|code|mark|s|strike|q|cite|label|wbr|tt|kbd|"
    "var|dfn|ins|del|bdi|bdo|time|data|o:p"
)
_TAG_START = re.compile(r"<[A-Za-z!?/]")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_RAW_OPEN = re.compile(rf"<({'|'.join(_RAW_TEXT)})\b[^>]*>", re.I)
_RAW_CLOSE = {name: re.compile(rf"</{name}\b", re.I) for name in _RAW_TEXT}
_RAW_OPEN_ONE = {name: re.compile(rf"<{name}\b", re.I) for name in _RAW_TEXT}
_LAST_RAW_CLOSE = {name: re.compile(rf"(?s:.*)</{name}\b", re.I) for name in _RAW_TEXT}
_BLOCK = re.compile(rf"</?(?:{_BLOCK_NAMES})\b[^>]*>", re.I)
_LI = re.compile(r"<li\b[^>]*>", re.I)
_INLINE = re.compile(rf"</?(?:{_INLINE_NAMES})\b[^>]*>", re.I)
_TAG = re.compile(r"<(?:[!?]|/?[A-Za-z])[^>]*>")
# Runs of blanks ([ \t\u00a0\f\v]+) that become one space, except a lone space: replacing
# it by itself changes nothing, and a 2 KB mail has hundreds (each costs a replacement).
_WS_CHANGED = re.compile(r" [ \t\u00a0\f\v]+|[\t\u00a0\f\v][ \t\u00a0\f\v]*")
_OTHER_BLANK = re.compile(r"[\t\u00a0\f\v]")
_TRAILING = re.compile(r" +\n")
_BLANKS = re.compile(r"\n{3,}")
MAX_ENTITIES = 50_000
"""More ``&`` than this and only the five common entities are decoded: ``html.unescape``
calls Python once per entity (≈5 µs), and a page of entities is not a letter."""


def html_to_text(markup: str, max_chars: int | None = None) -> str:
    """Words and paragraphs of an HTML document; linear in ``len(markup)``."""
    markup = _cut_unterminated(markup)
    last_end = markup.rfind("-->")
    cut = markup.find("<!--", last_end + 3 if last_end >= 0 else 0)
    if cut >= 0:
        markup = markup[:cut]  # an unclosed comment hides the rest, as in a browser
    markup = _cut_unterminated(_COMMENT.sub(" ", markup))
    markup = _cut_unterminated(_drop_raw_text(_cut_unclosed_raw_text(markup)))
    markup = _BLOCK.sub("\n", markup)
    markup = _LI.sub("\n- ", markup)
    markup = _INLINE.sub("", markup)
    text = _unescape(_TAG.sub(" ", markup))
    if max_chars is not None:
        text = text[:max_chars]
    return normalise_whitespace(text)


def _cut_unterminated(markup: str) -> str:
    """Drop a tag that no ``>`` ends (and everything after it)."""
    match = _TAG_START.search(markup, markup.rfind(">") + 1)
    return markup[: match.start()] if match else markup


def _cut_unclosed_raw_text(markup: str) -> str:
    """Cut at the first script/style/... opened after the last closing tag of its kind."""
    for name in _RAW_TEXT:
        last = _LAST_RAW_CLOSE[name].match(markup)
        opening = _RAW_OPEN_ONE[name].search(markup, last.end() if last else 0)
        if opening:
            markup = markup[: opening.start()]
    return markup


def _drop_raw_text(markup: str) -> str:
    """Remove script/style/... elements; a loop over those elements only."""
    out: list[str] = []
    pos = 0
    while True:
        opening = _RAW_OPEN.search(markup, pos)
        if opening is None:
            out.append(markup[pos:])
            break
        out.append(markup[pos : opening.start()])
        out.append(" ")
        closing = _RAW_CLOSE[opening.group(1).lower()].search(markup, opening.end())
        end = markup.find(">", closing.end()) if closing else -1
        if end < 0:
            break  # unclosed: its content is not text, and neither is the rest
        pos = end + 1
    return "".join(out)


def _unescape(text: str) -> str:
    if text.count("&") <= MAX_ENTITIES:
        return html.unescape(text)
    for entity, char in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def normalise_whitespace(text: str) -> str:
    """One space for runs of blanks, lines right-stripped, at most one empty line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Each substitution only when something is there to change (same result, and
    # ordinary mail has none): looking is several times cheaper than a sub that copies.
    if "  " in text or _OTHER_BLANK.search(text):
        text = _WS_CHANGED.sub(" ", text)
    if " \n" in text:
        text = _TRAILING.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANKS.sub("\n\n", text)
    return text.strip()
