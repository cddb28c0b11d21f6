"""Reading cases: the queue (search, filters, sort), one case in detail, its Dutch
timeline, and ONE backlog snapshot that the dashboard and the weekly summary share.

Nothing here writes. Counting happens in SQL (``GROUP BY``/``CASE``), so the dashboard
costs a handful of queries however many cases there are. Search terms are personal data:
they are never logged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Text, and_, case, cast, column, func, or_, table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from avgdesk.models.tables import (
    AuditEvent,
    Case,
    CaseNote,
    CasePause,
    CaseRight,
    CaseState,
    Draft,
    DraftState,
    InboundMessage,
)
from avgdesk.models.vocabulary import OPEN_STATES, RIGHTS
from avgdesk.triage.cases import deadlines, legal
from avgdesk.triage.cases.answers import unanswered
from avgdesk.triage.cases.lifecycle import (
    CLOSING_LETTER_KINDS,
    case_risk,
    deadline_of,
    extension_pending,
    pauses_of,
)
from avgdesk.triage.settings import Settings

SORT_KEYS = ("due", "reference", "received", "requester", "state", "assignee")
"""Columns the queue can be sorted by (``due`` is the default)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with the total the filter matches (counted in SQL)."""

    items: list[T]
    total: int
    number: int
    """1-based; a number past the end shows the last page."""
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_row(self) -> int:
        return (self.number - 1) * self.size + len(self.items)


def _page_number(number: int, total: int, size: int) -> int:
    return min(max(1, number), max(1, -(-total // size)))


@dataclass
class CaseDetail:
    case: Case
    rights: list[CaseRight]
    messages: list[InboundMessage]
    drafts: list[Draft]
    pauses: list[CasePause]
    audit: list[AuditEvent]
    deadline: deadlines.Deadline | None
    risk: deadlines.Risk | None
    suggested: Case | None
    duplicate_of: Case | None
    notes: list[CaseNote] = field(default_factory=list)
    extension_pending: bool = False
    pause_requested: bool = False
    """An identity/clarification request awaits sending: "pauze aangevraagd" (issue 13)."""
    marketing_objection: bool = False
    breach: legal.BreachClock | None = None
    """A possible data breach: the 72-hour clock of Art. 33 from arrival (issue 13)."""
    breach_decision_id: int | None = None
    """The decision on a possible breach that stands (an approver may correct it)."""
    unanswered: list[str] = field(default_factory=list)
    """The rights (and ``complaint``) without a sent substantive answer."""


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows; every field is optional."""

    states: Sequence[CaseState] | None = None
    open_only: bool = False
    right: str | None = None
    due_before: date | None = None
    query: str | None = None
    """A name, e-mail address, reference (or a fragment such as ``0004``) or subject."""
    assignee: str | None = None
    awaiting_approval: bool = False
    answered_open: bool = False
    """Only open cases whose answers were all sent ("beantwoord, nog sluiten")."""
    sort: str = "due"
    descending: bool = False


# --- shared definitions ------------------------------------------------------------------------
def open_clause() -> ColumnElement[bool]:
    return col(Case.state).in_(list(OPEN_STATES))


def owes_answer_clause() -> ColumnElement[bool]:
    """Still owes a substantive answer (``answers_sent_at`` unset): only such a case can be
    late or at risk. The one definition for dashboard, queue, summary and reminders."""
    return col(Case.answers_sent_at).is_(None)


def answered_open_clause() -> ColumnElement[bool]:
    """Open, every answer sent: "beantwoord, nog sluiten" (the deadline is met)."""
    return and_(open_clause(), col(Case.answers_sent_at).is_not(None))


def answered_late_clause() -> ColumnElement[bool]:
    """Every answer sent, but (local day, ``answered_on``) after the due date."""
    return and_(col(Case.answers_sent_at).is_not(None), col(Case.answered_on) > col(Case.due_date))


def draft_may_go_clause() -> ColumnElement[bool]:
    """A letter that can still be approved: its case is open, or it announces the closing
    (``lifecycle.check_letter_may_go``). Needs ``Case`` joined."""
    return or_(open_clause(), col(Draft.kind).in_(list(CLOSING_LETTER_KINDS)))


