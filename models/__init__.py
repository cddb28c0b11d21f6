"""Storage: SQLModel tables, engine and sessions, Alembic migrations, the exception tree."""

from avgdesk.models.engine import is_postgres, make_engine, session_scope
from avgdesk.models.tables import (
    Attachment,
    AuditEvent,
    Case,
    CaseState,
    InboundMessage,
    MailboxCursor,
    MessageRaw,
    MessageSource,
    MessageState,
    ReferenceCounter,
    WorkerLease,
    new_message_values,
)
from avgdesk.models.types import utcnow

__all__ = [
    "Attachment",
    "AuditEvent",
    "Case",
    "CaseState",
    "InboundMessage",
    "MailboxCursor",
    "MessageRaw",
    "MessageSource",
    "MessageState",
    "ReferenceCounter",
    "WorkerLease",
    "is_postgres",
    "make_engine",
    "new_message_values",
    "session_scope",
    "utcnow",
]
