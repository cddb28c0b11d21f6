"""The SQLModel tables.

Schema changes go through Alembic (``models/migrations``); never edit a table
without adding a migration. Raw message bytes live in their own table so that
listing messages never loads the blobs.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from avgdesk.models.types import UTCDateTime, enum_column, utcnow


class MessageState(StrEnum):
    RECEIVED = "received"
    """Committed locally (raw bytes kept); not yet parsed, classified or threaded."""
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    """Processing failed ``processing_max_attempts`` times; raw bytes kept for staff."""


class MessageSource(StrEnum):
    IMAP = "imap"
    FORM = "form"


class InboundMessage(SQLModel, table=True):
    __tablename__ = "inbound_message"
    __table_args__ = (
        Index("ix_inbound_message_state_id", "state", "id"),
        Index("ix_inbound_message_server", "account", "folder", "uidvalidity", "uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=64, unique=True)
    """sha256(normalised Message-ID, sha256(raw)): the same bytes twice are one message,
    a reused Message-ID with other content is a new one."""
    message_id: str = Field(sa_column=Column(Text, nullable=False, index=True))
    """Normalised Message-ID (``<...>`` stripped, lower-cased domain); derived from the hash
    when the message has none."""
    message_id_derived: bool = False
    raw_sha256: str = Field(max_length=64)
    size_bytes: int
    source: MessageSource = Field(default=MessageSource.IMAP, sa_column=enum_column(MessageSource))

    account: str | None = None
    folder: str | None = None
    uidvalidity: int | None = None
    uid: int | None = None
    server_acked: bool = False
    """True once the server copy was moved or flagged (after the local commit)."""

    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    received_at_source: str = "internaldate"
    """internaldate | date_header | ingest_time | form: where ``received_at`` came from."""
    ingested_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    truncated_reason: str | None = None
    """Set when only the header was stored (for instance the message exceeded the size limit)."""

    state: MessageState = Field(default=MessageState.RECEIVED, sa_column=enum_column(MessageState))
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    quarantine_reason: str | None = Field(default=None, sa_column=Column(Text))
    processed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))

    # Parsed fields (filled by processing; the raw bytes remain the truth).
    subject: str | None = Field(default=None, sa_column=Column(Text))
    from_addr: str | None = None
    from_name: str | None = None
    to_addrs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cc_addrs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    date_header: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    in_reply_to: str | None = Field(default=None, sa_column=Column(Text))
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    headers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Selected headers as text (auto-reply evidence, list headers, Return-Path)."""
    text: str | None = Field(default=None, sa_column=Column(Text))
    """Normalised plain text of the body (HTML turned into text)."""
    html: str | None = Field(default=None, sa_column=Column(Text))
    """The HTML part as received (never shown unsanitised)."""
    defects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))

    requester_email: str | None = Field(default=None, index=True)
    requester_name: str | None = None
    via_form: bool = False
    is_automatic: bool = False
    """Never answered automatically (RFC 3834 and the rules of mailbox.automatic)."""
    automatic_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str | None = None

    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scores: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    explanations: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    needs_review: bool = False
    model_version: str | None = None

    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)


class MessageRaw(SQLModel, table=True):
    """The raw RFC 5322 bytes of an inbound message, exactly as fetched."""

    __tablename__ = "message_raw"

    message_pk: int = Field(foreign_key="inbound_message.id", primary_key=True, ondelete="CASCADE")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Attachment(SQLModel, table=True):
    """Metadata of an attachment; the bytes stay inside the raw message."""

    __tablename__ = "attachment"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="inbound_message.id", index=True, ondelete="CASCADE")
    part_index: int
    filename: str | None = Field(default=None, sa_column=Column(Text))
    content_type: str
    size_bytes: int
    sha256: str = Field(max_length=64)


class MailboxCursor(SQLModel, table=True):
    """Where intake stands in one folder of one account."""

    __tablename__ = "mailbox_cursor"
    __table_args__ = (UniqueConstraint("account", "folder"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str
    folder: str
    uidvalidity: int | None = None
    last_uid: int = 0
    last_poll_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """Heartbeat: set after every successful pass, so a stalled intake shows in status."""
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class CaseState(StrEnum):
    NEW = "new"
    AWAITING_IDENTITY = "awaiting_identity"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    UNFOUNDED = "unfounded"
    """Manifestly unfounded or excessive (Art. 12(5)): only by staff, with a justification."""


class Case(SQLModel, table=True):
    __tablename__ = "case"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=32)
    state: CaseState = Field(default=CaseState.NEW, sa_column=enum_column(CaseState, index=True))
    requester_email: str | None = Field(default=None, index=True)
    requester_name: str | None = None
    rights: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_complaint: bool = False
    language: str = "nl"
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    legal_deadline: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AuditEvent(SQLModel, table=True):
    """Who did what, when: every state change of a case or message."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    """A staff member's name, or ``system:<component>``."""
    action: str
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    message_pk: int | None = Field(default=None, foreign_key="inbound_message.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """``{"before": ..., "after": ..., ...}``: never message bodies."""


class WorkerLease(SQLModel, table=True):
    """A named lease that one worker holds at a time (the mailbox poller)."""

    __tablename__ = "worker_lease"

    name: str = Field(primary_key=True)
    holder: str
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    acquired_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ReferenceCounter(SQLModel, table=True):
    """The last case number handed out per year (AVG-2026-0001, ...)."""

    __tablename__ = "reference_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


def new_message_values(**values: Any) -> dict[str, Any]:
    """Column values for a Core ``INSERT`` of an :class:`InboundMessage`, with the
    defaults the ORM would have filled in (bulk intake skips building ORM objects)."""
    defaults: dict[str, Any] = {
        "message_id_derived": False,
        "source": MessageSource.IMAP,
        "server_acked": False,
        "received_at_source": "internaldate",
        "state": MessageState.RECEIVED,
        "attempts": 0,
        "to_addrs": [],
        "cc_addrs": [],
        "references": [],
        "headers": {},
        "defects": [],
        "via_form": False,
        "is_automatic": False,
        "automatic_reasons": [],
        "labels": [],
        "scores": {},
        "explanations": {},
        "needs_review": False,
    }
    unknown = set(values) - set(InboundMessage.model_fields)
    if unknown:
        raise TypeError(f"unknown InboundMessage columns: {sorted(unknown)}")
    return {**defaults, **values}