def awaiting_approval_clause() -> ColumnElement[bool]:
    """Open and waiting for an approver: state ``awaiting_approval`` or at least one draft
    written and not yet approved. The one definition for queue, dashboard and summary."""
    # An uncorrelated IN: computed once, where a correlated EXISTS made SQLite walk the
    # state index of draft once per case (quadratic; issue 16).
    has_draft = col(Case.id).in_(select(col(Draft.case_id)).where(col(Draft.state) == DraftState.DRAFT))
    return and_(open_clause(), or_(col(Case.state) == CaseState.AWAITING_APPROVAL, has_draft))


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def right_clause(right: str) -> ColumnElement[bool]:
    """Cases that name ``right`` (``complaint``: complaints). ``case.rights`` is a JSON list
    of fixed label names, so the quoted name in its text is the element, on both databases."""
    if right == "complaint":
        return col(Case.is_complaint).is_(True)
    return cast(col(Case.rights), Text).like(_like(json.dumps(right)), escape="\\")


SEARCH_INDEX_MIN = 3
"""The trigram index answers terms of three characters or more; shorter ones are scanned."""
_CASE_INDEX = table("case_search", column("rowid"), column("case_search"))
_MESSAGE_INDEX = table("message_search", column("rowid"), column("message_search"))


def search_clause(query: str, *, indexed: bool = False) -> ColumnElement[bool]:
    """Reference (whole or a fragment), requester name or address, or a message subject.

    ``indexed``: SQLite's FTS5 trigram tables of migration 0011 exist. They give the
    candidates and the same LIKE as without them checks each one, so the index changes how
    fast, never what is found. (PostgreSQL's pg_trgm index serves the subject ILIKE as it is.)"""
    term = query.strip()
    pattern = _like(term)
    on_case = or_(
        col(Case.reference).ilike(pattern, escape="\\"),
        col(Case.requester_name).ilike(pattern, escape="\\"),
        col(Case.requester_email).ilike(pattern, escape="\\"),
    )
    on_subject = col(InboundMessage.subject).ilike(pattern, escape="\\")
    if not indexed or len(term) < SEARCH_INDEX_MIN:
        # One pass over the subjects (uncorrelated IN), not one lookup per case.
        subject = col(Case.id).in_(select(col(InboundMessage.case_id)).where(on_subject))
        return or_(on_case, subject)
    # A quoted FTS5 string is a phrase: with trigrams, the term as a substring, any case.
    phrase = '"' + term.replace('"', '""') + '"'
    case_hits = sa_select(_CASE_INDEX.c.rowid).where(_CASE_INDEX.c.case_search.op("MATCH")(phrase))
    message_hits = sa_select(_MESSAGE_INDEX.c.rowid).where(
        _MESSAGE_INDEX.c.message_search.op("MATCH")(phrase)
    )
    subject = col(Case.id).in_(
        select(col(InboundMessage.case_id)).where(col(InboundMessage.id).in_(message_hits), on_subject)
    )
    return or_(and_(col(Case.id).in_(case_hits), on_case), subject)


