"""MIME parsing that survives real mail.

The raw bytes are the truth; this module derives the fields avgdesk works with and
never raises on bad input except :class:`MessageParseError` for a message that has
nothing usable at all. The top-level header block is read by
:func:`avgdesk.mailbox.headers.split_header_block` (a malformed line is skipped, not
the end of the headers), every value is decoded by
:func:`avgdesk.mailbox.headers.decode_header_value` (UTF-8/cp1252 for raw bytes, RFC
2047 per encoded word, single line) and addresses are split *before* anything is
decoded (:mod:`avgdesk.mailbox.addresses`). The legacy ``compat32`` parser only walks
the MIME tree. Problems are collected as *defects*, never logged with content.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from avgdesk.mailbox.addresses import ParsedAddress, parse_address_header
from avgdesk.mailbox.headers import (
    HeaderBlock,
    decode_bytes,
    decode_encoded_words,
    decode_header_value,
    single_line,
    split_header_block,
)
from avgdesk.mailbox.html_text import html_to_text, normalise_whitespace
from avgdesk.models.addresses import display_name_for_letter
from avgdesk.models.errors import MessageParseError

__all__ = [
    "AttachmentInfo",
    "ParseLimits",
    "ParsedMessage",
    "clean_text",
    "decode_rfc2047",
    "dedupe_key",
    "derived_message_id",
    "header_text",
    "html_to_text",
    "message_id_list",
    "normalise_message_id",
    "normalise_whitespace",
    "parse_message",
    "raw_sha256",
    "read_message_id",
]

_NUL = "\x00"
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
    """The sender's address only when it passes ``validate_address``: safe to write to."""
    from_name: str | None
    """The decoded display name as written (single line); see ``from_name_for_letter``."""
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
    from_addr_raw: str | None = None
    """The From address as written (lower-cased), also when it fails validation: show it
    as *unverified*, never write to it."""
    from_problem: str | None = None
    """Why ``from_addr`` is ``None`` although the header has something (English)."""
    reply_to_addrs: list[str] = field(default_factory=list)
    """Reply-To addresses that pass validation."""
    part_types: list[str] = field(default_factory=list)
    """Content types of the MIME parts read, in order (structure-based automatic rules)."""

    @property
    def from_verified(self) -> bool:
        """The From address passed the strict validator (not: the sender is authenticated)."""
        return self.from_addr is not None

    @property
    def from_name_for_letter(self) -> str | None:
        """The display name for a salutation, or ``None``: then the letter is neutral."""
        return display_name_for_letter(self.from_name)


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
    "mailing-list",
    "x-spam-flag",
    "x-spam-status",
    "x-spam",
    "x-ms-exchange-organization-scl",
    "x-forefront-antispam-report",
)
_ADDRESS_HEADERS = frozenset({"sender", "reply-to"})


def clean_text(value: str) -> str:
    """Strip NUL bytes (PostgreSQL refuses them in text) and lone surrogates."""
    if _NUL in value:
        value = value.replace(_NUL, "")
    # ASCII text has no surrogates: the round trip would copy it unchanged (~27 calls per message).
    return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")


def header_text(msg: Message, name: str, defects: list[str] | None = None) -> str | None:
    """A header of a ``compat32`` message as one line of decoded text, or ``None``; never raises."""
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
    """Encoded words decoded one by one, single-lined; linear time."""
    return clean_text(single_line(decode_encoded_words(value, defects, name)).strip())


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
    anything else (folding, encoded words, duplicates) goes through the header reader.
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
        value = split_header_block(head).get("message-id")
        return normalise_message_id(decode_header_value(value)) if value is not None else None
    except Exception:
        return None


# Files people attach or drop into a mailbox by mistake (Outlook .msg, PDF, ZIP, PNG, JPEG).
_BINARY_MAGIC = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"%PDF-", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff")


def _looks_binary(raw: bytes, sample: int = 4096) -> bool:
    """A known binary file format, or more than 10 % control bytes (other than whitespace)
    in the first ``sample`` bytes. IMAP servers may rewrite NUL (Dovecot serves 0x80), so
    the magic numbers matter more than the count."""
    if raw.startswith(_BINARY_MAGIC):
        return True
    head = raw[:sample]
    controls = sum(1 for b in head if (b < 32 and b not in (9, 10, 13)) or b == 0x80)
    return controls > len(head) // 10


def _header_block(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(sep)
        if end != -1:
            return raw[: end + len(sep)]
    return raw[:65536]


class _Head:
    """The top-level header fields, decoded on demand, defects collected."""

    def __init__(self, block: HeaderBlock, defects: list[str]) -> None:
        self.block = block
        self.defects = defects
        self._addresses: dict[tuple[str, int], list[ParsedAddress]] = {}
        # The first value of each field, as HeaderBlock.get gives it: some 30 names are
        # looked up per message, most of them absent, and a scan each costs more.
        self._first: dict[str, bytes] = {}
        for header in block.headers:
            self._first.setdefault(header.name, header.value)

    def raw(self, name: str) -> bytes | None:
        return self._first.get(name)

    def text(self, name: str) -> str | None:
        raw = self.raw(name)
        return None if raw is None else clean_text(decode_header_value(raw, self.defects, name))

    def raw_text(self, name: str) -> list[str]:
        """The undecoded values (8-bit bytes read as text, unfolded), for address parsing."""
        values = self.block.get_all(name)
        return [clean_text(single_line(decode_bytes(v, None)[0])) for v in values]

    def addresses(self, name: str, max_addresses: int = 100) -> list[ParsedAddress]:
        key = (name, max_addresses)
        if key not in self._addresses:
            self._addresses[key] = self._parse_addresses(name, max_addresses)
        return self._addresses[key]

    def _parse_addresses(self, name: str, max_addresses: int) -> list[ParsedAddress]:
        found: list[ParsedAddress] = []
        groups = name in ("to", "cc")
        for value in self.raw_text(name)[:5]:
            found += parse_address_header(
                value, max_addresses=max_addresses, defects=self.defects, name=name, groups=groups
            )
        return found[:max_addresses]


def _date(head: _Head) -> datetime | None:
    date_raw = head.text("date")
    if not date_raw:
        return None
    try:
        date = parsedate_to_datetime(date_raw)
    except Exception:
        head.defects.append("header date: unparseable")
        return None
    return date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)


