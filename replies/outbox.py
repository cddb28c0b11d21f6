"""The transactional outbox: approved mail is sent once, exactly as approved.

States (engineering notes A.7): ``pending → sending (leased) → sent``, or ``retry``
(4xx, connection errors, timeouts; backoff until ``deliver_until``), or ``failed`` (5xx,
all recipients refused, retries exhausted — shown to staff). The complete message is
stored when it is approved (or generated, for internal mail), so a retry sends the same
bytes with the same Message-ID.

Exactly-once delivery over SMTP is impossible: a crash between the server's answer and
our commit, or a timeout after DATA, leaves delivery unknown. Such an item is sent again
with the same Message-ID (at-least-once), marked ``ambiguous`` and limited to
``ambiguous_retries`` further tries, so a duplicate is rare, threads with the original,
and is visible to staff.

Workers claim ONE item at a time, in one UPDATE that selects it (PostgreSQL: ``FOR UPDATE
SKIP LOCKED``), with a lease; a lease that expires (a worker died while sending) is taken
over and that attempt counts as uncertain. Every uncertain attempt (takeover or timeout
after DATA) counts against ``ambiguous_retries``; past it the item ends ``ambiguous``
("may have been delivered"), so no Message-ID goes out more than ``1 + ambiguous_retries``
times.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.engine import is_postgres, session_scope
from avgdesk.models.errors import AmbiguousDelivery, SmtpPermanentError, SmtpTemporaryError
from avgdesk.models.tables import Case, Draft, DraftState, OutboxItem, OutboxState
from avgdesk.models.types import utcnow
from avgdesk.replies import letter_rules
from avgdesk.replies.transport import Mailer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxPolicy:
    lease_s: float = 300.0
    """A worker that does not finish a send within this long is presumed dead."""
    retry_initial_s: float = 60.0
    retry_max_s: float = 3600.0
    deliver_for_s: float = 3 * 24 * 3600.0
    """Give up (failed) when a temporary failure lasts this long."""
    ambiguous_retries: int = 1
    """Further tries after a timeout after DATA (the server may have the mail already)."""


@dataclass
class DrainResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    ambiguous: int = 0
    """Given up with unknown outcome (counted in ``failed`` too)."""
    sent_ids: list[int] = field(default_factory=list)


def raw_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def enqueue_internal(
    session: Session,
    message: EmailMessage,
    *,
    kind: str,
    recipients: list[str],
    case_id: int | None = None,
    policy: OutboxPolicy | None = None,
) -> OutboxItem:
    """Queue internal mail (summary, reminders): no approval step, it is our own.

    ``message`` must carry From, Message-ID, Auto-Submitted and our loop header; the
    caller commits (in the same transaction as its own bookkeeping, so a crash either
    queues the mail and records it, or neither).
    """
    policy = policy or OutboxPolicy()
    for header in ("From", "Message-ID", "Auto-Submitted"):
        if not message.get(header):
            raise ValueError(f"internal mail needs a {header} header")
    if not recipients:
        raise ValueError("internal mail needs at least one recipient")
    sender = getaddresses([str(message["From"])])[0][1]
    now = utcnow()
    item = OutboxItem(
        case_id=case_id,
        kind=kind,
        message_id=str(message["Message-ID"]).strip("<> "),
        sender=sender,
        recipients=list(recipients),
        raw=message.as_bytes(policy=SMTP_POLICY),
        state=OutboxState.PENDING,
        next_attempt_at=now,
        deliver_until=now + timedelta(seconds=policy.deliver_for_s),
    )
    session.add(item)
    session.flush()
    return item


def enqueue_reply(
    session: Session,
    draft: Draft,
    raw: bytes,
    *,
    sender: str,
    recipients: list[str],
    policy: OutboxPolicy | None = None,
) -> OutboxItem:
    """Queue an approved draft's exact bytes (called by approval, in its transaction)."""
    policy = policy or OutboxPolicy()
    now = utcnow()
    item = OutboxItem(
        draft_id=draft.id,
        case_id=draft.case_id,
        kind="reply",
        message_id=draft.message_id,
        sender=sender,
        recipients=recipients,
        raw=raw,
        state=OutboxState.PENDING,
        next_attempt_at=now,
        deliver_until=now + timedelta(seconds=policy.deliver_for_s),
    )
    session.add(item)
    session.flush()
    return item


def pending_count(session: Session) -> int:
    from sqlalchemy import func

    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxItem)
            .where(col(OutboxItem.state).in_([OutboxState.PENDING, OutboxState.RETRY, OutboxState.SENDING]))
        ).one()
    )


def claim(engine: Engine, worker_id: str, policy: OutboxPolicy, now: datetime | None = None) -> list[int]:
    """Lease the next due item (a list of at most one: one kill leaves one item uncertain)."""
    item_id = claim_one(engine, worker_id, policy, now)
    return [] if item_id is None else [item_id]


