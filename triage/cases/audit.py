"""The audit trail: every state change of a case or message, who, when, what."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from avgdesk.models.tables import AuditEvent
from avgdesk.models.types import utcnow


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    message_pk: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (it commits with the change)."""
    event = AuditEvent(
        at=utcnow(), actor=actor, action=action, case_id=case_id, message_pk=message_pk, detail=detail
    )
    session.add(event)
    return event
