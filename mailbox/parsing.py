"""MIME parsing that survives real mail.

The raw bytes are the truth; this module derives the fields avgdesk works with and
never raises on bad input except :class:`MessageParseError` for a message that has
nothing usable at all. Every header is read through :func:`header_text`, which
falls back to the legacy ``compat32`` parser when the modern one raises (it does on
Exchange ``<[...]@...>`` Message-IDs and on a trailing comma in Cc — CPython
#105802 and friends). Problems are collected as *defects*, never logged with
content.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from avgdesk.models.errors import MessageParseError

_NUL = "\x00"
_WS = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")
_MSGID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class ParseLimits:
    max_parts: int = 500
    max_depth: int = 20
    max_text_chars: int = 500_000
    max_html_bytes: int = 2_000_000


@dataclass(frozen=True)
class AttachmentInfo:
    part_index: int
    filename: str | None
    content_type: str
    size_bytes: int
    sha256: str


@dataclass
class ParsedMessage:
    message_id: str | None
    subject: str
    from_addr: str | None
    from_name: str | None
    to_addrs: list[str]
    cc_addrs: list[str]
    date: datetime | None
    in_reply_to: str | None
    references: list[str]
    text: str
    html: str | None
    attachments: list[AttachmentInfo]
    headers: dict[str, str]
    """Selected headers as decoded text: what the auto-reply rules and threading need."""
    content_type: str
    report_type: str | None
    defects: list[str] = field(default_factory=list)


# Headers kept (decoded) on the parsed message.
KEPT_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "list-help",
    "return-path",
    "sender",
    "reply-to",
    "x-loop",
    "x-avgdesk-loop",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-ack",
    "x-no-ack",
    "x-failed-recipients",
    "content-type",
)


def clean_text(value: str) -> str:
    """Strip NUL bytes (PostgreSQL refuses them in text) and lone surrogates."""
    if _NUL in value:
        value = value.replace(_NUL, "")
    return value.encode("utf-8", "replace").decode("utf-8")


def header_text(msg: Message, name: str, defects: list[str] | None = None) -> str | None:
    """A header as decoded text, or ``None``; never raises.

    ``msg`` is parsed with ``compat32`` so nothing is parsed eagerly; RFC 2047
    words are decoded here with fallbacks for unknown charsets and bad encodings.
    """
    try:
        raw = msg.get(name)
    except Exception:  # the parser can raise on any malformed header
        if defects is not None:
            defects.append(f"header {name}: unreadable")
        return None
    if raw is None:
        return None
    return decode_rfc2047(str(raw), defects, name)


def decode_rfc2047(value: str, defects: list[str] | None = None, name: str = "") -> str:
    try:
        decoded = str(make_header(decode_header(value)))
    except Exception:
        if defects is not None:
            defects.append(f"header {name}: undecodable encoded-word")
        decoded = value
    decoded = decoded.replace("\r", " ").replace("\n", " ")
    return clean_text(_WS.sub(" ", decoded).strip())


def normalise_message_id(value: str | None) -> str | None:
    """``<Foo@Example.COM>`` → ``Foo@example.com``; tolerant of Exchange ``<[..]@..>`` ids."""
    if not value:
        return None
    value = clean_text(value).strip()
    match = _MSGID.search(value)
    core = match.group(1) if match else value.strip("<> \t")
    if not core or len(core) > 900:
        return None
    if "@" in core:
        local, _, domain = core.rpartition("@")
        core = f"{local}@{domain.lower()}"
    return core


def message_id_list(value: str | None) -> list[str]:
    if not value:
        return []
    found = [normalise_message_id(f"<{m}>") for m in _MSGID.findall(value)]
    return [m for m in found if m]


def raw_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def dedupe_key(message_id: str | None, raw_hash: str) -> str:
    """The unique key of a stored message: Message-ID *and* content.

    The same bytes fetched twice (a crash between commit and server action) give the
    same key; a reused Message-ID with other content gives a new one.
    """
    return hashlib.sha256(f"{message_id or ''}\x00{raw_hash}".encode()).hexdigest()


def derived_message_id(raw_hash: str) -> str:
    """A deterministic id for mail that has none, so that threading still works."""
    return f"{raw_hash[:32]}@avgdesk.invalid"


_MESSAGE_ID_LINE = re.compile(rb"^message-id[ \t]*:[ \t]*([^\r\n]*)\r?$", re.I | re.M)


def read_message_id(raw: bytes) -> str | None:
    """Only the Message-ID, cheaply, for intake's dedupe key (headers only).

    The common case — one unfolded ``Message-ID: <...>`` line — is read with a regex;
    anything else (folding, encoded words, duplicates) goes through the email parser.
    """
    head = _header_block(raw)
    found = _MESSAGE_ID_LINE.findall(head)
    if len(found) == 1 and found[0].strip():
        value = found[0].decode("latin-1")
        end = head.find(found[0]) + len(found[0])
        folded = head[end : end + 2].lstrip(b"\r\n")[:1] in (b" ", b"\t")
        if "=?" not in value and not folded:
            return normalise_message_id(value)
    try:
        parsed_head = email.message_from_bytes(_header_block(raw), policy=email.policy.compat32)
        return normalise_message_id(header_text(parsed_head, "message-id"))
    except Exception:
        return None


def _looks_binary(raw: bytes, sample: int = 4096) -> bool:
    """More than 10 % control bytes (other than whitespace) in the first ``sample`` bytes."""
    head = raw[:sample]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls > len(head) // 10


def _header_block(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(sep)
        if end != -1:
            return raw[: end + len(sep)]
    return raw[:65536]


def parse_message(raw: bytes, limits: ParseLimits | None = None) -> ParsedMessage:
    """Parse raw RFC 5322 bytes into the fields avgdesk works with.

    Raises :class:`MessageParseError` only when nothing usable is there (an empty
    file); everything else degrades into defects.
    """
    limits = limits or ParseLimits()
    if not raw.strip():
        raise MessageParseError("empty message")
    defects: list[str] = []
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:  # the legacy parser rarely raises, but never trust it
        raise MessageParseError(f"unparseable message: {type(exc).__name__}") from exc
    if not msg.keys() and _looks_binary(raw):
        raise MessageParseError("not an e-mail message: no header fields and binary content")
    if msg.defects:
        defects.extend(sorted({type(d).__name__ for d in msg.defects}))

    def addresses(name: str) -> list[str]:
        try:
            values = msg.get_all(name) or []
            pairs = getaddresses([decode_rfc2047(str(v), defects, name) for v in values])
        except Exception:
            defects.append(f"header {name}: unparseable addresses")
            return []
        return [clean_text(a).lower() for _, a in pairs if a and "@" in a]

    from_raw = header_text(msg, "from", defects)
    from_name: str | None = None
    from_addr: str | None = None
    if from_raw:
        try:
            name, addr = parseaddr(from_raw)
            from_name = clean_text(name) or None
            from_addr = clean_text(addr).lower() if addr and "@" in addr else None
        except Exception:
            defects.append("header from: unparseable")
    if from_addr is None:
        defects.append("no usable From address")

    date: datetime | None = None
    date_raw = header_text(msg, "date", defects)
    if date_raw:
        try:
            date = parsedate_to_datetime(date_raw)
            date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
        except Exception:
            defects.append("header date: unparseable")
            date = None

    headers: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = header_text(msg, name, defects)
        if value is not None:
            headers[name] = value[:2000]

    walker = _BodyWalker(limits, defects)
    walker.walk(msg, depth=0)

    text = walker.text()
    html_part = walker.html
    if not text.strip() and html_part:
        text = html_to_text(html_part)
    text = text[: limits.max_text_chars]

    report_type = None
    try:
        if msg.get_content_type() == "multipart/report":
            param = msg.get_param("report-type")
            report_type = str(param).lower() if isinstance(param, str) and param else None
    except Exception:
        defects.append("content-type: unreadable parameters")

    try:
        content_type = msg.get_content_type()
    except Exception:
        content_type = "text/plain"

    return ParsedMessage(
        message_id=normalise_message_id(header_text(msg, "message-id", defects)),
        subject=(header_text(msg, "subject", defects) or "")[:1000],
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=addresses("to"),
        cc_addrs=addresses("cc"),
        date=date,
        in_reply_to=normalise_message_id(header_text(msg, "in-reply-to", defects)),
        references=message_id_list(header_text(msg, "references", defects))[-50:],
        text=clean_text(text),
        html=clean_text(html_part) if html_part else None,
        attachments=walker.attachments,
        headers=headers,
        content_type=content_type,
        report_type=report_type,
        defects=defects,
    )


class _BodyWalker:
    """Walks the MIME tree within the limits, collecting text, HTML and attachments."""

    def __init__(self, limits: ParseLimits, defects: list[str]) -> None:
        self.limits = limits
        self.defects = defects
        self.parts_seen = 0
        self.plain: list[str] = []
        self.html: str | None = None
        self.attachments: list[AttachmentInfo] = []
        self._limit_noted = False

    def walk(self, part: Message, depth: int) -> None:
        self.parts_seen += 1
        if self.parts_seen > self.limits.max_parts or depth > self.limits.max_depth:
            if not self._limit_noted:
                self.defects.append(
                    f"MIME limits reached (parts>{self.limits.max_parts} or depth>{self.limits.max_depth});"
                    " rest not parsed"
                )
                self._limit_noted = True
            return
        try:
            ctype = part.get_content_type()
        except Exception:
            ctype = "text/plain"
            self.defects.append("content-type: unreadable")
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                for child in payload:
                    if isinstance(child, Message):
                        self.walk(child, depth + 1)
            return
        if ctype.startswith("multipart/"):
            # A multipart without a usable boundary: its payload is one text blob.
            self.defects.append("multipart without parts; read as text")
            ctype = "text/plain"
        disposition = ""
        filename: str | None = None
        try:
            disposition = (part.get_content_disposition() or "").lower()
            raw_name = part.get_filename()
            filename = (
                _safe_filename(decode_rfc2047(str(raw_name), self.defects, "filename")) if raw_name else None
            )
        except Exception:
            self.defects.append("attachment: unreadable filename")
        is_attachment = disposition == "attachment" or (
            filename is not None and not ctype.startswith("text/")
        )
        if ctype == "message/rfc822" and not is_attachment:
            is_attachment = True
        data = self._payload_bytes(part)
        if is_attachment or not ctype.startswith("text/"):
            self.attachments.append(
                AttachmentInfo(
                    part_index=self.parts_seen,
                    filename=filename,
                    content_type=ctype,
                    size_bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                )
            )
            return
        if ctype == "text/html":
            if self.html is None:
                if len(data) > self.limits.max_html_bytes:
                    self.defects.append("html part truncated at the size limit")
                    data = data[: self.limits.max_html_bytes]
                self.html = self._decode(part, data)
            return
        self.plain.append(self._decode(part, data))

    def _payload_bytes(self, part: Message) -> bytes:
        try:
            data = part.get_payload(decode=True)
        except Exception:
            self.defects.append("body: undecodable transfer encoding")
            data = None
        if data is None:
            raw = part.get_payload()
            if isinstance(raw, str):
                return raw.encode("utf-8", "surrogateescape")
            return b""
        if not isinstance(data, bytes):
            return b""
        for defect in part.defects:
            name = type(defect).__name__
            if name not in self.defects:
                self.defects.append(name)
        return data

    def _decode(self, part: Message, data: bytes) -> str:
        charset = "utf-8"
        try:
            charset = (part.get_content_charset() or "utf-8").strip().lower()
        except Exception:
            self.defects.append("charset: unreadable")
        try:
            return data.decode(charset)
        except LookupError:
            self.defects.append(f"unknown charset {charset[:40]!r}")
        except UnicodeDecodeError:
            self.defects.append(f"bytes do not match charset {charset[:40]!r}")
        for fallback in ("utf-8", "cp1252"):
            try:
                return data.decode(fallback)
            except UnicodeDecodeError:
                continue
        return data.decode("latin-1")

    def text(self) -> str:
        joined = "\n\n".join(p for p in self.plain if p.strip())
        return normalise_whitespace(joined)


def normalise_whitespace(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_WS.sub(" ", line).rstrip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


_SCRIPT_STYLE = re.compile(r"<(script|style|head|title)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_BLOCK = re.compile(r"<\s*(br|/p|/div|/tr|/h[1-6]|/blockquote|/table)\b[^>]*>", re.I)
_LI = re.compile(r"<\s*li\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]{0,2000}>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def html_to_text(markup: str) -> str:
    """HTML to plain text for classification and display as text.

    Deliberately simple and linear-time: the output is never rendered as HTML (the web
    UI sanitises the original with nh3), it only has to keep the words and paragraphs.
    """
    markup = _COMMENT.sub(" ", markup)
    markup = _SCRIPT_STYLE.sub(" ", markup)
    markup = _BLOCK.sub("\n", markup)
    markup = _LI.sub("\n- ", markup)
    markup = _TAG.sub(" ", markup)
    return normalise_whitespace(html.unescape(markup))


_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


def _safe_filename(name: str) -> str:
    """A display name only: never used as a path (path separators and controls removed)."""
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    return name[:255] or "attachment"
