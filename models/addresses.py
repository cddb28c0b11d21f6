"""Addresses avgdesk may write to, and names it may put in a letter.

The bottom layer holds these because the contact form (web), intake (triage, mailbox) and
approval (replies) must apply the SAME rule, and replies may not import mailbox.
:func:`validate_address` is the one strict validator for every address avgdesk may write
to; :func:`display_name_for_letter` decides whether a display name (chosen by a stranger)
may appear in a letter's salutation. Header parsing lives in ``avgdesk.mailbox.addresses``.
"""

from __future__ import annotations

import re
import unicodedata

from avgdesk.models.errors import PermanentError

MAX_ADDRESS_CHARS = 254
MAX_LOCAL_CHARS = 64
MAX_LABEL_CHARS = 63

_LOCAL_ATOM = re.compile(r"[A-Za-z0-9#$&'*+/=?^_`{|}~-]+")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TLD = re.compile(r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})")
_UNROUTABLE_TLDS = frozenset({"invalid", "localhost", "local"})


class InvalidAddress(PermanentError):
    """An e-mail address avgdesk will not write to; ``reason`` says why (English, for logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validate_address(addr: str) -> str:
    """The address lower-cased when avgdesk may send to it; raises :class:`InvalidAddress`.

    Strict on purpose: ASCII dot-atom local part (no quoted strings, no ``%``/``!``
    source routes), a domain name with at least two labels and an alphabetic TLD
    (no IP literals, no ``.invalid``/``.local``), RFC 5321 length limits.
    """
    if not isinstance(addr, str):
        raise InvalidAddress("not a string")
    value = addr.strip()
    if not value:
        raise InvalidAddress("empty")
    if len(value) > MAX_ADDRESS_CHARS:
        raise InvalidAddress("too long")
    if not value.isascii() or any(c.isspace() or ord(c) < 33 or ord(c) == 127 for c in value):
        raise InvalidAddress("non-ASCII, whitespace or control characters")
    if value.count("@") != 1:
        raise InvalidAddress("not exactly one @")
    local, domain = value.split("@")
    _check_local(local)
    _check_domain(domain)
    return value.lower()


def _check_local(local: str) -> None:
    if not local or len(local) > MAX_LOCAL_CHARS:
        raise InvalidAddress("local part empty or too long")
    if any(not _LOCAL_ATOM.fullmatch(atom) for atom in local.split(".")):
        raise InvalidAddress("local part is not a plain dot-atom (quotes, routes, empty atoms)")


def _check_domain(domain: str) -> None:
    if domain.startswith("[") or not domain or len(domain) > 253:
        raise InvalidAddress("domain missing, too long or an IP literal")
    labels = domain.split(".")
    if len(labels) < 2:
        raise InvalidAddress("domain without a dot")
    if any(len(label) > MAX_LABEL_CHARS or not _LABEL.fullmatch(label) for label in labels):
        raise InvalidAddress("invalid domain label")
    tld = labels[-1].lower()
    if not _TLD.fullmatch(tld) or tld in _UNROUTABLE_TLDS:
        raise InvalidAddress("top-level domain is numeric or not routable")


def valid_address_or_none(addr: str | None) -> str | None:
    """:func:`validate_address` for callers that only need a yes/no."""
    if addr is None:
        return None
    try:
        return validate_address(addr)
    except InvalidAddress:
        return None


_NAME_CHARS = re.compile(r"[^\W\d_]|[ .'\u2019-]")
_BAD_NAME_WORDS = re.compile(
    r"(log ?in|inlog|klik|click|http|www|account|wachtwoord|password|geblokkeerd|blocked|verif|"
    r"betaal|payment|urgent)",
    re.I,
)
MAX_LETTER_NAME_CHARS = 60


def display_name_for_letter(name: str | None) -> str | None:
    """The display name when it looks like a person's name, else ``None`` (neutral salutation).

    A stranger chooses the display name; it must never put a message ("Uw account is
    geblokkeerd, log in op https://...") into a letter signed by the organisation.
    ``Müller, Hans`` becomes ``Hans Müller``.
    """
    if not name:
        return None
    # Control characters survive split() and then fail the name check: no cleaning needed.
    value = unicodedata.normalize("NFC", " ".join(name.split()))
    if value.count(",") == 1:
        last, first = (part.strip() for part in value.split(","))
        value = f"{first} {last}".strip()
    if not value or len(value) > MAX_LETTER_NAME_CHARS or len(value.split()) > 6:
        return None
    if any(not _NAME_CHARS.fullmatch(c) for c in value) or _BAD_NAME_WORDS.search(value):
        return None
    letters = sum(1 for c in value if c.isalpha())
    if letters < 2 or value[0] in ".-'":
        return None
    return value
