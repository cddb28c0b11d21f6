"""Identity checked: record who and when, and remove every copy of the ID document.

EDPB Guidelines 01/2022 §79: after checking an ID copy, keep only a note ("ID card was
checked"); Art. 5(1)(c) and (e) AVG. The identity request promises exactly this, so the
action "Identiteit gecontroleerd":

1. records who and when on the case (``identity_verified_at/by``) and in the audit trail;
2. replaces every attachment of the requester's messages in the stored raw mail by a short
   text part "kopie ID verwijderd op … door …" (the bytes are gone, also for downloads);
3. marks the attachment rows as removed (name, size and hash of the removed part are
   kept: they are not the document);
4. deals with the copy on the mail server: messages moved to the processed folder are
   deleted there by :func:`remove_server_copies` (replaced by the redacted version). When
   the mailbox cannot be reached, an open task stays in the audit trail
   (``case.id_copy_server_task``) and is shown to staff; it is not silently skipped.

The dedupe key of a message is kept, so a copy that stays on the server is never
ingested again.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from imapclient.exceptions import IMAPClientError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.engine import session_scope
from avgdesk.models.errors import AvgdeskError, RuleViolation
from avgdesk.models.tables import Attachment, AuditEvent, Case, InboundMessage, MessageRaw
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import audit
from avgdesk.triage.settings import Settings

SERVER_TASK = "case.id_copy_server_task"
SERVER_DONE = "case.id_copy_server_removed"
REMOVED_PREFIX = "[verwijderd] "


class NotOpenForVerification(RuleViolation):
    staff_message = "Deze zaak is gesloten; de identiteit kan niet meer worden vastgelegd."


@dataclass(frozen=True)
class VerifyResult:
    reference: str
    note: str
    removed_attachments: int
    server_copies: list[str]
    """Message-IDs whose server copy must still be removed (a task until done)."""


def removal_note(by: str, at: datetime) -> str:
    return f"kopie ID verwijderd op {at:%d-%m-%Y %H:%M} door {by}"


def redact(raw: bytes, note: str) -> tuple[bytes, int]:
    """``raw`` with every attachment replaced by a text part carrying ``note``.

    An attachment is any leaf part with a file name or ``Content-Disposition: attachment``
    (the body text and its HTML alternative stay). Returns the new bytes and the count.
    """
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    removed = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_filename() is None and part.get_content_disposition() != "attachment":
            continue
        for header in ("Content-Disposition", "Content-Transfer-Encoding", "Content-ID"):
            del part[header]
        part.set_content(note + "\n", subtype="plain", charset="utf-8")
        removed += 1
    if not removed:
        return raw, 0
    return message.as_bytes(policy=email.policy.SMTP), removed


def verify_identity(session: Session, case: Case, *, by: str, now: datetime | None = None) -> VerifyResult:
    """The "Identiteit gecontroleerd" action, in the caller's transaction."""
    if case.closed_at is not None:
        raise NotOpenForVerification(f"case {case.reference} is closed")
    now = now or utcnow()
    note = removal_note(by, now)
    case.identity_verified_at = now
    case.identity_verified_by = by
    case.updated_at = now
    removed, on_server = 0, []
    for message in session.exec(select(InboundMessage).where(InboundMessage.case_id == case.id)):
        count = _redact_message(session, message, note)
        removed += count
        if count and message.folder is not None:
            on_server.append(message.message_id)
    audit.record(
        session, actor=by, action="case.identity_verified", case_id=case.id, note=note, removed=removed
    )
    if on_server:
        # Crash before the commit: nothing changed. After: the task stays open until done.
        audit.record(session, actor=by, action=SERVER_TASK, case_id=case.id, message_ids=on_server)
    return VerifyResult(case.reference, note, removed, on_server)


def _redact_message(session: Session, message: InboundMessage, note: str) -> int:
    raw = session.get(MessageRaw, message.id)
    if raw is None:
        return 0
    new, count = redact(raw.data, note)
    if not count:
        return 0
    raw.data = new
    message.size_bytes = len(new)
    for row in session.exec(select(Attachment).where(Attachment.message_pk == message.id)):
        if not (row.filename or "").startswith(REMOVED_PREFIX):
            row.filename = REMOVED_PREFIX + (row.filename or "bijlage")
    return count


# --- the copy on the mail server ------------------------------------------------------------------
class ServerFolder(Protocol):
    """What :func:`remove_server_copies` needs from an IMAP connection."""

    def select(self, folder: str) -> Any: ...

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None: ...

    @property
    def client(self) -> Any: ...


