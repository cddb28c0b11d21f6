"""Bounces of our replies: linked to their case only when they prove they are one.

A bounce names the reply it returns by Message-ID, but anyone can write a mail that looks
like a bounce and quotes a Message-ID (issue 11: a stranger must never reach another
person's case). A bounce joins the case of the reply only when

* it is a delivery status notification by structure (RFC 3464: ``multipart/report`` with
  a ``message/delivery-status`` part), and
* a ``Final-Recipient`` or ``Original-Recipient`` of that report is one of the addresses
  the reply was sent to, and the report names the reply's Message-ID.

Anything else that names one of our replies (a plain-text "bounce", a report about an
address we never wrote to) is only *suggested* to that case: a person decides, through
"Koppel aan deze zaak". Staff still see every real bounce on its case at once.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.message import Message

from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, Draft, DraftState, InboundMessage, MessageRaw, OutboxItem
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import answers, audit
from avgdesk.triage.intake import linking
from avgdesk.triage.settings import Settings

log = logging.getLogger(__name__)
_MESSAGE_ID = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def link_bounce(session: Session, message: InboundMessage, text: str, *, settings: Settings) -> None:
    """Link an automatic ``message`` that returns one of our replies (in the caller's
    transaction); ``bounce_max_bytes`` bounds the report we parse (a bounce is small)."""
    ids = set(_MESSAGE_ID.findall(text or ""))
    ids.update(m for m in [message.in_reply_to, *message.references] if m)
    if not ids:
        return
    sent = session.exec(
        select(OutboxItem)
        .where(col(OutboxItem.message_id).in_(sorted(ids)), col(OutboxItem.case_id).is_not(None))
        .limit(1)
    ).first()
    if sent is None or sent.case_id is None:
        return
    raw = session.get(MessageRaw, message.id)
    data = raw.data if raw is not None and len(raw.data) <= settings.bounce_max_bytes else b""
    ours = {r.strip().lower() for r in sent.recipients}
    if not reported_recipients(data) & ours:
        # Looks like a bounce but does not prove it: a person decides.
        case = session.get(Case, sent.case_id)
        if case is not None:
            linking.suggest(session, case, message, reason="unverified_bounce")
        return
    message.case_id = sent.case_id
    audit.record(
        session,
        actor="system:triage",
        action="reply.bounced",
        case_id=sent.case_id,
        message_pk=message.id,
        outbox_id=sent.id,
        message_id=sent.message_id,
    )
    if reported_recipients(data, failed_only=True) & ours:
        _letter_returned(session, sent)


def _letter_returned(session: Session, sent: OutboxItem) -> None:
    """A letter the recipient's server returned was not delivered: its draft shows as failed
    ("verzenden mislukt", on the dashboard), and an answer it carried is owed again, so the
    case is no longer counted as answered in time (a delay report changes nothing)."""
    draft = session.get(Draft, sent.draft_id) if sent.draft_id is not None else None
    if draft is None or draft.state is not DraftState.SENT:
        return
    draft.state = DraftState.FAILED
    draft.updated_at = utcnow()
    audit.record(
        session, actor="system:triage", action="draft.returned", case_id=sent.case_id, draft_id=draft.id
    )
    case = session.get(Case, sent.case_id) if sent.case_id is not None else None
    if case is not None and draft.kind in answers.ANSWER_LETTER_KINDS:
        answers.answers_owed_again(session, case, by="system:triage", reason="reply_bounced")


def reported_recipients(raw: bytes, *, failed_only: bool = False) -> set[str]:
    """The recipient addresses a delivery status notification reports on (lower case);
    empty for anything that is not one by structure. ``failed_only``: only those whose
    per-recipient block says ``Action: failed`` (not "delayed", "delivered" or "relayed")."""
    if not raw:
        return set()
    try:
        report = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # an unparsable report proves nothing
        return set()
    if report.get_content_type() != "multipart/report":
        return set()
    found: set[str] = set()
    for part in report.walk():
        if part.get_content_type() == "message/delivery-status":
            found.update(_recipients(part, failed_only))
    return found


# A field line, its value to the end of the line: nothing here can backtrack, so a stranger's
# 1 MB "report" costs linear time (the address is checked in plain Python below).
_RECIPIENT_FIELD = re.compile(r"^(?:final|original)-recipient[ \t]*:(.*)$", re.IGNORECASE | re.MULTILINE)
_FOLD = re.compile(r"\r?\n[ \t]+")
_BLOCK_END = re.compile(r"\r?\n[ \t]*\r?\n")  # RFC 3464: per-recipient fields end at a blank line
_ACTION_FAILED = re.compile(r"^action[ \t]*:[ \t]*failed\b", re.IGNORECASE | re.MULTILINE)


def _recipients(part: Message, failed_only: bool = False) -> set[str]:
    """Final-/Original-Recipient addresses of a delivery-status part, read from its text:
    real reports vary (no address type, a space before the colon, per-recipient blocks the
    parser keeps or splits), and an address with "@" is all that is compared. With
    ``failed_only`` a recipient block (fields up to a blank line) must also say it failed."""
    try:
        text = _FOLD.sub(" ", part.as_string())
    except Exception:  # a part that cannot be written back proves nothing
        return set()
    blocks = _BLOCK_END.split(text) if failed_only else [text]
    found = (
        _address(value)
        for block in blocks
        if not failed_only or _ACTION_FAILED.search(block)
        for value in _RECIPIENT_FIELD.findall(block)
    )
    return {address.lower() for address in found if address}


def _address(value: str) -> str | None:
    """The address of a field value ``[type;] [<]local@domain[>]``, or None."""
    parts = value.split(";")
    if len(parts) > 2:
        return None
    address = parts[-1].strip()
    address = address.removeprefix("<").removesuffix(">")
    if not address or any(c in address for c in " \t\r\n<>;"):
        return None
    return address if "@" in address[1:-1] else None
