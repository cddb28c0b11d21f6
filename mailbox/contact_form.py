"""Mail from the website's contact form.

The form arrives as a mail from a fixed sender with a body such as::

    Naam: Jan de Vries
    E-mailadres: jan.devries@example.nl
    Onderwerp: Inzage in mijn gegevens
    Bericht:
    ...

The requester is the address inside the form, never the form's own From. The same
format is what ``POST /contact`` stores, so both routes share one pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from avgdesk.mailbox.addresses import parse_address_header
from avgdesk.mailbox.headers import single_line

_FIELD = re.compile(
    r"^\s*(?P<key>naam|name|e-?mail(?:adres)?|e-?mail address|onderwerp|subject|"
    r"soort verzoek|type verzoek|request type|bericht|message)\s*:\s*(?P<value>.*)$",
    re.I,
)
_KEYS = {
    "naam": "name",
    "name": "name",
    "onderwerp": "subject",
    "subject": "subject",
    "soort verzoek": "request_type",
    "type verzoek": "request_type",
    "request type": "request_type",
    "bericht": "message",
    "message": "message",
}


@dataclass(frozen=True)
class FormSubmission:
    name: str | None
    email: str
    subject: str | None
    message: str
    request_type: str | None = None
    email_valid: bool = True
    """``email`` passed :func:`avgdesk.mailbox.addresses.validate_address`; when false it is
    the address as typed: show it as unverified, never write to it."""


def is_form_sender(from_addr: str | None, form_senders: Iterable[str]) -> bool:
    return from_addr is not None and from_addr.lower() in {s.lower() for s in form_senders}


def parse_form_body(text: str) -> FormSubmission | None:
    """Read the fields; ``None`` when the body has no usable e-mail address."""
    fields: dict[str, str] = {}
    message_lines: list[str] = []
    in_message = False
    for line in text.replace("\r\n", "\n").split("\n"):
        if in_message:
            message_lines.append(line)
            continue
        match = _FIELD.match(line)
        if not match:
            continue
        key = match.group("key").lower()
        value = match.group("value").strip()
        canonical = "email" if key.startswith("e") and "mail" in key else _KEYS.get(key, key)
        if canonical == "message":
            in_message = True
            if value:
                message_lines.append(value)
            continue
        fields.setdefault(canonical, value)
    # Split before anything is decoded; "a:b@example.nl" stays that, and fails validation.
    found = parse_address_header(fields.get("email", ""), max_addresses=1)
    if not found or found[0].address is None:
        return None
    return FormSubmission(
        name=fields.get("name") or None,
        email=found[0].address,
        subject=fields.get("subject") or None,
        message="\n".join(message_lines).strip(),
        request_type=fields.get("request_type") or None,
        email_valid=found[0].valid,
    )


def form_body(submission: FormSubmission) -> str:
    """The canonical text body for a form submission (the web form stores this)."""
    # Single-lined: a line break in a field would let a stranger add a field of their own.
    lines = [
        f"Naam: {single_line(submission.name or '').strip()}",
        f"E-mailadres: {single_line(submission.email).strip()}",
        f"Onderwerp: {single_line(submission.subject or '').strip()}",
    ]
    if submission.request_type:
        lines.append(f"Soort verzoek: {single_line(submission.request_type).strip()}")
    lines.append("Bericht:")
    lines.append(submission.message)
    return "\n".join(lines) + "\n"