def _kept_headers(head: _Head) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name in KEPT_HEADERS:
        if name in _ADDRESS_HEADERS:
            found = head.addresses(name, max_addresses=10)
            if found or head.raw(name) is not None:
                headers[name] = ", ".join(a.address or "<>" for a in found)[:2000]
            continue
        value = head.text(name)
        if value is not None:
            headers[name] = value[:2000]
    return headers


def _sender(head: _Head) -> tuple[str | None, str | None, str | None, str | None]:
    """(valid address, display name, address as written, problem) of the first From."""
    found = head.addresses("from", max_addresses=1)
    if not found:
        has_header = head.raw("from") is not None
        head.defects.append("no usable From address")
        return None, None, None, ("no address in From" if has_header else "no From header")
    first = found[0]
    name = clean_text(first.display_name) if first.display_name else None
    if not first.valid:
        head.defects.append(f"From address refused: {first.problem}")
        return None, name, first.address, first.problem
    return first.address, name, first.address, None


def parse_message(raw: bytes, limits: ParseLimits | None = None) -> ParsedMessage:
    """Parse raw RFC 5322 bytes into the fields avgdesk works with.

    Raises :class:`MessageParseError` only when nothing usable is there (an empty
    file); everything else degrades into defects.
    """
    limits = limits or ParseLimits()
    if not raw.strip():
        raise MessageParseError("empty message")
    defects: list[str] = []
    block = split_header_block(raw)
    if block.skipped_lines:
        defects.append(f"{block.skipped_lines} malformed header line(s) skipped")
    if not block.headers and _looks_binary(raw):
        raise MessageParseError("not an e-mail message: no header fields and binary content")
    try:
        msg = email.message_from_bytes(block.repaired or raw, policy=email.policy.compat32)
    except Exception as exc:  # the legacy parser rarely raises, but never trust it
        raise MessageParseError(f"unparseable message: {type(exc).__name__}") from exc
    if msg.defects:
        defects.extend(sorted({type(d).__name__ for d in msg.defects}))
    head = _Head(block, defects)
    from_addr, from_name, from_raw, from_problem = _sender(head)

    walker = _BodyWalker(limits, defects)
    walker.walk(msg, depth=0)
    text = walker.text()
    html_part = walker.html
    if not text.strip() and html_part:
        text = html_to_text(html_part, max_chars=limits.max_text_chars)
    text = text[: limits.max_text_chars]
    content_type, report_type = _top_type(msg, defects)

    return ParsedMessage(
        message_id=normalise_message_id(head.text("message-id")),
        subject=(head.text("subject") or "")[:1000],
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=[a.address for a in head.addresses("to") if a.address],
        cc_addrs=[a.address for a in head.addresses("cc") if a.address],
        date=_date(head),
        in_reply_to=normalise_message_id(head.text("in-reply-to")),
        references=message_id_list(head.text("references"))[-50:],
        text=clean_text(text),
        html=clean_text(html_part) if html_part else None,
        attachments=walker.attachments,
        headers=_kept_headers(head),
        content_type=content_type,
        report_type=report_type,
        defects=defects,
        from_addr_raw=from_raw,
        from_problem=from_problem,
        reply_to_addrs=[a.address for a in head.addresses("reply-to", 10) if a.valid and a.address],
        part_types=walker.part_types,
    )


def _top_type(msg: Message, defects: list[str]) -> tuple[str, str | None]:
    try:
        content_type = msg.get_content_type()
    except Exception:
        defects.append("content-type: unreadable")
        return "text/plain", None
    if content_type != "multipart/report":
        return content_type, None
    try:
        param = msg.get_param("report-type")
    except Exception:
        defects.append("content-type: unreadable parameters")
        return content_type, None
    report_type = str(param).strip().lower()[:60] if isinstance(param, str) and param.strip() else None
    return content_type, report_type


class _BodyWalker:
    """Walks the MIME tree within the limits, collecting text, HTML and attachments."""

    def __init__(self, limits: ParseLimits, defects: list[str]) -> None:
        self.limits = limits
        self.defects = defects
        self.parts_seen = 0
        self.plain: list[str] = []
        self.html: str | None = None
        self.attachments: list[AttachmentInfo] = []
        self.part_types: list[str] = []
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
        self.part_types.append(ctype[:80])
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
        self._leaf(part, ctype)

    def _leaf(self, part: Message, ctype: str) -> None:
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
        """The declared charset (aliased) with replacement characters, never all-or-nothing."""
        label: str | None = None
        try:
            label = part.get_content_charset()
        except Exception:
            self.defects.append("charset: unreadable")
        text, problem = decode_bytes(data, label)
        if problem and problem not in self.defects:
            self.defects.append(problem)
        return text

    def text(self) -> str:
        joined = "\n\n".join(p for p in self.plain if p.strip())
        return normalise_whitespace(joined)


_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


def _safe_filename(name: str) -> str:
    """A display name only: never used as a path (path separators and controls removed)."""
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    return name[:255] or "attachment"
