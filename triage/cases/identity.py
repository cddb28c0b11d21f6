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
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from typing import Any, Protocol

from imapclient.exceptions import IMAPClientError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from avgdesk.models.engine import session_scope
from avgdesk.models.errors import AvgdeskError, RuleViolation
from avgdesk.models.tables import Attachment, AuditEvent, Case, InboundMessage, MessageRaw, ScheduledRun
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


def redact(raw: bytes, note: str, only: Collection[str] | None = None) -> tuple[bytes, int]:
    """``raw`` with every attachment replaced by a text part carrying ``note``.

    An attachment is any leaf part with a file name or ``Content-Disposition: attachment``
    (the body text and its HTML alternative stay). With ``only`` (SHA-256 hex digests of
    removed ID copies), exactly the leaf parts with those contents go, whatever their name:
    a copy forwarded or quoted in another mail. Returns the new bytes and the count.
    """
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    removed = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        if only is not None:
            if _part_sha256(part) not in only:
                continue
        elif part.get_filename() is None and part.get_content_disposition() != "attachment":
            continue
        for header in ("Content-Disposition", "Content-Transfer-Encoding", "Content-ID"):
            del part[header]
        part.set_content(note + "\n", subtype="plain", charset="utf-8")
        removed += 1
    if not removed:
        return raw, 0
    return message.as_bytes(policy=email.policy.SMTP), removed


def _part_sha256(part: Message) -> str:
    """The digest intake stored for the part (parsing hashes the decoded payload)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # an undecodable part cannot be compared; it is not a match
        return ""
    return hashlib.sha256(data).hexdigest() if isinstance(data, bytes) else ""


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


def remove_server_copies(
    session: Session, conn: ServerFolder, folder: str, *, by: str, also: Sequence[str] = ()
) -> int:
    """Replace the server copy of every redacted message by a redacted version.

    In ``folder`` (processed mail) the message itself, found by its Message-ID, loses every
    attachment, as in the database. In each folder of ``also`` (the Sent folder) every mail
    that answers or forwards it (In-Reply-To/References) loses exactly the parts with the
    removed copy's bytes. Per mail: APPEND the redacted version first, then flag the
    original ``\\Deleted`` and ``UID EXPUNGE`` only that UID (never a bare EXPUNGE). A crash
    between the two leaves both versions; the task stays open and the next run deletes the
    original. Returns the number of originals removed; the caller commits.
    """
    removed = 0
    for task in open_server_tasks(session):
        ids = [str(m) for m in task.detail.get("message_ids", [])]
        note = removal_note(task.actor, task.at)
        hashes = _removed_hashes(session, task.case_id)
        for mid in ids:
            removed += _replace_matching(conn, folder, ["HEADER", "Message-ID", mid], note, None)
            for other in also if hashes else ():
                answers = ["OR", "HEADER", "In-Reply-To", mid, "HEADER", "References", mid]
                removed += _replace_matching(conn, other, answers, note, hashes)
        audit.record(session, actor=by, action=SERVER_DONE, case_id=task.case_id, message_ids=ids)
    return removed


def _replace_matching(
    conn: ServerFolder, folder: str, criteria: list[str], note: str, only: Collection[str] | None
) -> int:
    if not conn.client.folder_exists(folder):
        return 0
    conn.select(folder)
    removed = 0
    for uid in list(conn.client.search(criteria)):
        # A version that was already redacted has nothing left to remove.
        redacted, count = redact(_body(conn, uid), note, only)
        if not count:
            continue
        # Moves mail on the server. Crash after: both versions are there; the task reruns.
        conn.append(folder, redacted)
        conn.client.add_flags([uid], [b"\\Deleted"])
        # Crash after the flag and before the expunge: the next run expunges the same UID.
        conn.client.uid_expunge([uid])
        removed += 1
    return removed


def _body(conn: ServerFolder, uid: int) -> bytes:
    data = conn.client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    return bytes(data.get(b"BODY[]", b""))


# --- copies that arrive or stay elsewhere ---------------------------------------------------------
_EMPTY = hashlib.sha256(b"").hexdigest()


def _removed_hashes(session: Session, case_id: int | None) -> set[str]:
    """Digests of the ID copies removed from ``case_id``'s messages (never the empty part)."""
    rows = session.exec(
        select(Attachment.sha256, Attachment.filename)
        .join(InboundMessage, col(InboundMessage.id) == col(Attachment.message_pk))
        .where(InboundMessage.case_id == case_id)
    )
    return {h for h, name in rows if (name or "").startswith(REMOVED_PREFIX) and h and h != _EMPTY}