def claim_one(
    engine: Engine, worker_id: str, policy: OutboxPolicy, now: datetime | None = None
) -> int | None:
    """Lease the next due item in ONE statement: pending/retry whose time has come, or a
    sending item whose lease expired (its worker died mid-send: that attempt's outcome is
    unknown, so it counts as uncertain). No second worker can take the item while the lease
    lives; on SQLite ``BEGIN IMMEDIATE`` serialises claimers, on PostgreSQL ``SKIP LOCKED``."""
    now = now or utcnow()
    table = OutboxItem.__table__  # type: ignore[attr-defined]
    due = (
        sa.select(table.c.id)
        .where(
            sa.or_(
                table.c.state.in_([OutboxState.PENDING.value, OutboxState.RETRY.value])
                & (table.c.next_attempt_at <= now),
                (table.c.state == OutboxState.SENDING.value) & (table.c.lease_until < now),
            )
        )
        .order_by(table.c.id)
        .limit(1)
    )
    if is_postgres(engine):
        due = due.with_for_update(skip_locked=True)
    picked = due.cte("picked")
    taken_over = table.c.state == OutboxState.SENDING.value
    stmt = (
        sa.update(table)
        # A CTE runs once; a plain IN (sub-select ... LIMIT) may be re-run per row by
        # PostgreSQL and then claims more rows than the LIMIT.
        .where(table.c.id.in_(sa.select(picked.c.id)))
        .values(
            state=OutboxState.SENDING.value,
            lease_until=now + timedelta(seconds=policy.lease_s),
            leased_by=worker_id,
            attempts=table.c.attempts + 1,
            uncertain_attempts=table.c.uncertain_attempts + sa.case((taken_over, 1), else_=0),
            ambiguous=sa.or_(table.c.ambiguous, taken_over),
        )
        .returning(table.c.id)
    )
    with session_scope(engine) as session:
        row = session.execute(stmt).first()
        # Crash after: the lease expires and another pass takes the item over (counted uncertain).
        session.commit()
    return None if row is None else int(row[0])


async def deliver(
    engine: Engine, mailer: Mailer, item_id: int, policy: OutboxPolicy, worker_id: str | None = None
) -> OutboxState:
    """Send one leased item and record the outcome.

    Copies are bounded: every attempt whose outcome is unknown (a timeout after DATA, a
    lease taken over from a dead worker) may have delivered one copy, so an item with more
    than ``ambiguous_retries`` of them is not sent again but given up as ``ambiguous``:
    at most ``1 + ambiguous_retries`` copies per Message-ID, whatever crashes."""
    with Session(engine) as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.state is not OutboxState.SENDING:
            return OutboxState.FAILED if item is None else item.state
        if worker_id is not None and item.leased_by != worker_id:
            return item.state  # another worker took the lease over; it owns the item now
        draft = session.get(Draft, item.draft_id) if item.draft_id is not None else None
        case = session.get(Case, item.case_id) if item.case_id is not None else None
        raw, sender, recipients = item.raw, item.sender, list(item.recipients)
        attempts, uncertain = item.attempts, item.uncertain_attempts
    if draft is not None and (
        draft.state is not DraftState.APPROVED or draft.approved_sha256 != raw_digest(raw)
    ):
        # Defence in depth: only the exact approved bytes of a still-approved draft go out.
        _finish(engine, item_id, OutboxState.FAILED, error="draft no longer approved as queued")
        return OutboxState.FAILED
    late = letter_rules.send_refusal(draft, case, utcnow())
    if late is not None:
        # A late extension notice extends nothing (Art. 12(3)); nothing is sent.
        _finish(engine, item_id, OutboxState.FAILED, error=late)
        return OutboxState.FAILED
    if uncertain > policy.ambiguous_retries:
        _finish(engine, item_id, OutboxState.AMBIGUOUS, error=_given_up(uncertain, "worker stopped mid-send"))
        return OutboxState.AMBIGUOUS
    try:
        # Sends the mail. Crash after the server's answer but before the commit below:
        # the lease expires, the takeover counts this attempt as uncertain and resends
        # with the same Message-ID only while the limit allows.
        result = await mailer.send(raw, sender=sender, recipients=recipients)
    except AmbiguousDelivery as exc:
        if uncertain + 1 > policy.ambiguous_retries:
            error = _given_up(uncertain + 1, str(exc))
            _finish(engine, item_id, OutboxState.AMBIGUOUS, error=error, uncertain=1)
            return OutboxState.AMBIGUOUS
        return _retry(engine, item_id, policy, str(exc), attempts, ambiguous=True)
    except SmtpTemporaryError as exc:
        return _retry(engine, item_id, policy, str(exc), attempts)
    except SmtpPermanentError as exc:
        _finish(engine, item_id, OutboxState.FAILED, error=str(exc))
        return OutboxState.FAILED
    _finish(engine, item_id, OutboxState.SENT, response=result.response, refused=result.refused)
    return OutboxState.SENT


def _given_up(uncertain: int, reason: str) -> str:
    return f"given up after {uncertain} attempt(s) with unknown outcome; may have been delivered: {reason}"


