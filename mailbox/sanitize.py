"""Customer HTML, made safe to show to staff (nh3, an allow-list sanitiser), in linear time.

Runs once, at processing; the result is stored (``inbound_message.html_safe``) and the
case page only inserts it. It lives here, below ``triage``, so processing can call it
without importing the web package (``avgdesk.web.sanitize`` re-exports it).

What survives: text structure (paragraphs, lists, tables, emphasis, quotes), links to
http(s)/mailto marked ``rel="noopener noreferrer nofollow"`` (the page's CSS prints each
link's real address next to it), and inline images only as ``data:`` PNG/JPEG/GIF/WebP.
What goes: scripts and their content, styles (tags, attributes, so no CSS ``url()``), every
event handler, ``<link>``, ``<meta>`` (refresh), ``<base>``, frames, forms, SVG/MathML,
``srcset``, remote and ``cid:`` images, ``id``/``name``/``class`` (no DOM clobbering, no
borrowing of our CSS classes), and every URL scheme other than http, https and mailto.
The page's Content-Security-Policy (``script-src 'none'``, ``img-src 'self' data:``) is the
second wall should anything slip through.

Caps (issue 11: 100,000 nested ``<div>`` took nh3 24.7 s): html5ever's tree builder pays
for the depth of the open-element stack at every start tag, and for the number of
attributes of one tag. A linear pre-pass (:func:`cap_structure`) therefore drops start
tags nested deeper than ``max_depth`` (their text stays) together with their end tags,
cuts the attribute text of a tag at ``MAX_ATTRIBUTE_CHARS`` (not of an ``<img>``, whose
``data:`` source may be long), and the input at ``max_chars``. The pre-pass only removes
markup; whatever it leaves, nh3 still sanitises, so an approximate tokenizer is safe.
"""

from __future__ import annotations

import re
from collections import Counter

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div",
        "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
        "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong", "sub",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    "abbr": {"title"},
    "*": {"lang", "dir"},
}

REMOVE_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "title",
        "head",
        "template",
        "noscript",
        "iframe",
        "object",
        "svg",
        "math",
        "textarea",
        "select",
    }
)

URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]+$", re.I)
_MAX_DATA_IMAGE_CHARS = 2_000_000
_SIZE = re.compile(r"^\d{1,4}%?$")


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":
        # Only inline raster images: nothing is fetched and no SVG (which can script).
        if len(value) <= _MAX_DATA_IMAGE_CHARS and _DATA_IMAGE.match(value.strip()):
            return value.strip()
        return None
    if attr in ("width", "height"):
        return value if _SIZE.match(value.strip()) else None
    if tag == "a" and attr == "href":
        stripped = value.strip()
        lowered = re.sub(r"[\x00-\x20]+", "", stripped).lower()
        if lowered.startswith(("http://", "https://", "mailto:")):
            return stripped
        return None  # relative links would point into the staff UI; other schemes are unsafe
    return value


_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)([^>]*)>")
_ALT = re.compile(r'\salt="([^"]*)"')


def _removed_image(match: re.Match[str]) -> str:
    alt = _ALT.search(match.group(1))
    label = f": {alt.group(1)}" if alt and alt.group(1).strip() else ""
    return f"<em>[afbeelding verwijderd{label}]</em>"


