"""Customer HTML, made safe to show to staff (nh3, an allow-list sanitiser).

What survives: text structure (paragraphs, lists, tables, emphasis, quotes), links to
http(s)/mailto marked ``rel="noopener noreferrer nofollow"`` (the page's CSS prints each
link's real address next to it), and inline images only as ``data:`` PNG/JPEG/GIF/WebP.
What goes: scripts and their content, styles (tags, attributes, so no CSS ``url()``), every
event handler, ``<link>``, ``<meta>`` (refresh), ``<base>``, frames, forms, SVG/MathML,
``srcset``, remote and ``cid:`` images, ``id``/``name``/``class`` (no DOM clobbering, no
borrowing of our CSS classes), and every URL scheme other than http, https and mailto.
The page's Content-Security-Policy (``img-src 'self' data:``, no inline script) is the
second wall should anything slip through.
"""

from __future__ import annotations

import re

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


def sanitize_html(markup: str) -> str:
    """Sanitised HTML fragment, safe to insert into a staff page. Images whose source was
    removed (remote, cid:, scripted) become a visible note instead of a broken image."""
    cleaned = nh3.clean(
        markup,
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
    return _IMG_WITHOUT_SRC.sub(_removed_image, cleaned)