def search_indexed(session: Session) -> bool:
    """Whether this database has the FTS5 search tables (SQLite with FTS5 and trigrams)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    found = session.execute(
        sa_select(func.count())
        .select_from(table("sqlite_master", column("name"), column("type")))
        .where(column("type") == "table", column("name") == _CASE_INDEX.name)
    ).scalar_one()
    return bool(found)


# --- the queue -----------------------------------------------------------------------------
def list_cases(
    session: Session,
    *,
    states: Sequence[CaseState] | None = None,
    right: str | None = None,
    due_before: date | None = None,
    query: str | None = None,
    open_only: bool = False,
) -> list[Case]:
    """Cases sorted by the date that applies now (no date last), then by receipt."""
    return find_cases(
        session,
        QueueFilter(states=states, right=right, due_before=due_before, query=query, open_only=open_only),
    )


def _queue_where(f: QueueFilter, session: Session) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.states:
        where.append(col(Case.state).in_(list(f.states)))
    if f.open_only:
        where.append(open_clause())
    if f.due_before is not None:  # a deadline filter: an answered case is not late any more
        where += [col(Case.due_date) <= f.due_before, owes_answer_clause()]
    if f.answered_open:
        where.append(answered_open_clause())
    if f.query and f.query.strip():
        where.append(search_clause(f.query, indexed=search_indexed(session)))
    if f.assignee:
        where.append(col(Case.assignee) == f.assignee)
    if f.awaiting_approval:
        where.append(awaiting_approval_clause())
    if f.right:
        where.append(right_clause(f.right))
    return where


def find_cases(session: Session, f: QueueFilter) -> list[Case]:
    """Every case the filter matches, in queue order (the CLI; the web pages use queue_page)."""
    return list(
        session.exec(select(Case).where(*_queue_where(f, session)).order_by(*_order(f.sort, f.descending)))
    )


def queue_page(session: Session, f: QueueFilter, *, number: int, size: int) -> Page[Case]:
    """Page ``number`` (1-based) of the queue: filtered, sorted and cut in SQL."""
    where = _queue_where(f, session)
    if f.query or f.right:
        return _searched_page(session, f, where, number=number, size=size)
    # An index counts these filters: a count and a page cost less than a window over all rows.
    total = _count(session, select(func.count()).select_from(Case).where(*where))
    number = _page_number(number, total, size)
    stmt = select(Case).where(*where).order_by(*_order(f.sort, f.descending))
    items = list(session.exec(stmt.offset((number - 1) * size).limit(size)))
    return Page(items, total, number, size)


def _searched_page(
    session: Session, f: QueueFilter, where: list[ColumnElement[bool]], *, number: int, size: int
) -> Page[Case]:
    """A search or a right is checked row by row: the page's ids come with the total
    (``count(*) OVER ()``), so it is checked once, not for the count and again for the page,
    and the sort carries keys and ids, not whole rows (at 20k cases: -30 % CPU, issue 16)."""
    stmt = select(col(Case.id), func.count().over()).where(*where).order_by(*_order(f.sort, f.descending))
    number = max(1, number)
    rows = list(session.exec(stmt.offset((number - 1) * size).limit(size)))
    if not rows:
        # Nothing on this page: nothing matches, or the page is past the end (show the last).
        total = _count(session, select(func.count()).select_from(Case).where(*where))
        if total == 0:
            return Page([], 0, 1, size)
        number = _page_number(number, total, size)
        rows = list(session.exec(stmt.offset((number - 1) * size).limit(size)))
    by_id = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_([i for i, _ in rows])))}
    return Page([by_id[i] for i, _ in rows if i in by_id], int(rows[0][1]) if rows else 0, number, size)


def due_cases(session: Session, *, due_by: date, limit: int) -> list[Case]:
    """The first ``limit`` open cases due on or before ``due_by``, in queue order (due date,
    receipt, reference): one short walk of ix_case_state_due per open state, merged here,
    instead of sorting every overdue case to show ten (issue 16: the dashboard's list)."""
    order = (col(Case.due_date), col(Case.received_at), col(Case.reference))
    found: list[Case] = []
    for state in sorted(OPEN_STATES):
        stmt = select(Case).where(
            col(Case.state) == state, col(Case.due_date) <= due_by, owes_answer_clause()
        )
        found += session.exec(stmt.order_by(*order).limit(limit))
    found.sort(key=lambda c: (c.due_date, c.received_at, c.reference))
    return found[:limit]


def draft_page(
    session: Session, state: DraftState | None, *, number: int, size: int
) -> Page[tuple[Draft, Case]]:
    """Page ``number`` of the drafts (newest first), each with its case, cut in SQL."""
    where = [col(Draft.state) == state] if state is not None else []
    total = _count(session, select(func.count()).select_from(Draft).where(*where))
    number = _page_number(number, total, size)
    rows = session.exec(
        select(Draft, Case)
        .join(Case, col(Case.id) == col(Draft.case_id))
        .where(*where)
        .order_by(col(Draft.created_at).desc(), col(Draft.id).desc())
        .offset((number - 1) * size)
        .limit(size)
    )
    return Page([(d, c) for d, c in rows], total, number, size)


ACKNOWLEDGEMENT = "acknowledgement"
"""``DraftKind.ACKNOWLEDGEMENT`` (the kind the worker drafts on its own)."""


def pending_acknowledgements(session: Session, *, limit: int) -> Page[tuple[Draft, Case]]:
    """The oldest ``limit`` acknowledgements waiting for approval (bulk approval), with
    how many wait in all."""
    where = (col(Draft.state) == DraftState.DRAFT, col(Draft.kind) == ACKNOWLEDGEMENT)
    total = _count(session, select(func.count()).select_from(Draft).where(*where))
    rows = session.exec(
        select(Draft, Case)
        .join(Case, col(Case.id) == col(Draft.case_id))
        .where(*where)
        .order_by(col(Draft.created_at), col(Draft.id))
        .limit(limit)
    )
    return Page([(d, c) for d, c in rows], total, 1, limit)


def cases_in_doubt(session: Session, case_ids: Sequence[int]) -> set[int]:
    """Which of ``case_ids`` hold a message whose labels a person should check (the case
    page's "Labels controleren"): the bulk approval marks them, since an acknowledgement
    names the rights the labels found (one query for the page)."""
    if not case_ids:
        return set()
    rows = session.exec(
        select(InboundMessage.case_id)
        .where(col(InboundMessage.case_id).in_(list(case_ids)), col(InboundMessage.needs_review))
        .distinct()
    )
    return {int(c) for c in rows if c is not None}


def _order(sort: str, descending: bool) -> list[Any]:
    columns: dict[str, Any] = {
        "reference": col(Case.reference),
        "received": col(Case.received_at),
        "requester": func.lower(func.coalesce(col(Case.requester_name), col(Case.requester_email), "")),
        "state": col(Case.state),
        "assignee": func.coalesce(col(Case.assignee), ""),
    }
    if sort in columns:
        key = columns[sort].desc() if descending else columns[sort].asc()
        return [key, col(Case.reference).asc()]
    # Due date, no date last, then receipt; descending puts the latest due first.
    due = col(Case.due_date).desc() if descending else col(Case.due_date).asc()
    return [col(Case.due_date).is_(None), due, col(Case.received_at).asc(), col(Case.reference).asc()]


def message_ids_by_case(session: Session, case_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not case_ids:
        return out
    for case_id, mid in session.exec(
        select(InboundMessage.case_id, InboundMessage.message_id)
        .where(col(InboundMessage.case_id).in_(list(case_ids)))
        .order_by(col(InboundMessage.received_at))
    ):
        if case_id is not None:
            out.setdefault(case_id, []).append(mid)
    return out


# --- one case ------------------------------------------------------------------------------
def case_detail(session: Session, case: Case, settings: Settings, now: datetime | None = None) -> CaseDetail:
    rights = list(
        session.exec(select(CaseRight).where(CaseRight.case_id == case.id).order_by(col(CaseRight.id)))
    )
    messages = list(
        session.exec(
            select(InboundMessage)
            .where(InboundMessage.case_id == case.id)
            .order_by(col(InboundMessage.received_at))
        )
    )
    drafts = list(session.exec(select(Draft).where(Draft.case_id == case.id).order_by(col(Draft.id))))
    events = list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.case_id == case.id)
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        )
    )
    notes = list(
        session.exec(select(CaseNote).where(CaseNote.case_id == case.id).order_by(col(CaseNote.created_at)))
    )
    return CaseDetail(
        case=case,
        rights=rights,
        messages=messages,
        drafts=drafts,
        pauses=pauses_of(session, case),
        audit=events,
        # While the extension notice is unsent the original deadline binds: show that one.
        deadline=deadline_of(session, case, settings, now, with_extension=not extension_pending(case)),
        risk=case_risk(case, settings, now),
        suggested=session.get(Case, case.suggested_case_id) if case.suggested_case_id else None,
        duplicate_of=session.get(Case, case.duplicate_of_case_id) if case.duplicate_of_case_id else None,
        notes=notes,
        extension_pending=extension_pending(case),
        pause_requested=legal.pending_pause_request(session, case) is not None,
        marketing_objection=any(e.action == legal.MARKETING_FLAG for e in events),
        breach=legal.breach_clock(session, case),
        breach_decision_id=max((e.id or 0 for e in events if e.action == legal.BREACH_DECIDED), default=None),
        unanswered=unanswered(session, case),
    )


