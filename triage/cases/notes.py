"""Internal notes on a case: for staff only. They never reach a letter (the reply
templates get their data from :func:`avgdesk.replies.drafting.reply_context`, which has no
notes), and the audit event records that a note was added, not what it says."""

from __future__ import annotations

from sqlmodel import Session, col, select

from avgdesk.models.errors import EmptyNote, NoteTooLong
from avgdesk.models.tables import Case, CaseNote
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import audit

MAX_NOTE_CHARS = 5000
"""Longest note, in characters (a note is a remark, not a document store)."""


def add_note(session: Session, case: Case, text: str, *, by: str) -> CaseNote:
    clean = text.replace("\r\n", "\n").strip()
    if not clean:
        raise EmptyNote("a note needs text")
    if len(clean) > MAX_NOTE_CHARS:
        raise NoteTooLong(
            f"a note has at most {MAX_NOTE_CHARS} characters",
            f"Een notitie heeft ten hoogste {MAX_NOTE_CHARS} tekens.",
        )
    note = CaseNote(case_id=case.id, author=by, text=clean, created_at=utcnow())  # type: ignore[arg-type]
    session.add(note)
    session.flush()
    case.updated_at = utcnow()
    audit.record(session, actor=by, action="case.note_added", case_id=case.id, note_id=note.id)
    return note


def notes_of(session: Session, case: Case) -> list[CaseNote]:
    return list(
        session.exec(select(CaseNote).where(CaseNote.case_id == case.id).order_by(col(CaseNote.created_at)))
    )
