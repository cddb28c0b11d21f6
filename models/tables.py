"""The SQLModel tables.

Schema changes go through Alembic (``models/migrations``); never edit a table
without adding a migration. Raw message bytes live in their own table so that
listing messages never loads the blobs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import Field, SQLModel

from avgdesk.models.types import StrEnumText, UTCDateTime, enum_column, utcnow

# The state enums live in the vocabulary (no SQLAlchemy there); imported for the columns and
# re-exported (the 'as' form), so avgdesk.models.tables.CaseState keeps working.
from avgdesk.models.vocabulary import CaseState as CaseState
from avgdesk.models.vocabulary import DraftState as DraftState
from avgdesk.models.vocabulary import MessageSource as MessageSource
from avgdesk.models.vocabulary import MessageState as MessageState
from avgdesk.models.vocabulary import OutboxState as OutboxState
from avgdesk.models.vocabulary import PauseReason as PauseReason
from avgdesk.models.vocabulary import RightStatus as RightStatus
from avgdesk.models.vocabulary import Role
from avgdesk.models.vocabulary import TaskStatus as TaskStatus


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
    claim_token: str | None = Field(default=None, max_length=64)
    """Set with ``claimed_until`` by the processing claim; the write phase saves only while
    the message still carries the token it claimed with (compare-and-set)."""
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """A claim past this time belongs to a dead worker and may be taken over."""
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
    html_safe: str | None = Field(default=None, sa_column=Column(Text))
    """The HTML part sanitised once, at processing (the case page never sanitises on view)."""
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
    runner_up: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The best label not chosen when it was close: {"label": ..., "score": ...} (staff see it)."""
    model_version: str | None = None

    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    suggested_case_id: int | None = None
    """A case this message names (reference or reply headers) but may not join: its sender
    is not that case's requester. Staff decide; no foreign key, so retention can delete the
    case without touching messages that merely pointed at it."""


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


