"""``avgdesk status``: one JSON object a monitoring system can read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from avgdesk.models import (
    Case,
    Draft,
    DraftState,
    InboundMessage,
    MailboxCursor,
    MessageState,
    OutboxItem,
    OutboxState,
)
from avgdesk.replies import outbox


def collect(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:

        def count(stmt: Any) -> int:
            return int(session.execute(stmt).scalar_one())

        messages = count(select(func.count()).select_from(InboundMessage))
        by_state: dict[Any, int] = {
            state: int(n)
            for state, n in session.execute(
                select(col(InboundMessage.state), func.count()).group_by(col(InboundMessage.state))
            ).all()
        }
        automatic = count(
            select(func.count()).select_from(InboundMessage).where(col(InboundMessage.is_automatic).is_(True))
        )
        cases = count(select(func.count()).select_from(Case))
        drafts_pending = count(
            select(func.count()).select_from(Draft).where(col(Draft.state) == DraftState.DRAFT)
        )
        outbox_pending = outbox.pending_count(session)
        outbox_failed = count(
            select(func.count()).select_from(OutboxItem).where(col(OutboxItem.state) == OutboxState.FAILED)
        )
        cursors = list(session.execute(select(MailboxCursor)).scalars())
    last_poll = max((c.last_poll_at for c in cursors if c.last_poll_at), default=None)
    errors = [
        {"account": c.account, "folder": c.folder, "error": c.last_error, "at": _iso(c.last_error_at)}
        for c in cursors
        if c.last_error
    ]
    return {
        "messages": messages,
        "received": int(by_state.get(MessageState.RECEIVED, 0)),
        "processed": int(by_state.get(MessageState.PROCESSED, 0)),
        "quarantined": int(by_state.get(MessageState.QUARANTINED, 0)),
        "automatic": automatic,
        "cases": cases,
        "drafts_pending": drafts_pending,
        "outbox_pending": outbox_pending,
        "outbox_failed": outbox_failed,
        "last_poll_at": _iso(last_poll),
        "mailboxes": [
            {
                "account": c.account,
                "folder": c.folder,
                "uidvalidity": c.uidvalidity,
                "last_uid": c.last_uid,
                "last_poll_at": _iso(c.last_poll_at),
            }
            for c in cursors
        ],
        "intake_errors": errors,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
