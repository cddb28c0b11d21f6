"""Retention: personal data is kept only as long as configured.

* A case closed (answered, closed, withdrawn, unfounded) more than
  ``retention_days`` ago is deleted with its messages (raw bytes, attachments metadata,
  label corrections), rights, pauses, drafts, outbox items and audit trail; one audit
  event without personal data records that reference X was purged, when and why.
* A message that never became part of a case (questions, other mail, automatic mail,
  quarantined mail) is deleted ``retention_unlinked_days`` after it was received.

Before a case is deleted, a content-free entry of the compliance ledger is written
(:mod:`avgdesk.triage.cases.ledger`, Art. 5(2) AVG); ledger entries older than
``ledger_retention_days`` after closing are deleted here too. Cases that wait on the
customer longer than ``abandoned_after_days`` are closed with a letter
(:func:`close_abandoned`, daily).

Runs once a day inside the worker (claimed in ``scheduled_run``, so several workers
purge once) and on demand with ``avgdesk purge``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import (
    Attachment,
    AuditEvent,
    Case,
    CaseExtract,
    CaseNote,
    CasePause,
    CaseRight,
    CaseTask,
    DownloadLink,
    Draft,
    DraftAttachment,
    DraftVersion,
    InboundMessage,
    LabelCorrection,
    MessageRaw,
    OutboxItem,
    ReminderSent,
    ScheduledRun,
)
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import OPEN_STATES
from avgdesk.triage.cases import ledger, legal
from avgdesk.triage.settings import Settings


@dataclass
class PurgeResult:
    cases: list[str] = field(default_factory=list)
    messages: int = 0


def purge(
    engine: Engine, settings: Settings, *, now: datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    now = now or utcnow()
    result = PurgeResult()
    with session_scope(engine) as session:
        cases, all_messages = _expired(session, settings, now)
        result.cases = [c.reference for c in cases]
        result.messages = len(all_messages)
        if dry_run:
            return result
        # Proof first (Art. 5(2)): the ledger entry is written in the same transaction.
        ledger.record(session, cases, settings, now)
        ledger.expire(session, now)
        _delete_messages(session, all_messages)
        _delete_cases(session, [c.id for c in cases if c.id is not None])
        for reference in result.cases:
            session.add(
                AuditEvent(
                    actor="system:retention",
                    action="case.purged",
                    detail={"reference": reference, "retention_days": settings.retention_days},
                )
            )
        # Crash before: nothing deleted; the next run deletes it all. Crash after: done.
        session.commit()
    return result


def _expired(session: Session, settings: Settings, now: datetime) -> tuple[list[Case], list[int]]:
    """Closed cases past their retention, and their messages plus unlinked old ones."""
    case_cutoff = now - timedelta(days=settings.retention_days)
    message_cutoff = now - timedelta(days=settings.retention_unlinked_days)
    cases = list(
        session.exec(
            select(Case).where(
                col(Case.state).not_in(list(OPEN_STATES)),
                col(Case.closed_at).is_not(None),
                col(Case.closed_at) < case_cutoff,
                # An undecided breach stays until someone decides (Art. 33: it outlives the request).
                col(Case.id).not_in(legal.undecided_breach_case_ids()),
            )
        )
    )
    case_ids = [c.id for c in cases if c.id is not None]
    message_ids = list(
        session.exec(select(InboundMessage.id).where(col(InboundMessage.case_id).in_(case_ids)))
    )
    unlinked = list(
        session.exec(
            select(InboundMessage.id).where(
                col(InboundMessage.case_id).is_(None), col(InboundMessage.received_at) < message_cutoff
            )
        )
    )
    return cases, [m for m in [*message_ids, *unlinked] if m is not None]


def _delete_cases(session: Session, case_ids: list[int]) -> None:
    """Everything of these cases: children before parents (PostgreSQL enforces the keys)."""
    if not case_ids:
        return
    # Other cases may point at these as suggestions or duplicates.
    for other in session.exec(select(Case).where(col(Case.suggested_case_id).in_(case_ids))):
        other.suggested_case_id = None
    for other in session.exec(select(Case).where(col(Case.duplicate_of_case_id).in_(case_ids))):
        other.duplicate_of_case_id = None
    draft_ids = select(Draft.id).where(col(Draft.case_id).in_(case_ids))
    session.execute(delete(OutboxItem).where(col(OutboxItem.case_id).in_(case_ids)))
    session.execute(delete(OutboxItem).where(col(OutboxItem.draft_id).in_(draft_ids)))
    # Versions hold the letters' text and notes hold staff remarks: personal data too.
    session.execute(delete(DraftVersion).where(col(DraftVersion.draft_id).in_(draft_ids)))
    # Issue 17: download links die with their files (before them: the foreign key), then
    # attachments and access packages, the rows collected from the systems, tasks.
    session.execute(delete(DownloadLink).where(col(DownloadLink.case_id).in_(case_ids)))
    session.execute(delete(DownloadLink).where(col(DownloadLink.draft_id).in_(draft_ids)))
    session.execute(delete(DraftAttachment).where(col(DraftAttachment.draft_id).in_(draft_ids)))
    session.execute(delete(CaseExtract).where(col(CaseExtract.case_id).in_(case_ids)))
    session.execute(delete(CaseTask).where(col(CaseTask.case_id).in_(case_ids)))
    session.execute(delete(Draft).where(col(Draft.case_id).in_(case_ids)))
    session.execute(delete(CaseNote).where(col(CaseNote.case_id).in_(case_ids)))
    session.execute(delete(CaseRight).where(col(CaseRight.case_id).in_(case_ids)))
    session.execute(delete(CasePause).where(col(CasePause.case_id).in_(case_ids)))
    session.execute(delete(ReminderSent).where(col(ReminderSent.case_id).in_(case_ids)))
    session.execute(delete(AuditEvent).where(col(AuditEvent.case_id).in_(case_ids)))
    session.execute(delete(Case).where(col(Case.id).in_(case_ids)))


def _delete_messages(session: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        session.execute(delete(MessageRaw).where(col(MessageRaw.message_pk).in_(part)))
        session.execute(delete(Attachment).where(col(Attachment.message_pk).in_(part)))
        session.execute(delete(LabelCorrection).where(col(LabelCorrection.message_pk).in_(part)))
        session.execute(delete(AuditEvent).where(col(AuditEvent.message_pk).in_(part)))
        session.execute(delete(InboundMessage).where(col(InboundMessage.id).in_(part)))


def purge_daily(engine: Engine, settings: Settings, now: datetime | None = None) -> PurgeResult | None:
    """Purge once per local day, whatever the number of workers (claimed in scheduled_run)."""
    now = now or utcnow()
    period = now.astimezone(settings.tz).date().isoformat()
    with session_scope(engine) as session:
        session.add(
            ScheduledRun(
                job="retention", period=period, claimed_by=settings.worker_id or "worker", claimed_at=now
            )
        )
        try:
            # Crash after the claim: today's purge is skipped; tomorrow's catches up.
            session.commit()
        except IntegrityError:
            session.rollback()
            return None
    close_abandoned(engine, settings, now=now)
    return purge(engine, settings, now=now)


def close_abandoned(engine: Engine, settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Close cases whose request for identity/clarification went unanswered for
    ``abandoned_after_days``, with a letter (drafted for approval) that says so and names
    the remedies (issue 13). Returns the references closed."""
    from avgdesk.models.vocabulary import DraftKind
    from avgdesk.replies.drafting import create_draft
    from avgdesk.triage.cases import lifecycle
    from avgdesk.triage.drafting_config import drafting_context

    now = now or utcnow()
    cutoff = now - timedelta(days=settings.abandoned_after_days)
    closed: list[str] = []
    with session_scope(engine) as session:
        rows = session.exec(
            select(Case, CasePause)
            .join(CasePause, col(CasePause.case_id) == col(Case.id))
            .where(
                col(Case.state).in_(list(lifecycle.PAUSED_STATES)),
                col(CasePause.resumed_at).is_(None),
                col(CasePause.requested_at) < cutoff,
            )
        )
        for case, pause in list(rows):
            asked_on = pause.requested_at.astimezone(settings.tz).date()
            fields = {"asked_on": asked_on, "asked_for": pause.reason.value}
            ctx = drafting_context(settings)
            create_draft(
                session,
                case,
                DraftKind.ABANDONED,
                author="system:retention",
                ctx=ctx,
                fields=fields,
                automatic=True,
            )
            why = f"geen antwoord binnen {settings.abandoned_after_days} dagen op ons verzoek van {asked_on}"
            lifecycle.close(
                session, case, by="system:retention", outcome="closed", justification=why, now=now
            )
            closed.append(case.reference)
        # Crash before: nothing closed; tomorrow's run does it. After: closed, letter drafted.
        session.commit()
    return closed
