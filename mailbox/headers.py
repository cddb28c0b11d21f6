"""Header bytes to text, keeping what can be kept, in linear time.

* Raw 8-bit header bytes are read as UTF-8, or as cp1252 when they are not UTF-8.
* RFC 2047 encoded words are decoded one by one (adjacent words of one charset
  together, so a character split over two words survives); an unknown charset or a
  broken word costs that word, never the whole value. Real-world charset labels are
  mapped to the codec that decodes what senders actually wrote (:func:`codec_for`).
* Values are single-lined: no CR, LF or other control character survives.
* :func:`split_header_block` reads the header block itself, so that one malformed
  line is skipped instead of ending the headers (the standard library's parser starts
  the body there and loses Subject and From).

The standard library's ``decode_header``/``make_header`` are quadratic (1 MB took
4.6 s) and all-or-nothing; nothing here calls them.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

_ALIASES = {
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-8-e": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6",
    "iso-8859-1": "cp1252",  # as browsers do: senders labelled cp1252 text latin-1 for decades
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "gb2312": "gb18030",  # GBK text labelled gb2312 is the rule, not the exception
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "cp949",
    "windows-949": "cp949",
    "csksc56011987": "cp949",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "x-euc-jp": "euc-jp",
    "utf8": "utf-8",
    "x-utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "cp-850": "cp850",
}
# Labels that say nothing: read as UTF-8, else cp1252.
_SNIFF = frozenset(
    {"", "us-ascii", "ascii", "ansi_x3.4-1968", "x-unknown", "unknown", "unknown-8bit", "x-unknown-8bit",
     "x-user-defined", "default", "charset", "8bit", "7bit", "none", "x-binaryenc"}
)  # fmt: skip
# Python codecs that are not what a mail means by a charset.
_REFUSED = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem",
     "charmap", "unicode_internal"}
)  # fmt: skip
ISO2022JP = "iso2022_jp"


@lru_cache(maxsize=256)
def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label as mail uses it; ``None``: sniff UTF-8/cp1252."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if len(name) > 40 or name in _SNIFF:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _REFUSED:
        return None
    return info.name


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_8bit(data: bytes) -> tuple[str, bool]:
    """Bytes of unknown charset: UTF-8, else cp1252. Returns (text, clean).

    Mostly-UTF-8 bytes with a stray invalid byte stay UTF-8 (one replacement character);
    bytes without any UTF-8 sequence are legacy text and read as cp1252.
    """
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8", "replace")
    bad = replaced.count("\ufffd")
    good = len(_UTF8_MULTIBYTE.findall(data))
    if good >= bad:
        return replaced, False
    return data.decode("cp1252", "replace"), False


def decode_bytes(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode with the declared charset (aliased), keeping what can be kept.

    Returns (text, problem) where problem is ``None`` when the bytes matched.
    """
    codec = codec_for(label)
    if codec is None:
        text, clean = decode_8bit(data)
        if label and label.strip().strip("\"'").lower() not in _SNIFF:
            return text, f"unknown charset {label[:40]!r}"
        return text, None if clean else "8-bit bytes without a charset"
    try:
        return data.decode(codec), None
    except UnicodeDecodeError:
        pass
    problem = f"bytes do not match charset {label[:40]!r}" if label else "bytes do not match charset"
    if not data.isascii():
        try:
            return data.decode("utf-8"), problem  # mislabelled UTF-8 is the common case
        except UnicodeDecodeError:
            pass
    if codec == "utf-8":
        return decode_8bit(data)[0], problem
    if codec == ISO2022JP:
        return _iso2022jp_lenient(data), problem
    return data.decode(codec, "replace"), problem


def _iso2022jp_lenient(data: bytes) -> str:
    """ISO-2022-JP with the vendor extensions of Windows (CP50221: NEC circled digits and
    more), by converting its JIS X 0208 pairs to Shift_JIS and reading them as cp932."""
    out = bytearray()
    mode = "ascii"
    i = 0
    n = len(data)
    while i < n:
        if data[i] == 0x1B:
            seq = data[i + 1 : i + 3]
            if seq in (b"$@", b"$B"):
                mode = "jis"
            elif seq == b"(I":
                mode = "kana"
            elif seq[:1] == b"(":
                mode = "ascii"
            i += 3
            continue
        b = data[i]
        if mode == "jis" and 0x21 <= b <= 0x7E and i + 1 < n and 0x21 <= data[i + 1] <= 0x7E:
            out += _jis_to_sjis(b, data[i + 1])
            i += 2
            continue
        out.append(b + 0x80 if mode == "kana" and 0x21 <= b <= 0x5F else b)
        i += 1
    return bytes(out).decode("cp932", "replace")


def _jis_to_sjis(j1: int, j2: int) -> bytes:
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = j2 + ((0x1F if j2 <= 0x5F else 0x20) if j1 & 1 else 0x7E)
    return bytes((s1, s2))


_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def single_line(value: str) -> str:
    """No CR, LF or other control characters; runs of blanks become one space."""
    value = _CONTROLS.sub(" ", value)
    # The blank runs only when one is more than a lone space, the round trip (for lone
    # surrogates) only for non-ASCII text: ~10 calls per message, most on plain ASCII.
    if "  " in value or "\t" in value or "\u00a0" in value:
        value = _SPACES.sub(" ", value)
    return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")