def open_server_tasks(session: Session, case_ids: Sequence[int] | None = None) -> list[AuditEvent]:
    """Server copies still to remove (tasks without a matching 'removed' event)."""
    stmt = select(AuditEvent).where(col(AuditEvent.action).in_([SERVER_TASK, SERVER_DONE]))
    if case_ids is not None:
        stmt = stmt.where(col(AuditEvent.case_id).in_(list(case_ids)))
    events = list(session.exec(stmt.order_by(col(AuditEvent.id))))
    done = {
        (e.case_id, mid) for e in events if e.action == SERVER_DONE for mid in e.detail.get("message_ids", [])
    }
    return [
        e
        for e in events
        if e.action == SERVER_TASK
        and any((e.case_id, m) not in done for m in e.detail.get("message_ids", []))
    ]


def remove_server_copies(session: Session, conn: ServerFolder, folder: str, *, by: str) -> int:
    """Replace the server copy of every redacted message by its redacted bytes.

    Per message: APPEND the redacted version first, then flag the original ``\\Deleted``
    and ``UID EXPUNGE`` only those UIDs (never a bare EXPUNGE). A crash between the two
    leaves both versions; the task stays open and the next run deletes the original.
    Returns the number of originals removed; the caller commits.
    """
    removed = 0
    for task in open_server_tasks(session):
        ids = [str(m) for m in task.detail.get("message_ids", [])]
        for mid in ids:
            message = session.exec(select(InboundMessage).where(InboundMessage.message_id == mid)).first()
            raw = session.get(MessageRaw, message.id) if message is not None else None
            if raw is None:
                continue
            removed += _replace_one(conn, folder, mid, raw.data)
        audit.record(session, actor=by, action=SERVER_DONE, case_id=task.case_id, message_ids=ids)
    return removed


def _replace_one(conn: ServerFolder, folder: str, message_id: str, redacted: bytes) -> int:
    conn.select(folder)
    uids = list(conn.client.search(["HEADER", "Message-ID", message_id]))
    # The redacted version carries the note; only the originals go.
    originals = [u for u in uids if b"kopie ID verwijderd" not in _body(conn, u)]
    if not originals:
        return 0
    # Moves mail on the server. Crash after: both versions are there; the task reruns.
    conn.append(folder, redacted)
    conn.client.add_flags(originals, [b"\\Deleted"])
    # Crash after the flag and before the expunge: the next run expunges the same UIDs.
    conn.client.uid_expunge(originals)
    return len(originals)


def _body(conn: ServerFolder, uid: int) -> bytes:
    data = conn.client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    return bytes(data.get(b"BODY[]", b""))


# --- the use case (CLI and web) -------------------------------------------------------------------
@dataclass(frozen=True)
class VerifyOutcome:
    result: VerifyResult
    server_removed: int
    server_problem: str | None
    """Why the server copies are still a task (no mailbox configured, unreachable), or None."""


def mark_identity_verified(
    engine: Engine, settings: Settings, reference: str, *, by: str, now: datetime | None = None
) -> VerifyOutcome:
    """ "Identiteit gecontroleerd": one transaction for the database part, then the server
    copies (a second step: the mailbox may be down, and the task then stays visible)."""
    from avgdesk.triage.cases.lifecycle import find_case

    with session_scope(engine) as session:
        result = verify_identity(session, find_case(session, reference), by=by, now=now)
        # Crash before: nothing changed. After: the copy is gone from the database, the
        # server task is recorded.
        session.commit()
    if not result.server_copies:
        return VerifyOutcome(result, 0, None)
    if not settings.imap_host:
        return VerifyOutcome(result, 0, "geen mailbox ingesteld: verwijder de kopie op de server met de hand")
    return _remove_now(engine, settings, result, by=by)


def _remove_now(engine: Engine, settings: Settings, result: VerifyResult, *, by: str) -> VerifyOutcome:
    from avgdesk.mailbox.imap import ImapConnection
    from avgdesk.triage.worker.runner import imap_params

    conn = ImapConnection(imap_params(settings))
    try:
        conn.connect()
        with session_scope(engine) as session:
            removed = remove_server_copies(session, conn, settings.imap_processed_folder, by=by)
            # Crash before: the originals may be gone but the task reruns harmlessly.
            session.commit()
    except (AvgdeskError, IMAPClientError, OSError) as exc:
        # The database part is done; the server copy stays a visible task (never skipped).
        return VerifyOutcome(result, 0, f"mailbox niet bereikbaar ({type(exc).__name__}); taak blijft open")
    finally:
        conn.close()
    return VerifyOutcome(result, removed, None)