def case_json(detail: CaseDetail, settings: Settings) -> dict[str, Any]:
    """The JSON shape of ``cases list/show --json`` (DESIGN.md fields first)."""
    c = detail.case
    data: dict[str, Any] = case_summary_json(c, [m.message_id for m in detail.messages], settings)
    data.update(
        {
            "rights_status": {
                r.right: {"status": r.status.value, "reasons": r.reasons} for r in detail.rights
            },
            "deadline": detail.deadline.to_dict() if detail.deadline else None,
            "pauses": [
                {
                    "reason": p.reason.value,
                    "requested_at": p.requested_at.isoformat(),
                    "resumed_at": p.resumed_at.isoformat() if p.resumed_at else None,
                }
                for p in detail.pauses
            ],
            "drafts": [{"id": d.id, "kind": d.kind, "state": d.state.value} for d in detail.drafts],
            "notes": [
                {"at": n.created_at.isoformat(), "author": n.author, "text": n.text} for n in detail.notes
            ],
            "audit": [
                {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "detail": e.detail}
                for e in detail.audit
            ],
            "suggested_link": detail.suggested.reference if detail.suggested else None,
            "duplicate_of": detail.duplicate_of.reference if detail.duplicate_of else None,
            "pause_requested": detail.pause_requested,
            "marketing_objection": detail.marketing_objection,
            "possible_breach": None
            if detail.breach is None
            else {"since": detail.breach.since.isoformat(), "notify_by": detail.breach.notify_by.isoformat()},
        }
    )
    return data