def sweep_stored_copies(session: Session, *, by: str, now: datetime) -> int:
    """Stored mail that still holds a removed ID copy loses it too: the customer's later
    reply quoting the mail with the copy, or the copy sent again, also in a message that was
    never linked to the case. Only the parts with the copy's exact bytes go, and only in
    that case's messages or the requester's own. Each such mail's server copy becomes a
    task. Returns the number of parts removed; the caller commits."""
    removed = 0
    verified = session.exec(select(Case).where(col(Case.identity_verified_at).is_not(None)))
    for case in list(verified):
        hashes = _removed_hashes(session, case.id)
        if not hashes:
            continue
        for message in _holding(session, case, hashes):
            raw = session.get(MessageRaw, message.id)
            new, count = redact(raw.data, removal_note(by, now), hashes) if raw else (b"", 0)
            if raw is None or not count:
                continue
            raw.data, message.size_bytes = new, len(new)
            for row in session.exec(select(Attachment).where(Attachment.message_pk == message.id)):
                if row.sha256 in hashes and not (row.filename or "").startswith(REMOVED_PREFIX):
                    row.filename = REMOVED_PREFIX + (row.filename or "bijlage")
            removed += count
            audit.record(
                session,
                actor=by,
                action="message.id_copy_removed",
                case_id=case.id,
                message_pk=message.id,
                removed=count,
            )
            if message.folder is not None:
                audit.record(
                    session, actor=by, action=SERVER_TASK, case_id=case.id, message_ids=[message.message_id]
                )
    return removed


def _holding(session: Session, case: Case, hashes: set[str]) -> list[InboundMessage]:
    rows = session.exec(
        select(InboundMessage, Attachment.filename)
        .join(Attachment, col(Attachment.message_pk) == col(InboundMessage.id))
        .where(col(Attachment.sha256).in_(sorted(hashes)))
    )
    requester = (case.requester_email or "").strip().lower()
    found: dict[int, InboundMessage] = {}
    for message, name in rows:
        if (name or "").startswith(REMOVED_PREFIX) or message.id is None:
            continue
        sender = (message.from_addr or "").strip().lower()
        if message.case_id == case.id or (requester and sender == requester):
            found[message.id] = message
    return list(found.values())


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
    removed, problem = _remove_on_server(engine, settings, by=by)
    return VerifyOutcome(result, removed, problem)


def _remove_on_server(engine: Engine, settings: Settings, *, by: str) -> tuple[int, str | None]:
    """Work off the open server tasks; (removed, None) or (0, why they stay open)."""
    from avgdesk.mailbox.imap import ImapConnection
    from avgdesk.triage.connectors import copies_to_sent, imap_params

    also = [settings.imap_sent_folder] if copies_to_sent(settings) else []
    conn = ImapConnection(imap_params(settings))
    try:
        conn.connect()
        with session_scope(engine) as session:
            removed = remove_server_copies(session, conn, settings.imap_processed_folder, by=by, also=also)
            # Crash before: the originals may be gone but the task reruns harmlessly.
            session.commit()
    except (AvgdeskError, IMAPClientError, OSError) as exc:
        # The database part is done; the server copy stays a visible task (never skipped).
        return 0, f"mailbox niet bereikbaar ({type(exc).__name__}); taak blijft open"
    finally:
        conn.close()
    return removed, None


# --- the worker's retry -------------------------------------------------------------------------
RETRY_JOB = "id_copies"


def retry_id_copies(engine: Engine, settings: Settings, now: datetime | None = None) -> list[str]:
    """The worker's job, once per hour over all workers (claimed like the summary): remove
    ID copies that came in or stayed behind since the check (:func:`sweep_stored_copies`),
    then retry the open server tasks. A mailbox that is down leaves them open for the next
    hour; they stay visible to staff meanwhile. Returns what was done (for the log)."""
    now = now or utcnow()
    period = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
    with session_scope(engine) as session:
        if session.exec(
            select(ScheduledRun.id).where(ScheduledRun.job == RETRY_JOB, ScheduledRun.period == period)
        ).first():
            return []
        session.add(ScheduledRun(job=RETRY_JOB, period=period, claimed_by="worker", claimed_at=now))
        swept = sweep_stored_copies(session, by="system:worker", now=now)
        pending = len(open_server_tasks(session))
        try:
            # Crash before: nothing changed, the next tick tries again. After: this hour is done.
            session.commit()
        except IntegrityError:
            return []  # another worker claimed this hour first
    done = [f"id copies: {swept} stored part(s) removed"] if swept else []
    if pending and settings.imap_host:
        removed, problem = _remove_on_server(engine, settings, by="system:worker")
        done.append(f"id copies: {removed} server copy(ies) removed" if problem is None else problem)
    return done
