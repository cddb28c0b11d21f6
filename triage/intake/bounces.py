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
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message

from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, Draft, DraftState, InboundMessage, MessageRaw, OutboxItem
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import OPEN_STATES
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
    report = read_report(data)
    if report is None or not report.recipients & ours:
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
    # Only a failure report on the letter itself (its Message-ID among the returned headers),
    # soon after it went, on a case still open: whoever holds a letter's Message-ID (the
    # requester, anyone it was forwarded to) could otherwise undo an answer at any time.
    window = timedelta(days=settings.bounce_window_days)
    soon = sent.sent_at is not None and message.received_at - sent.sent_at <= window
    if report.failed & ours and sent.message_id in report.returned and soon:
        _letter_returned(session, sent)


def _letter_returned(session: Session, sent: OutboxItem) -> None:
    """A letter the recipient's server returned was not delivered: its draft shows as failed
    ("verzenden mislukt", on the dashboard), and an answer it carried is owed again, so the
    case is no longer counted as answered in time (a delay report changes nothing)."""
    draft = session.get(Draft, sent.draft_id) if sent.draft_id is not None else None
    case = session.get(Case, sent.case_id) if sent.case_id is not None else None
    if draft is None or draft.state is not DraftState.SENT or case is None or case.state not in OPEN_STATES:
        return
    draft.state = DraftState.FAILED
    draft.updated_at = utcnow()
    audit.record(
        session, actor="system:triage", action="draft.returned", case_id=sent.case_id, draft_id=draft.id
    )
    if draft.kind in answers.ANSWER_LETTER_KINDS:
        answers.answers_owed_again(session, case, by="system:triage", reason="reply_bounced")


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery status notification (RFC 3464) says, read once."""

    recipients: set[str]
    """Every Final-/Original-Recipient it reports on (lower case)."""
    failed: set[str]
    """Those whose per-recipient block says ``Action: failed``."""
    returned: set[str]
    """Message-IDs in the returned headers or message (which letter came back)."""


MAX_REPORT_BLOCKS = 2000
"""Blank lines a report may hold before it is not read (the parser builds one object per
block: 1 MB of blank lines took 7-17 s); a real report has a few dozen."""


def read_report(raw: bytes) -> DeliveryReport | None:
    """The report ``raw`` is, or None for anything that is not one by structure."""
    if not raw or raw.count(b"\n\n") + raw.count(b"\r\n\r\n") + raw.count(b"\r\r") > MAX_REPORT_BLOCKS:
        return None
    try:
        report = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # an unparsable report proves nothing
        return None
    if report.get_content_type() != "multipart/report":
        return None
    recipients: set[str] = set()
    failed: set[str] = set()
    returned: set[str] = set()
    for part in report.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            everyone, failures = _recipients(part)
            recipients |= everyone
            failed |= failures
        elif kind in ("text/rfc822-headers", "message/rfc822"):
            returned |= set(_MESSAGE_ID.findall(_text_of(part)))
    return DeliveryReport(recipients, failed, returned)


def reported_recipients(raw: bytes, *, failed_only: bool = False) -> set[str]:
    """The recipient addresses a delivery status notification reports on (lower case);
    empty for anything that is not one by structure. ``failed_only``: only those whose
    per-recipient block says ``Action: failed`` (not "delayed", "delivered" or "relayed")."""
    report = read_report(raw)
    if report is None:
        return set()
    return report.failed if failed_only else report.recipients


def _text_of(part: Message) -> str:
    try:
        return part.as_string()
    except Exception:  # a part that cannot be written back names nothing
        return ""


# A field line, its value to the end of the line: nothing here can backtrack, so a stranger's
# 1 MB "report" costs linear time (the address is checked in plain Python below).
_RECIPIENT_FIELD = re.compile(r"(?:final|original)-recipient[ \t]*:(.*)$", re.IGNORECASE)
_FOLD = re.compile(r"\r?\n[ \t]+(?=\S)")  # a continuation line joins its field; a line of blanks does not
_ACTION = re.compile(r"action[ \t]*:", re.IGNORECASE)
_ACTION_FAILED = re.compile(r"action[ \t]*:[ \t]*failed[ \t]*$", re.IGNORECASE)


def _recipients(part: Message) -> tuple[set[str], set[str]]:
    """(every Final-/Original-Recipient address, those reported failed) of a delivery-status
    part, read from its text line by line: real reports vary (no address type, a space before
    the colon, per-recipient blocks the parser keeps or merges), and an address with "@" is all
    that is compared. An ``Action:`` line speaks for the recipient fields before it since the
    last blank line or the last action, so blocks that lost their blank line stay apart."""
    everyone: set[str] = set()
    failed: set[str] = set()
    current: set[str] = set()
    acted = False
    for line in _FOLD.sub(" ", _text_of(part)).splitlines():
        field = _RECIPIENT_FIELD.match(line)
        if field is not None:
            if acted:
                current, acted = set(), False
            address = _address(field.group(1))
            if address:
                current.add(address.lower())
                everyone.add(address.lower())
        elif _ACTION.match(line):
            acted = True
            if _ACTION_FAILED.match(line):
                failed |= current
        elif not line.strip():
            current, acted = set(), False
    return everyone, failed


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