def case_summary_json(case: Case, message_ids: list[str], settings: Settings) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "state": case.state.value,
        "rights": list(case.rights) + (["complaint"] if case.is_complaint else []),
        "requester": case.requester_email,
        "requester_name": case.requester_name,
        "received_at": case.received_at.isoformat(),
        "legal_deadline": case.legal_deadline.isoformat() if case.legal_deadline else None,
        "internal_target": case.internal_target.isoformat() if case.internal_target else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "extended_deadline": case.extended_deadline.isoformat() if case.extended_deadline else None,
        "extension_pending": extension_pending(case),
        "assignee": case.assignee,
        "language": case.language,
        "risk": risk.level.value if (risk := case_risk(case, settings)) is not None else None,
        "message_ids": message_ids,
    }


# --- the backlog snapshot ----------------------------------------------------------------------
@dataclass(frozen=True)
class BacklogSnapshot:
    """The open backlog as of ``today`` (local date), counted in SQL.

    Definitions (also those of the weekly summary): *open* is :data:`OPEN_STATES`;
    *overdue* is due before today (a case due today is not late yet); *due within N days*
    is ``today <= due <= today + N``; both (and every due bucket) count only cases that still
    owe an answer (:func:`owes_answer_clause`); the others are *answered_open* ("beantwoord,
    nog sluiten"), of which *answered_late* after the due date (:func:`answered_late_clause`);
    *awaiting approval* is :func:`awaiting_approval_clause`; *drafts awaiting*
    are letters that can still be approved (:func:`draft_may_go_clause`);
    *waiting on the customer* has a pause that was not resumed. By right, a case with
    several rights counts under each, a complaint as ``complaint``, neither as ``other``.
    """

    today: date
    open_total: int
    by_state: dict[CaseState, int]
    by_right: dict[str, int]
    overdue: int
    due_today: int
    due_within_7: int
    """Due after today, within seven days."""
    due_8_to_14: int
    due_later: int
    no_due_date: int
    answered_open: int
    """Open, every answer sent: staff only close it (late ones included)."""
    answered_late: int
    """Of those, answered after the due date ("te laat beantwoord"): Art. 12(3) was breached."""
    awaiting_approval: int
    drafts_awaiting: int
    drafts_failed: int
    waiting_on_customer: int
    extension_pending: int

    @property
    def due_soon(self) -> int:
        """Due today or within seven days (the summary's "binnen 7 dagen")."""
        return self.due_today + self.due_within_7