class Case(SQLModel, table=True):
    __tablename__ = "case"
    # The queue's open/state filters with its default sort, and the due-date filters (issue 16).
    __table_args__ = (Index("ix_case_state_due", "state", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(unique=True, max_length=32)
    state: CaseState = Field(default=CaseState.NEW, sa_column=enum_column(CaseState, index=True))
    requester_email: str | None = Field(default=None, index=True)
    requester_name: str | None = None
    rights: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Labels of the rights requested (access, erasure, ...); each has a CaseRight row too."""
    is_complaint: bool = False
    language: str = "nl"
    via_form: bool = False
    assignee: str | None = Field(default=None, index=True)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    legal_deadline: date | None = None
    """Art. 12(3) AVG, rolled to a working day; None for a complaint without a right."""
    internal_target: date | None = None
    extended_deadline: date | None = None
    extension_reason: str | None = Field(default=None, sa_column=Column(Text))
    extended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    extended_by: str | None = None
    extension_notice_sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """When the outbox sent the extension notice; the extended date binds only from then."""
    due_date: date | None = Field(default=None, index=True)
    """The date that applies now: legal, extended (once the notice was sent) or
    pause-adjusted (or the complaint target)."""
    identity_verified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    identity_verified_by: str | None = None
    customer_number: str | None = Field(default=None, max_length=64)
    """The requester's customer number in the controller's systems, recorded by staff (issue 17:
    an identity key the sql systems' queries may bind as ``:customer_number``)."""
    contract_number: str | None = Field(default=None, max_length=64)
    """A contract number of the requester (``:contract_number``), recorded by staff."""
    suggested_case_id: int | None = Field(default=None, foreign_key="case.id")
    """A recent open case of the same requester, offered to staff; never merged silently."""
    duplicate_of_case_id: int | None = Field(default=None, foreign_key="case.id")
    """Same requester, same right within 30 days: flagged for staff."""
    answers_sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
    """When the last substantive answer the case owed was sent (every right and the complaint;
    ``answers.mark_answered``): the Art. 12(3) deadline is met, the case waits to be closed.
    None while something is owed; cleared by reopening and by a new right."""
    answered_on: date | None = None
    """The local day (``Settings.tz``) of ``answers_sent_at``: after ``due_date`` the case was
    answered late (Art. 12(3) breached), which stays visible and counted until it closes."""
    answers_checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """How far ``answers.mark_answered`` looked at the sent letters of a case still owing:
    only a case with an answer letter sent after it is read again (bookkeeping)."""
    reopened_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    """Last reopening: only an answer sent after it marks the case answered again."""
    outcome: str | None = None
    justification: str | None = Field(default=None, sa_column=Column(Text))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CaseRight(SQLModel, table=True):
    """One right exercised in a case, with its own status and outcome."""

    __tablename__ = "case_right"
    __table_args__ = (UniqueConstraint("case_id", "right"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    right: str
    status: RightStatus = Field(default=RightStatus.OPEN, sa_column=enum_column(RightStatus))
    reasons: str | None = Field(default=None, sa_column=Column(Text))
    """Reasons of a refusal or partial grant (Art. 12(4))."""


class CasePause(SQLModel, table=True):
    """The clock rests while waiting for identity or clarification (EDPB 01/2022 §159)."""

    __tablename__ = "case_pause"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    reason: PauseReason = Field(sa_column=enum_column(PauseReason))
    requested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resumed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    paused_by: str
    resumed_by: str | None = None


class Draft(SQLModel, table=True):
    """A reply being written. The Message-ID is fixed at creation and reused on every retry."""

    __tablename__ = "draft"
    # The drafts list (newest first, per state) and the oldest waiting ones (issue 16); the
    # snapshot's count of letters that can still be approved, read from the index alone.
    __table_args__ = (
        Index("ix_draft_state_created", "state", "created_at"),
        Index("ix_draft_state_case_kind", "state", "case_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str
    language: str = "nl"
    state: DraftState = Field(default=DraftState.DRAFT, sa_column=enum_column(DraftState, index=True))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str | None = Field(default=None, sa_column=Column(Text))
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """Template fields (reasons, items, new deadline, ...)."""
    to_addr: str
    message_id: str = Field(unique=True)
    in_reply_to: str | None = Field(default=None, sa_column=Column(Text))
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    automatic: bool = False
    """Drafted by the worker (acknowledgement): sent with Auto-Submitted: auto-replied."""
    version: int = 1
    """Incremented by every edit; an approval names the version it approved."""
    author: str
    editors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Everyone who changed the text after it was made (four eyes: none may approve it)."""
    render_error: str | None = Field(default=None, sa_column=Column(Text))
    approved_by: str | None = None
    approved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    approved_version: int | None = None
    approved_sha256: str | None = None
    """sha256 of the exact subject and body approved; the outbox sends only that."""
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class OutboxItem(SQLModel, table=True):
    """One outgoing mail, built in full when it was approved (or generated, for internal
    mail) and sent exactly as stored."""

    __tablename__ = "outbox_item"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int | None = Field(default=None, foreign_key="draft.id", unique=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    kind: str = "reply"
    """reply | summary | reminder"""
    message_id: str = Field(unique=True)
    sender: str
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: OutboxState = Field(default=OutboxState.PENDING, sa_column=enum_column(OutboxState))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    deliver_until: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    leased_by: str | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    refused_recipients: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ambiguous: bool = False
    """A timeout after DATA: the server may have accepted it; retried with the same Message-ID."""
    uncertain_attempts: int = 0
    """Attempts whose outcome is unknown (a timeout after DATA, or a worker that died holding
    the lease): each may have delivered one copy, so at most ``ambiguous_retries`` are allowed."""
    smtp_response: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    copied_to_sent: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class User(SQLModel, table=True):
    """A staff account for the web UI (argon2 password hash)."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    password_hash: str
    role: Role = Field(sa_column=Column(StrEnumText(Role), nullable=False))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebSession(SQLModel, table=True):
    """A server-side login session; the cookie carries a random token, stored hashed."""

    __tablename__ = "web_session"

    token_sha256: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    csrf_token: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class LabelCorrection(SQLModel, table=True):
    """A staff member's labels for a message; joins the next training."""

    __tablename__ = "label_correction"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="inbound_message.id", index=True, ondelete="CASCADE")
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    corrected_by: str
    corrected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ScheduledRun(SQLModel, table=True):
    """A scheduled job claimed once: the weekly summary per ISO week, reminders per day."""

    __tablename__ = "scheduled_run"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str
    """summary | reminders"""
    period: str
    """2026-W48 for a summary, 2026-11-25 for reminders"""
    claimed_by: str
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    late: bool = False
    outbox_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ReminderSent(SQLModel, table=True):
    """Never the same case twice in one day's reminders."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("case_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    day: date = Field(index=True)


class AuditEvent(SQLModel, table=True):
    """Who did what, when: every state change of a case or message."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    """A staff member's name, or ``system:<component>``."""
    action: str = Field(index=True)
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


class CaseNote(SQLModel, table=True):
    """An internal note on a case: staff only, never in a letter; adding one is audited."""

    __tablename__ = "case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    author: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DraftVersion(SQLModel, table=True):
    """Every saved version of a draft's text, so staff can compare versions."""

    __tablename__ = "draft_version"
    __table_args__ = (UniqueConstraint("draft_id", "version", name="uq_draft_version"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    version: int
    subject: str = Field(sa_column=Column(Text, nullable=False))
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    editor: str
    how: str = "edit"
    """create, text (hand-edited), fields (rebuilt from the template) or snapshot."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class SavedView(SQLModel, table=True):
    """A staff member's named queue filter (the query string of /cases)."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner", "name", name="uq_saved_view_owner_name"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(max_length=64, index=True)
    name: str = Field(max_length=80)
    query: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CaseTask(SQLModel, table=True):
    """One piece of work in one system for one right of a case (issue 17): "Zoek gegevens in
    CRM", "Wis in nieuwsbriefdienst". Opened with the case; done or not applicable, with a note."""

    __tablename__ = "case_task"
    __table_args__ = (UniqueConstraint("case_id", "system_id", "right", name="uq_case_task"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    system_id: str = Field(max_length=40)
    right: str = Field(max_length=32)
    title: str
    status: TaskStatus = Field(default=TaskStatus.OPEN, sa_column=enum_column(TaskStatus, index=True))
    assignee: str | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    """Why the last connector run failed (the task stays open)."""
    erasure_counts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    """What the last erasure run did in the system: rows per statement, skipped statements."""
    override_reason: str | None = Field(default=None, sa_column=Column(Text))
    """An approver let the answer go out while this task was open, and why (audited)."""
    override_by: str | None = None
    override_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_by: str | None = None
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class CaseExtract(SQLModel, table=True):
    """The rows one named query of an ``sql`` system returned for a case's requester:
    the material of the access package. Deleted with the case data."""

    __tablename__ = "case_extract"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    system_id: str = Field(max_length=40)
    query_name: str = Field(max_length=60)
    category: str
    columns: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rows: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    row_count: int = 0
    truncated: bool = False
    """The query returned more than the row limit: staff must look in the system itself."""
    collected_by: str
    collected_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DraftAttachment(SQLModel, table=True):
    """A file that goes out with a reply (an upload, or the access package): its name and
    sha256 are part of what the approver approves."""

    __tablename__ = "draft_attachment"
    __table_args__ = (UniqueConstraint("draft_id", "filename", name="uq_draft_attachment_name"),)

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    filename: str = Field(max_length=120)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    origin: str = "upload"
    """upload (by staff) or package (built by avgdesk from the collected data)."""
    uploaded_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class DownloadLink(SQLModel, table=True):
    """A time-limited link on avgdesk's own site to one file of a reply that is too large to
    attach (issue 17). Only the sha256 of the token is kept: the token itself is in the
    approved mail alone. Dead when expired, revoked, used ``max_downloads`` times, or when
    retention deletes the case data (the row goes with the attachment)."""

    __tablename__ = "download_link"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    draft_id: int = Field(foreign_key="draft.id", index=True)
    attachment_id: int = Field(foreign_key="draft_attachment.id", index=True)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    max_downloads: int
    downloads: int = 0
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


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


def column_values(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """Every column of ``model``'s table as ``model(**values)`` would hold it, for a Core
    ``INSERT`` without building the ORM object (issue 16: pydantic's defaults and SQLAlchemy's
    instrumentation cost more than rendering a letter). A table model does not validate, so
    the values are kept as given; a column not given gets its field's default (a factory is
    called per row), and a column without a default must be given."""
    spec = _column_spec(model)
    unknown = set(values) - set(spec)
    if unknown:
        raise TypeError(f"unknown {model.__name__} columns: {sorted(unknown)}")
    row: dict[str, Any] = {}
    for key, (default, factory) in spec.items():
        if key in values:
            row[key] = values[key]
        elif factory is not None:
            row[key] = factory()
        elif default is PydanticUndefined:
            raise TypeError(f"{model.__name__}.{key} has no default and was not given")
        else:
            row[key] = default
    return row


_COLUMN_SPECS: dict[type[SQLModel], dict[str, tuple[Any, Callable[[], Any] | None]]] = {}


def _column_spec(model: type[SQLModel]) -> dict[str, tuple[Any, Callable[[], Any] | None]]:
    """Column key → (default, default factory), in the table's column order; read once."""
    spec = _COLUMN_SPECS.get(model)
    if spec is None:
        table = model.__table__  # type: ignore[attr-defined]
        fields = model.model_fields
        spec = {
            c.key: (fields[c.key].default, fields[c.key].default_factory)  # type: ignore[misc]
            for c in table.columns
        }
        _COLUMN_SPECS[model] = spec
    return spec


_Row = TypeVar("_Row", bound=SQLModel)


def as_loaded(model: type[_Row], row: dict[str, Any]) -> _Row:
    """The object SQLAlchemy makes when it reads ``row`` of ``model``'s table (no ``__init__``,
    no pydantic defaults: the class's ``__new__`` and the row's values, issue 16). Still
    transient: :func:`sqlalchemy.orm.make_transient_to_detached` and ``session.add`` make it
    the persistent object of a row that is (or will be) inserted without the ORM."""
    obj = manager_of_class(model).new_instance()
    instance_state(obj).dict.update(row)
    return obj