# Linear: each attempt scans at most to the third '?' after its '=?'.
_ENCODED_WORD = re.compile(r"=\?([^?\s*]{1,64})(?:\*[^?\s]{0,20})?\?([bBqQ])\?([^?\s]*)\?=")
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _word_bytes(encoding: str, text: str) -> bytes | None:
    raw = text.encode("ascii", "replace")
    if encoding in "qQ":
        return _QP_HEX.sub(lambda m: bytes((int(m.group(1), 16),)), raw.replace(b"_", b" "))
    raw = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    if len(raw) % 4 == 1:
        raw = raw[:-1]  # a lone sextet carries no whole byte
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_encoded_words(value: str, defects: list[str] | None = None, name: str = "") -> str:
    """Decode RFC 2047 words one by one; whitespace between two words is dropped."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    last_end = 0
    problems: set[str] = set()

    def flush() -> None:
        if pending:
            text, problem = decode_bytes(b"".join(pending), pending_charset)
            if problem:
                problems.add(problem)
            out.append(text)
            pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        gap = value[last_end : match.start()]
        charset = match.group(1).lower()
        data = _word_bytes(match.group(2), match.group(3))
        adjacent = last_end > 0 and not gap.strip()
        if data is None:
            flush()
            out.append(gap + match.group(0))
            problems.add("undecodable encoded word")
        elif adjacent and charset == pending_charset:
            pending.append(data)
        else:
            flush()
            if not adjacent:
                out.append(gap)
            pending_charset = charset
            pending.append(data)
        last_end = match.end()
    flush()
    out.append(value[last_end:])
    if problems and defects is not None:
        defects.append(f"header {name}: " + "; ".join(sorted(problems))[:200])
    return "".join(out)


def decode_header_value(raw: bytes, defects: list[str] | None = None, name: str = "") -> str:
    """A raw header value (folded or not) as one line of text."""
    text, clean = decode_8bit(raw) if not raw.isascii() else (raw.decode("ascii"), True)
    if not clean and defects is not None:
        defects.append(f"header {name}: 8-bit bytes that are not UTF-8")
    text = _unfold(text)
    return single_line(decode_encoded_words(text, defects, name)).strip()


_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")


def _unfold(text: str) -> str:
    # Most values are one line: no line break, nothing to unfold.
    return _FOLD.sub("", text) if "\n" in text or "\r" in text else text


@dataclass(frozen=True)
class RawHeader:
    name: str
    """Lower-case field name."""
    value: bytes
    """The raw value after the colon, folding line breaks still in it."""


@dataclass
class HeaderBlock:
    headers: list[RawHeader]
    body_start: int
    """Offset of the body in the raw bytes."""
    skipped_lines: int
    repaired: bytes | None
    """The message with skipped lines removed (for the MIME parser), or None if unchanged."""

    def get(self, name: str) -> bytes | None:
        for header in self.headers:
            if header.name == name:
                return header.value
        return None

    def get_all(self, name: str) -> list[bytes]:
        return [h.value for h in self.headers if h.name == name]


_LINE_END = re.compile(rb"\r\n|\n|\r")
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]{1,200})[ \t]*:")


def _lines(raw: bytes) -> list[tuple[int, int, int]]:
    """(start, end-of-content, end-with-newline) of each header line up to the blank line."""
    lines: list[tuple[int, int, int]] = []
    pos = 0
    for match in _LINE_END.finditer(raw):
        lines.append((pos, match.start(), match.end()))
        if match.start() == pos:
            return lines
        pos = match.end()
    if pos < len(raw):
        lines.append((pos, len(raw), len(raw)))
    return lines


def _classify(raw: bytes, lines: list[tuple[int, int, int]]) -> list[str]:
    kinds: list[str] = []
    for idx, (start, end, _) in enumerate(lines):
        if end == start:
            kinds.append("blank")
        elif idx == 0 and raw.startswith(b"From ", start):
            kinds.append("mbox")
        elif raw[start] in b" \t":
            kinds.append("cont")
        elif _FIELD.match(raw, start, end):
            kinds.append("field")
        else:
            kinds.append("bad")
    return kinds


def split_header_block(raw: bytes) -> HeaderBlock:
    """Read the header fields; a malformed line is skipped when fields follow it.

    A malformed line followed by no further field before the blank line is where the
    body begins (a sender that forgot the blank line), as the standard library reads it.
    """
    lines = _lines(raw)
    kinds = _classify(raw, lines)
    field_follows = [False] * len(lines)
    seen = False
    for idx in range(len(lines) - 1, -1, -1):
        field_follows[idx] = seen
        seen = seen or kinds[idx] == "field"
    headers: list[tuple[str, list[bytes]]] = []
    kept: list[bytes] = []
    skipped = 0
    changed = False
    body_start = len(raw)
    tail = b"\r\n"
    for idx, (start, end, end_nl) in enumerate(lines):
        kind = kinds[idx]
        if kind == "blank":
            body_start = end_nl
            tail = raw[start:]
            break
        if kind == "bad" and not field_follows[idx]:
            body_start = start
            tail = b"\r\n" + raw[start:]  # the separator the sender left out
            changed = True
            break
        if kind == "bad" or (kind == "cont" and not headers):
            skipped += 1
            changed = True
            continue
        line = raw[start:end_nl]
        if kind == "field":
            match = _FIELD.match(raw, start, end)
            assert match is not None
            headers.append((match.group(1).decode("ascii").lower(), [raw[match.end() : end]]))
            if match.end() - start != len(match.group(1)) + 1:
                line = match.group(1) + b":" + raw[match.end() : end_nl]  # "Subject :" (obsolete)
                changed = True
        elif kind == "cont":
            headers[-1][1].append(b"\n" + raw[start:end])
        kept.append(line)
    repaired = b"".join(kept) + tail if changed else None
    return HeaderBlock(
        headers=[RawHeader(name, b"".join(parts)) for name, parts in headers],
        body_start=body_start,
        skipped_lines=skipped,
        repaired=repaired,
    )