_DUE_KEYS = ("overdue", "due_today", "due_within_7", "due_8_to_14", "due_later", "no_due_date")
_SUMMED = (*_DUE_KEYS, "answered_open", "answered_late", "extension_pending", "awaiting_approval")


def backlog_snapshot(session: Session, *, today: date) -> BacklogSnapshot:
    sums = dict.fromkeys(_SUMMED, 0)
    by_state: dict[CaseState, int] = {}
    by_right = dict.fromkeys([*RIGHTS, "complaint", "other"], 0)
    for state, rights_text, complaint, n, *row in session.execute(_open_groups(today)):
        n = int(n)
        by_state[CaseState(state)] = by_state.get(CaseState(state), 0) + n
        for key, value in zip(_SUMMED, row, strict=True):
            sums[key] += int(value)
        _add_rights(by_right, rights_text, bool(complaint), n)
    return BacklogSnapshot(
        today=today,
        open_total=sum(by_state.values()),
        by_state=by_state,
        by_right={key: n for key, n in by_right.items() if n},
        **sums,
        drafts_awaiting=_count(
            session,
            select(func.count())
            .select_from(Draft)
            .join(Case, col(Case.id) == col(Draft.case_id))
            .where(Draft.state == DraftState.DRAFT, draft_may_go_clause()),
        ),
        drafts_failed=_count(
            session, select(func.count()).select_from(Draft).where(Draft.state == DraftState.FAILED)
        ),
        waiting_on_customer=_count(
            session,
            select(func.count(func.distinct(CasePause.case_id)))
            .join(Case, col(Case.id) == col(CasePause.case_id))
            .where(col(CasePause.resumed_at).is_(None), open_clause()),
        ),
    )


def _open_groups(today: date) -> Any:
    """ONE pass over the open cases (issue 16: three passes and a fourth for "awaiting
    approval" cost 60-90 ms at 20k cases, mostly reading the rows): counts per state and
    combination of rights (a few dozen groups however many cases), each with its due
    buckets, pending extension notices and awaiting approval, summed up by the caller."""
    week, fortnight = today + timedelta(days=7), today + timedelta(days=14)
    due = col(Case.due_date)
    owed = owes_answer_clause()

    def bucket(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    def owed_bucket(cond: ColumnElement[bool]) -> Any:
        return bucket(and_(owed, cond))

    rights_text = cast(col(Case.rights), Text)
    groups = (col(Case.state), rights_text, col(Case.is_complaint))
    return (
        sa_select(
            *groups,
            func.count(),
            owed_bucket(due < today),
            owed_bucket(due == today),
            owed_bucket(and_(due > today, due <= week)),
            owed_bucket(and_(due > week, due <= fortnight)),
            owed_bucket(due > fortnight),
            owed_bucket(due.is_(None)),
            bucket(col(Case.answers_sent_at).is_not(None)),
            bucket(answered_late_clause()),
            bucket(and_(col(Case.extended_at).is_not(None), col(Case.extension_notice_sent_at).is_(None))),
            bucket(awaiting_approval_clause()),
        )
        .where(open_clause())
        .group_by(*groups)
    )


def _count(session: Session, stmt: Any) -> int:
    return int(session.exec(stmt).one())


def _add_rights(counts: dict[str, int], rights_text: str | None, complaint: bool, n: int) -> None:
    """Count ``n`` open cases with this JSON list of rights under each right it names, as a
    complaint, or as ``other`` (neither) — :func:`right_clause`'s definition: a name in the list."""
    named = set(json.loads(rights_text or "[]") or []) & set(RIGHTS)
    for right in named:
        counts[right] += n
    if complaint:
        counts["complaint"] += n
    elif not named:
        counts["other"] += n


def awaiting_approval_cases(session: Session) -> list[tuple[Case, int]]:
    """The cases of :func:`awaiting_approval_clause` with their number of unapproved drafts."""
    drafts = (
        select(func.count())
        .select_from(Draft)
        .where(col(Draft.case_id) == col(Case.id), col(Draft.state) == DraftState.DRAFT)
        .scalar_subquery()
    )
    rows = session.exec(select(Case, drafts).where(awaiting_approval_clause()).order_by(col(Case.reference)))
    return [(c, int(n)) for c, n in rows]
