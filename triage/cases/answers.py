"""Answer tracking: which rights (and the complaint) of a case have a sent substantive answer,
when a case counts as answered in time, and when it owes an answer again.

Split from :mod:`avgdesk.triage.cases.lifecycle` (which calls it after each outbox pass and on
reopening or relabelling): these functions work inside the caller's session and never commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, Draft, DraftState
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import OPEN_STATES, RIGHTS
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import audit
from avgdesk.triage.settings import Settings

REFUSAL_KINDS = frozenset({DraftKind.REFUSAL.value})
"""A (partial) refusal: its fields do not name the right it refuses, so it answers one right
only, the single right left without its own letter (:func:`_owed`): access sent and a
refusal answer access + erasure; a refusal alone does not (staff send the other right's
letter or close with an audited reason)."""
ANSWER_KINDS: dict[str, frozenset[str]] = {
    **{right: frozenset({right}) | REFUSAL_KINDS for right in RIGHTS},
    # Issue 13: an Art. 21(1) decision answers an objection; "no data" answers access.
    "objection": frozenset({"objection", "objection_answer"}) | REFUSAL_KINDS,
    "access": frozenset({"access", "no_data"}) | REFUSAL_KINDS,
    "complaint": frozenset({DraftKind.COMPLAINT.value}),
}
"""Which sent letter answers which right (or the complaint) in substance."""
ANSWER_LETTER_KINDS: frozenset[str] = frozenset().union(*ANSWER_KINDS.values())
"""Every letter kind that answers something in substance."""


def mark_answered(session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Record ``answers_sent_at`` on every open case whose rights and complaint all have a
    sent substantive answer (:func:`unanswered`), after its last reopening: its deadline is
    met and it only waits to be closed. Only cases with an answer letter sent since their
    last check (``answers_checked_at``) are read, in chunks of :data:`CHUNK` ids: a crash
    between the send and this step leaves the letter newer than the check, so a later pass
    repairs it. Idempotent. Returns the references marked."""
    now = now or utcnow()
    ids = list(session.exec(_unchecked_answers()))
    marked: list[str] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        sent: dict[int, list[tuple[int, str, datetime]]] = {}
        for draft_id, case_id, kind, at in session.exec(
            select(Draft.id, Draft.case_id, Draft.kind, Draft.updated_at)
            .join(Case, col(Case.id) == col(Draft.case_id))
            .where(col(Draft.case_id).in_(chunk), _counts_as_sent())
        ):
            sent.setdefault(case_id, []).append((draft_id or 0, kind, at))
        cases = session.exec(select(Case).where(col(Case.id).in_(chunk)).order_by(col(Case.id)))
        for case in cases:
            if _mark_one(session, case, sent.get(case.id or 0, []), settings, now):
                marked.append(case.reference)
    return marked


CHUNK = 1000
"""Case ids per IN-list of :func:`mark_answered`."""
SETTLE = timedelta(minutes=10)
"""A case still owing is checked again until its last letter is this old: a letter stamped
before the check but committed after it (another worker's outbox) is not missed."""


def _unchecked_answers() -> Any:
    """Open cases owing an answer with an answer letter sent after their last check."""
    checked = col(Case.answers_checked_at)
    return (
        select(col(Case.id))
        .where(
            col(Case.state).in_(list(OPEN_STATES)),
            col(Case.answers_sent_at).is_(None),
            exists()
            .where(
                col(Draft.case_id) == col(Case.id),
                col(Draft.kind).in_(list(ANSWER_LETTER_KINDS)),
                _counts_as_sent(),
                or_(checked.is_(None), col(Draft.updated_at) > checked),
            )
            .correlate(Case),
        )
        .order_by(col(Case.id))
    )


def _mark_one(
    session: Session, case: Case, letters: list[tuple[int, str, datetime]], settings: Settings, now: datetime
) -> bool:
    """Mark ``case`` answered if nothing is owed; else remember how far it was checked."""
    if _owed(case, {kind for _, kind, _ in letters}):
        last = max((at for _, _, at in letters), default=now)
        case.answers_checked_at = min(last, now - SETTLE)  # bookkeeping: not a change of the case
        return False
    answers = [(at, draft_id) for draft_id, kind, at in letters if kind in ANSWER_LETTER_KINDS]
    case.answers_sent_at = max(at for at, _ in answers)
    case.answered_on = case.answers_sent_at.astimezone(settings.tz).date()
    case.answers_checked_at = case.answers_sent_at
    _touch(case)
    audit.record(
        session,
        actor="system:outbox",
        action="case.answers_sent",
        case_id=case.id,
        answered=list(case.rights) + (["complaint"] if case.is_complaint else []),
        answered_on=_iso(case.answered_on),
        due=_iso(case.due_date),
        late=answered_late(case),
        at=case.answers_sent_at.isoformat(),
        draft_ids=sorted(draft_id for _, draft_id in answers),
    )
    return True


def _counts_as_sent() -> ColumnElement[bool]:
    """A sent letter that counts as an answer: after the case's last reopening, if any (a case
    reopened because access was missing is not answered by its old letters)."""
    return and_(
        col(Draft.state) == DraftState.SENT,
        or_(col(Case.reopened_at).is_(None), col(Draft.updated_at) > col(Case.reopened_at)),
    )


def _owed(case: Case, sent_kinds: set[str]) -> list[str]:
    owed = list(case.rights) + (["complaint"] if case.is_complaint else [])
    own = sent_kinds - REFUSAL_KINDS
    left = [item for item in owed if not (ANSWER_KINDS.get(item, frozenset()) & own)]
    rights_left = [item for item in left if item in RIGHTS]
    if sent_kinds & REFUSAL_KINDS and len(rights_left) == 1:  # which right it refused is not recorded
        left.remove(rights_left[0])
    return left


def answered_late(case: Case) -> bool:
    """Every answer was sent, but (local day) after the due date: Art. 12(3) was breached.
    Off the action lists (nothing is left to do but close it), never "termijn gehaald"."""
    return case.answered_on is not None and case.due_date is not None and case.answered_on > case.due_date


def answers_owed_again(session: Session, case: Case, *, by: str, reason: str) -> None:
    """The case owes an answer again (reopened, or a new right): it counts as late or at
    risk again, audited. Nothing happens when it was not marked answered."""
    if case.answers_sent_at is None:
        return
    case.answers_sent_at = None
    case.answered_on = None
    case.answers_checked_at = None  # the next pass looks at its letters again
    _touch(case)
    audit.record(session, actor=by, action="case.answers_owed", case_id=case.id, reason=reason)


def unanswered(session: Session, case: Case) -> list[str]:
    """The rights (and ``complaint``) of ``case`` without a sent substantive answer (after its
    last reopening, as :func:`mark_answered`)."""
    sent = set(
        session.exec(
            select(Draft.kind)
            .join(Case, col(Case.id) == col(Draft.case_id))
            .where(Draft.case_id == case.id, _counts_as_sent())
        )
    )
    return _owed(case, sent)


def _touch(case: Case) -> None:
    case.updated_at = utcnow()


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