MAX_DEPTH = 100
"""Nesting levels kept; real mail rarely passes 30."""
MAX_INPUT_CHARS = 2_000_000
"""Characters of HTML sanitised (as much as processing reads: AVGDESK_PARSE_MAX_HTML_BYTES)."""
MAX_ATTRIBUTE_CHARS = 4_000
"""Attribute text kept per tag (``<img>`` excepted: its ``data:`` source)."""
MAX_TAGS = 20_000
"""Markup after this many ``<`` is not shown as HTML (the text view has all the words):
a letter has a few thousand tags; a page of 500,000 is an attack on the tree builder."""
TRUNCATED_NOTE = (
    "<p><em>[HTML-weergave ingekort: te veel opmaak. De volledige tekst staat in de tekstweergave.]</em></p>"
)
_FIRST_TAGS = re.compile(rf"(?:[^<]*<){{{MAX_TAGS}}}")
MAX_AMPERSANDS = 50_000
"""Markup after this many ``&`` is not shown as HTML: nh3's time grows faster than the
number of entities (1.6 MB of ``&amp;`` took 6 s), and a letter has a few hundred."""
_FIRST_AMPERSANDS = re.compile(rf"(?:[^&]*&){{{MAX_AMPERSANDS}}}")

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
     "source", "track", "wbr"}
)  # fmt: skip
# Elements whose end tag is optional: a new one closes the old, so they do not nest by
# themselves, and counting them would only drop harmless markup of sloppy mail.
_OPTIONAL_END = frozenset(
    {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rb",
     "rt", "rp", "colgroup"}
)  # fmt: skip
# Attribute text runs to the next ">" (html5ever reads a "<" inside a tag as part of it).
_START_OR_END = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]{0,40})([^>]*)>")


def cap_structure(
    markup: str, *, max_depth: int = MAX_DEPTH, max_chars: int = MAX_INPUT_CHARS
) -> tuple[str, bool]:
    """The markup with nesting beyond ``max_depth`` and overlong attribute lists removed,
    cut after ``MAX_TAGS`` tags or ``max_chars``; and whether it was cut. One pass over the
    tags (each ``<`` is looked at once); the cut is found by a regular expression in C."""
    truncated = len(markup) > max_chars
    markup = markup[:max_chars]
    tail = markup.find("<", markup.rfind(">") + 1)
    if tail >= 0:
        # A tag no ">" ends would take the rest as its attributes; a browser shows none of it.
        markup = markup[:tail]
    for char, limit, first_n in (("<", MAX_TAGS, _FIRST_TAGS), ("&", MAX_AMPERSANDS, _FIRST_AMPERSANDS)):
        if markup.count(char) > limit:
            first = first_n.match(markup)
            if first is not None:
                markup, truncated = markup[: first.end() - 1], True
    if markup.count("<") <= max_depth and len(markup) <= MAX_ATTRIBUTE_CHARS:
        return markup, truncated  # too few tags to nest deeply, too short for long attributes
    return _cap_tags(markup, max_depth), truncated


def _cap_tags(markup: str, max_depth: int) -> str:
    depth = 0
    opened: Counter[str] = Counter()
    dropped: Counter[str] = Counter()

    def one(match: re.Match[str]) -> str:
        nonlocal depth
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if dropped[name]:
                dropped[name] -= 1
                return ""
            if opened[name]:
                opened[name] -= 1
                depth -= 1
            return match.group(0)
        if len(attrs) > MAX_ATTRIBUTE_CHARS and name != "img":
            attrs = attrs[:MAX_ATTRIBUTE_CHARS].rsplit(" ", 1)[0]
        if name in _VOID or name in _OPTIONAL_END or attrs.rstrip().endswith("/"):
            return f"<{name}{attrs}>"
        if depth >= max_depth:
            dropped[name] += 1
            return ""
        depth += 1
        opened[name] += 1
        return f"<{name}{attrs}>"

    return _START_OR_END.sub(one, markup)


def sanitize_html(markup: str) -> str:
    """Sanitised HTML fragment, safe to insert into a staff page. Images whose source was
    removed (remote, cid:, scripted) become a visible note instead of a broken image."""
    capped, truncated = cap_structure(markup)
    cleaned = nh3.clean(
        capped,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVE_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES | {"data"}),
    )
    # nh3 serialises attributes with double quotes and escapes their values, so this
    # pattern sees the real attribute list (and its output is escaped text again).
    cleaned = _IMG_WITHOUT_SRC.sub(_removed_image, cleaned)
    return cleaned + TRUNCATED_NOTE if truncated else cleaned
