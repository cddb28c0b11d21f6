"""Storage: SQLModel tables, engine and sessions, Alembic migrations, the exception tree.

A light package: importing ``avgdesk.models`` (or ``avgdesk.models.errors`` or
``avgdesk.models.vocabulary``) loads no SQLAlchemy, so the command line starts at once.
Import from the modules themselves: ``avgdesk.models.tables`` (the tables),
``avgdesk.models.engine`` (engine and sessions), ``avgdesk.models.errors`` (the exception
tree), ``avgdesk.models.vocabulary`` (shared enums and names), ``avgdesk.models.types``.
The names below still resolve here, lazily, for code not yet rewritten.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from avgdesk.models.engine import is_postgres, make_engine, session_scope
    from avgdesk.models.tables import (
        Attachment,
        AuditEvent,
        Case,
        CaseNote,
        CasePause,
        CaseRight,
        CaseState,
        Draft,
        DraftState,
        DraftVersion,
        InboundMessage,
        LabelCorrection,
        MailboxCursor,
        MessageRaw,
        MessageSource,
        MessageState,
        OutboxItem,
        OutboxState,
        PauseReason,
        ReferenceCounter,
        ReminderSent,
        RightStatus,
        SavedView,
        ScheduledRun,
        User,
        WebSession,
        WorkerLease,
        new_message_values,
    )
    from avgdesk.models.types import utcnow

_ENGINE = ("is_postgres", "make_engine", "session_scope")
_TYPES = ("utcnow",)
_TABLES = (
    "Attachment",
    "AuditEvent",
    "Case",
    "CaseNote",
    "CasePause",
    "CaseRight",
    "CaseState",
    "Draft",
    "DraftState",
    "DraftVersion",
    "InboundMessage",
    "LabelCorrection",
    "MailboxCursor",
    "MessageRaw",
    "MessageSource",
    "MessageState",
    "OutboxItem",
    "OutboxState",
    "PauseReason",
    "ReferenceCounter",
    "ReminderSent",
    "RightStatus",
    "SavedView",
    "ScheduledRun",
    "User",
    "WebSession",
    "WorkerLease",
    "new_message_values",
)
_HOME = {
    **{name: "avgdesk.models.engine" for name in _ENGINE},
    **{name: "avgdesk.models.types" for name in _TYPES},
    **{name: "avgdesk.models.tables" for name in _TABLES},
}

__all__ = [
    "Attachment",
    "AuditEvent",
    "Case",
    "CaseNote",
    "CasePause",
    "CaseRight",
    "CaseState",
    "Draft",
    "DraftState",
    "DraftVersion",
    "InboundMessage",
    "LabelCorrection",
    "MailboxCursor",
    "MessageRaw",
    "MessageSource",
    "MessageState",
    "OutboxItem",
    "OutboxState",
    "PauseReason",
    "ReferenceCounter",
    "ReminderSent",
    "RightStatus",
    "SavedView",
    "ScheduledRun",
    "User",
    "WebSession",
    "WorkerLease",
    "is_postgres",
    "make_engine",
    "new_message_values",
    "session_scope",
    "utcnow",
]


def __getattr__(name: str) -> Any:
    # PEP 562: the heavy modules load on first use of one of their names, not at import.
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'avgdesk.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
