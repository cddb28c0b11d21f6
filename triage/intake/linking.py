"""Cases: opening a case for a request, or attaching a message to the case it belongs to.

Threading rules (nothing is merged silently):
* In-Reply-To / References naming a Message-ID already linked to a case → that case;
* the subject carries a case reference (``AVG-2026-0001``) → that case;
* otherwise a message that exercises a right or complains opens a new case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from avgdesk.models import Case, CaseState, Draft, InboundMessage, ReferenceCounter
from avgdesk.models.labels import COMBINING, RIGHTS
from avgdesk.triage.cases import audit
from avgdesk.triage.settings import Settings

REFERENCE_RE = re.compile(r"\bAVG-(\d{4})-(\d{4,6})\b", re.I)


def next_reference(session: Session, year: int) -> str:
    """Allocate ``AVG-<year>-<nnnn>`` with a row lock, safe with several workers."""
    stmt = (
        update(ReferenceCounter)
        .where(col(ReferenceCounter.year) == year)
        .values(last=col(ReferenceCounter.last) + 1)
        .returning(col(ReferenceCounter.last))
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(year=year, last=0))
        except IntegrityError:
            pass  # another worker created the row first
        value = session.execute(stmt).scalar_one()
    return f"AVG-{year}-{int(value):04d}"


def find_thread_case(session: Session, message: InboundMessage) -> Case | None:
    """The case this message continues: by In-Reply-To/References naming a message of the
    case (theirs or one of our replies), then by a case reference in the subject."""
    ids = [m for m in [message.in_reply_to, *message.references] if m]
    if ids:
        ours = session.exec(
            select(Draft.case_id)
            .where(col(Draft.message_id).in_(ids))
            .order_by(col(Draft.id).desc())
            .limit(1)
        ).first()
        if ours is not None:
            return session.get(Case, ours)
        case_id = session.exec(
            select(InboundMessage.case_id)
            .where(col(InboundMessage.message_id).in_(ids), col(InboundMessage.case_id).is_not(None))
            .order_by(col(InboundMessage.id).desc())
            .limit(1)
        ).first()
        if case_id is not None:
            return session.get(Case, case_id)
    match = REFERENCE_RE.search(message.subject or "")
    if match:
        reference = f"AVG-{match.group(1)}-{match.group(2)}".upper()
        return session.exec(select(Case).where(Case.reference == reference)).one_or_none()
    return None


def opens_case(labels: Sequence[str]) -> bool:
    return any(label in COMBINING for label in labels)


def open_case(session: Session, message: InboundMessage, *, settings: Settings) -> Case:
    """Open a case for ``message`` (in the caller's transaction) and link the message:
    rights, deadlines, duplicate flag and suggested link included."""
    from avgdesk.triage.cases.lifecycle import setup_new_case

    received: datetime = message.received_at
    reference = next_reference(session, received.astimezone(settings.tz).year)
    rights = [label for label in message.labels if label in RIGHTS]
    case = Case(
        reference=reference,
        state=CaseState.NEW,
        requester_email=message.requester_email,
        requester_name=message.requester_name,
        rights=rights,
        is_complaint="complaint" in message.labels,
        language=message.language if message.language in ("nl", "en") else "nl",
        via_form=message.via_form,
        received_at=received,
    )
    session.add(case)
    session.flush()
    message.case_id = case.id
    audit.record(
        session,
        actor="system:triage",
        action="case.opened",
        case_id=case.id,
        message_pk=message.id,
        after={"state": case.state.value, "rights": rights, "complaint": case.is_complaint},
    )
    setup_new_case(session, case, settings)
    return case


def attach(session: Session, case: Case, message: InboundMessage, *, how: str) -> None:
    message.case_id = case.id
    audit.record(
        session,
        actor="system:triage",
        action="message.attached",
        case_id=case.id,
        message_pk=message.id,
        how=how,
    )
