"""The audit trail: every state change of a case or message, who, when, what."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from avgdesk.models.tables import AuditEvent
from avgdesk.models.types import utcnow

ROWS_KEY = "avgdesk.audit_rows"
"""``session.info`` key of a processing batch's list of audit rows (issue 16): events
recorded while it is set are inserted together before the batch's commit, without an ORM
object each. ``replies/drafting.py`` checks the same key for its draft events."""


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    message_pk: int | None = None,
    **detail: Any,
) -> None:
    """Add an audit event to the caller's transaction (it commits with the change)."""
    row: dict[str, Any] = {
        "at": utcnow(),
        "actor": actor,
        "action": action,
        "case_id": case_id,
        "message_pk": message_pk,
        "detail": detail,
    }
    batch = session.info.get(ROWS_KEY)
    if isinstance(batch, list):
        batch.append(row)
    else:
        session.add(AuditEvent(**row))