def _retry(
    engine: Engine, item_id: int, policy: OutboxPolicy, error: str, attempts: int, *, ambiguous: bool = False
) -> OutboxState:
    now = utcnow()
    with session_scope(engine) as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        item.last_error = error[:1000]
        if ambiguous:
            item.ambiguous = True
            item.uncertain_attempts += 1
        item.lease_until = None
        if now >= item.deliver_until:
            state = OutboxState.AMBIGUOUS if item.ambiguous else OutboxState.FAILED
            item.last_error = f"gave up after {attempts} attempt(s): {error}"[:1000]
        else:
            state = OutboxState.RETRY
            ceiling = min(policy.retry_max_s, policy.retry_initial_s * 2 ** max(0, attempts - 1))
            item.next_attempt_at = now + timedelta(seconds=random.uniform(ceiling / 2, ceiling))
        item.state = state
        _update_draft(session, item, state)
        # Crash before: the lease expires and the takeover counts this attempt as uncertain.
        session.commit()
    log.warning("outbox item %s: %s (attempt %d): %s", item_id, state.value, attempts, error[:200])
    return state


def _finish(
    engine: Engine,
    item_id: int,
    state: OutboxState,
    *,
    error: str | None = None,
    response: str | None = None,
    refused: dict[str, str] | None = None,
    uncertain: int = 0,
) -> None:
    from avgdesk.models.tables import AuditEvent

    with session_scope(engine) as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        item.state = state
        item.lease_until = None
        item.uncertain_attempts += uncertain
        if state is OutboxState.AMBIGUOUS:
            item.ambiguous = True
        # A success replaces the error of an earlier attempt: staff see the outcome, not history.
        item.last_error = error[:1000] if error else (None if state is OutboxState.SENT else item.last_error)
        if response is not None:
            item.smtp_response = response[:500]
        if refused:
            item.refused_recipients = refused
        if state is OutboxState.SENT:
            item.sent_at = utcnow()
        _update_draft(session, item, state)
        session.add(
            AuditEvent(
                actor="system:outbox",
                action=f"mail.{state.value}",
                case_id=item.case_id,
                detail={
                    "outbox_id": item.id,
                    "draft_id": item.draft_id,
                    "message_id": item.message_id,
                    "error": (error or "")[:300],
                    "refused": refused or {},
                },
            )
        )
        # Crash before: the item stays leased; the takeover counts the attempt as uncertain.
        session.commit()
    if state in (OutboxState.FAILED, OutboxState.AMBIGUOUS):
        log.error("outbox item %s %s: %s", item_id, state.value, (error or "")[:200])


def _update_draft(session: Session, item: OutboxItem, state: OutboxState) -> None:
    if item.draft_id is None:
        return
    draft = session.get(Draft, item.draft_id)
    if draft is None:
        return
    if state is OutboxState.SENT:
        draft.state = DraftState.SENT
    elif state in (OutboxState.FAILED, OutboxState.AMBIGUOUS):
        # Not "sent": staff must check with the recipient before anything is sent again.
        draft.state = DraftState.FAILED
    draft.updated_at = utcnow()


async def drain(
    engine: Engine, mailer: Mailer, worker_id: str, policy: OutboxPolicy | None = None
) -> DrainResult:
    """Send everything that is due now; returns what happened."""
    policy = policy or OutboxPolicy()
    result = DrainResult()
    # Only what is due at the start: a retry scheduled during this pass waits for the next.
    started = utcnow()
    while True:
        item_id = claim_one(engine, worker_id, policy, now=started)
        if item_id is None:
            return result
        state = await deliver(engine, mailer, item_id, policy, worker_id)
        if state is OutboxState.SENT:
            result.sent += 1
            result.sent_ids.append(item_id)
        elif state is OutboxState.RETRY:
            result.retry += 1
        elif state in (OutboxState.FAILED, OutboxState.AMBIGUOUS):
            result.failed += 1
            result.ambiguous += state is OutboxState.AMBIGUOUS
        else:
            result.skipped += 1


def sent_not_copied(engine: Engine, limit: int = 50) -> Sequence[OutboxItem]:
    """The oldest ``limit`` sent replies not yet in the Sent folder (callers loop until empty)."""
    with Session(engine) as session:
        return list(
            session.exec(
                select(OutboxItem)
                .where(OutboxItem.state == OutboxState.SENT, col(OutboxItem.copied_to_sent).is_(False))
                .where(OutboxItem.kind == "reply")
                .order_by(col(OutboxItem.id))
                .limit(limit)
            )
        )


def mark_copied(engine: Engine, ids: Sequence[int]) -> None:
    from sqlalchemy import update

    with session_scope(engine) as session:
        session.execute(
            update(OutboxItem).where(col(OutboxItem.id).in_(list(ids))).values(copied_to_sent=True)
        )
        # Crash before: the copies are appended again next time (a duplicate in Sent, harmless).
        session.commit()
