"""Storing a message that did not come over IMAP (the web contact form, an import).

It is stored exactly as an e-mail would be — raw RFC 5322 bytes, the same dedupe key,
state ``received`` — so the same processing makes the case, with or without a mailbox.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlalchemy.engine import Engine

from avgdesk.mailbox.contact_form import FormSubmission, form_body, parse_form_body
from avgdesk.mailbox.parsing import dedupe_key, derived_message_id, raw_sha256, read_message_id
from avgdesk.models.engine import session_scope
from avgdesk.models.errors import PermanentError
from avgdesk.models.tables import InboundMessage, MessageRaw, MessageSource
from avgdesk.models.types import utcnow

log = logging.getLogger(__name__)

FORM_SOURCE_HEADER = "X-Avgdesk-Source"
SAFE_FORM_SUBJECT = "Contactformulier (onderwerp staat in het bericht)"
"""Subject of a form message whose own subject would not survive the round trip."""
_FORM_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        FORM_SOURCE_HEADER.lower(),
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    }
)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class FormMessageRefused(PermanentError):
    """A built form message did not parse back to what we set (an injection attempt)."""


def header_text(value: str) -> str:
    """A typed value as one header line that the standard library keeps as written.

    ``EmailMessage`` decodes RFC 2047 words in a value it is given and folds the result
    back raw, so a typed ``=?utf-8?q?x=0D=0ABcc:...?=`` would become a real header line
    (issue 11): controls are flattened and every ``=?`` is broken up. The exact text is
    in the body's ``Onderwerp:`` line anyway.
    """
    return _CONTROLS.sub(" ", value).strip().replace("=?", "= ?")


def build_form_message(
    submission: FormSubmission, *, sender: str, to: str, domain: str, when: datetime
) -> bytes:
    """The raw form mail as the website would send it, built with the standard library and
    parsed back: a message carrying a header, part or recipient we did not set is never
    stored; it is rebuilt once with a fixed subject (the typed one stays in the body)."""
    subject = header_text(submission.subject or "")
    try:
        return _verified_form_message(submission, subject, sender=sender, to=to, domain=domain, when=when)
    except FormMessageRefused as exc:
        log.warning("contact form: built message refused (%s); stored with a fixed subject", exc)
    return _verified_form_message(
        submission, SAFE_FORM_SUBJECT, sender=sender, to=to, domain=domain, when=when
    )


def _verified_form_message(
    submission: FormSubmission, subject: str, *, sender: str, to: str, domain: str, when: datetime
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(idstring="contactform", domain=domain)
    msg[FORM_SOURCE_HEADER] = "contact-form"
    msg.set_content(form_body(submission))
    raw = msg.as_bytes(policy=email.policy.SMTP)
    check_form_message(raw, submission, subject=subject, sender=sender, to=to)
    return raw


def check_form_message(raw: bytes, submission: FormSubmission, *, subject: str, sender: str, to: str) -> None:
    """Raise :class:`FormMessageRefused` unless ``raw`` is exactly the message we meant."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    names = [name.lower() for name in parsed]
    unexpected = sorted(set(names) - _FORM_HEADERS)
    if unexpected or len(names) != len(set(names)):
        raise FormMessageRefused(f"unexpected or repeated header(s): {unexpected or 'repeated'}")
    if parsed.is_multipart() or parsed.get_content_type() != "text/plain" or parsed.defects:
        raise FormMessageRefused("the body is not one plain-text part")
    for name, expected in (("from", sender), ("to", to)):
        found = [a.addr_spec.lower() for a in parsed[name].addresses]
        if found != [expected.lower()]:
            raise FormMessageRefused(f"{name} names other addresses than ours")
    if str(parsed["subject"]) != subject:
        raise FormMessageRefused("the subject did not survive the round trip")
    back = parse_form_body(parsed.get_content())
    if back is None or back.email != submission.email.lower() or back.name != (submission.name or None):
        raise FormMessageRefused("the form fields did not survive the round trip")


def store_local_message(
    engine: Engine,
    raw: bytes,
    *,
    source: str = "form",
    received_at: datetime | None = None,
) -> tuple[int, bool]:
    """Store ``raw``; returns ``(id, created)`` — the same bytes twice are one message."""
    digest = raw_sha256(raw)
    mid = read_message_id(raw)
    derived = mid is None
    if mid is None:
        mid = derived_message_id(digest)
    key = dedupe_key(mid, digest)
    now = utcnow()
    with session_scope(engine) as session:
        existing = session.execute(
            select(InboundMessage.id).where(InboundMessage.dedupe_key == key)  # type: ignore[call-overload]
        ).scalar_one_or_none()
        if existing is not None:
            return int(existing), False
        row = InboundMessage(
            dedupe_key=key,
            message_id=mid,
            message_id_derived=derived,
            raw_sha256=digest,
            size_bytes=len(raw),
            source=MessageSource(source),
            server_acked=True,
            received_at=received_at or now,
            received_at_source="form" if source == "form" else "ingest_time",
            ingested_at=now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add(MessageRaw(message_pk=row.id, data=raw))
        # Crash before: nothing stored and the caller saw no confirmation.
        # Crash after: stored; the worker's next pass processes it.
        session.commit()
        return row.id, True
