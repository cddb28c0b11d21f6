"""Case lifecycle: the rules of what staff (and the worker) do to a case, each step audited.

These functions work inside the caller's session and never commit: a use case in
:mod:`avgdesk.triage.cases.actions` opens the unit of work, calls one of them and commits.
The worker's processing calls some of them inside its own batch transaction. Each refusal
is its own :class:`~avgdesk.models.errors.RuleViolation` subclass, with a Dutch message for
staff and an English one for the log.

Deadlines are recomputed from the facts stored on the case (receipt, extension, pauses)
by :mod:`avgdesk.triage.cases.deadlines`, so the explanation always matches the date
shown. ``Case.due_date`` is the date that applies now: the pause-adjusted legal deadline,
the extended one once the extension notice has been *sent* (until then the customer
has not been told, so the original deadline still binds), or the internal target of a
complaint without a right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from avgdesk.models import vocabulary
from avgdesk.models.errors import (
    AlreadyExtended,
    AlreadyPaused,
    AnswerNotSent,
    CaseNotClosed,
    CaseNotFound,
    CaseNotOpen,
    ExtensionNotAllowed,
    InvalidLabels,
    InvalidOperation,
    NoStatutoryDeadline,
    NotPaused,
    ReasonRequired,
    UnfoundedNeedsStaff,
    UnknownChoice,
    UnknownUser,
)
from avgdesk.models.tables import (
    AuditEvent,
    Case,
    CasePause,
    CaseRight,
    CaseState,
    Draft,
    DraftState,
    InboundMessage,
    LabelCorrection,
    PauseReason,
    RightStatus,
    User,
)
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import LABEL_NL, LETTER_KIND_NL, OPEN_STATES, RIGHTS, Role
from avgdesk.replies import letter_rules
from avgdesk.replies.drafting import DraftingContext, create_draft
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import audit, deadlines, legal, tasks
from avgdesk.triage.cases.answers import answers_owed_again, mark_answered, unanswered
from avgdesk.triage.settings import Settings

PAUSED_STATES = frozenset({CaseState.AWAITING_IDENTITY, CaseState.AWAITING_CLARIFICATION})
CLOSING_OUTCOMES = {
    "answered": CaseState.ANSWERED,
    "closed": CaseState.CLOSED,
    "withdrawn": CaseState.WITHDRAWN,
    "unfounded": CaseState.UNFOUNDED,
}
DUPLICATE_WINDOW = timedelta(days=30)
AUTOMATIC_KINDS = frozenset({DraftKind.ACKNOWLEDGEMENT.value})
"""Letters the worker drafts on its own: approving one does not start the handling."""
OUTCOME_ROLES: dict[str, Role] = {"unfounded": Role.APPROVER}
"""The lowest role that may choose an outcome (others: any staff member). Declaring a request
manifestly unfounded or excessive (Art. 12(5)) is the approvers'."""
CLOSING_LETTER_KINDS = frozenset({DraftKind.ABANDONED.value})
"""Letters that tell the requester the case was closed: closing keeps them, and they may
still be approved on a closed case. Every other letter not yet approved is withdrawn."""
CASE_CLOSED_REASON = "case_closed"
"""``reason`` of the ``draft.discarded`` event of a letter withdrawn because its case closed."""
CASE_REOPENED_REASON = "case_reopened"
"""... and of a closing letter withdrawn because its case was reopened."""


# --- reading -------------------------------------------------------------------------------
def find_case(session: Session, reference: str) -> Case:
    ref = reference.strip().upper()
    case = session.exec(select(Case).where(Case.reference == ref)).first()
    if case is None:
        raise CaseNotFound(f"no case with reference {reference!r}", f"Zaak {ref} bestaat niet.")
    return case


def extension_pending(case: Case) -> bool:
    """Extended by staff, but the notice has not reached the requester yet."""
    return case.extended_at is not None and case.extension_notice_sent_at is None


def withdraw_extension(session: Session, case: Case, *, by: str, draft_id: int | None = None) -> bool:
    """An extension whose notice was discarded before it was sent (or after it failed) never
    bound (the original deadline still applies, :func:`refresh_due_date`): it is withdrawn,
    audited, so the case no longer shows "verlenging aangevraagd" and staff may ask for one
    again (once, inside the first month). Not while another notice of the case is still a
    draft, approved or sent. False when nothing was withdrawn."""
    if not extension_pending(case):
        return False
    others = select(Draft.id).where(
        Draft.case_id == case.id,
        Draft.kind == DraftKind.EXTENSION.value,
        col(Draft.state).in_([DraftState.DRAFT, DraftState.APPROVED, DraftState.SENT]),
    )
    if draft_id is not None:
        others = others.where(Draft.id != draft_id)
    if session.exec(others.limit(1)).first() is not None:
        return False  # another notice of it may still go (or went: the next pass binds it)
    case.extended_at = None
    case.extended_by = None
    case.extension_reason = None
    case.extended_deadline = None
    _touch(case)
    audit.record(session, actor=by, action="case.extension_withdrawn", case_id=case.id, draft_id=draft_id)
    return True


def deadline_of(
    session: Session | None,
    case: Case,
    settings: Settings,
    now: datetime | None = None,
    *,
    fresh: bool = False,
    with_extension: bool = True,
) -> deadlines.Deadline | None:
    """The case's legal deadline with extension and pauses, recomputed from stored facts."""
    if not case.rights:
        return None
    now = now or utcnow()
    result = deadlines.compute_deadline(case.received_at, tz=settings.tz, policy_days=settings.policy_days)
    if with_extension and case.extended_at is not None and case.extended_deadline is not None:
        for months in (2, 1):
            candidate = deadlines.extend(
                result, months=months, at=case.extended_at, reason=case.extension_reason or "-"
            )
            # "<=": a case extended before issue 13 stored the later reading (receipt + 3
            # months); the months are recognised and the safe, earlier date applies now.
            if (
                candidate.extended_deadline is not None
                and candidate.extended_deadline <= case.extended_deadline
            ):
                result = candidate
                break
    pauses = [] if fresh or session is None else _pauses(session, case)
    if pauses:
        result = deadlines.apply_pauses(
            result,
            [
                deadlines.Pause(
                    requested_at=p.requested_at,
                    resumed_at=p.resumed_at,
                    reason=deadlines.PauseReason(p.reason.value),
                )
                for p in pauses
            ],
            now=now,
            max_request_delay_working_days=settings.pause_request_max_working_days,
        )
    return result


def refresh_due_date(
    session: Session | None,
    case: Case,
    settings: Settings,
    now: datetime | None = None,
    *,
    fresh: bool = False,
) -> None:
    # An extension binds only once its notice was sent: until then the original date applies.
    deadline = deadline_of(
        session, case, settings, now, fresh=fresh, with_extension=not extension_pending(case)
    )
    if deadline is not None:
        case.legal_deadline = deadline.legal_deadline
        case.internal_target = deadline.internal_target
        case.due_date = deadline.due
    elif case.is_complaint:
        case.legal_deadline = None
        case.due_date = deadlines.complaint_target(
            case.received_at, tz=settings.tz, months=settings.complaint_target_months
        )
        case.internal_target = case.due_date


def case_risk(case: Case, settings: Settings, now: datetime | None = None) -> deadlines.Risk | None:
    """Overdue or at risk: only while the case is open and still owes an answer (a case whose
    answers were all sent met its deadline; it waits to be closed)."""
    if case.due_date is None or case.state not in OPEN_STATES or case.answers_sent_at is not None:
        return None
    return deadlines.risk(
        case.due_date, now=now or utcnow(), tz=settings.tz, at_risk_working_days=settings.at_risk_working_days
    )


# --- opening --------------------------------------------------------------------------------
def setup_new_case(session: Session, case: Case, settings: Settings) -> None:
    """Rights rows, duplicate flag and suggested link of a just-opened case whose
    deadlines were set before its INSERT (:func:`new_case_deadlines`, computed once).

    The worker opens thousands of cases in a drain (issue 16): the rights go in one bulk
    INSERT, and the duplicate check reads four columns, not whole cases.
    """
    rights = [{"case_id": case.id, "right": right, "status": RightStatus.OPEN} for right in case.rights]
    insert_rows(session, CaseRight.__table__, rights)  # type: ignore[attr-defined]
    insert_rows(session, tasks.TASK_TABLE, tasks.new_case_rows(case, settings))  # issue 17
    if case.requester_email:
        _flag_earlier_cases(session, case)
    recent = session.info.get(RECENT_CASES_KEY)
    if isinstance(recent, RecentCases):
        recent.add(case)


PENDING_ROWS_KEY = "avgdesk.pending_rows"
"""``session.info`` key of a processing batch's rows that go to the database together
before its commit (table → rows): the rights and tasks of the cases it opens (issue 16)."""

RECENT_CASES_KEY = "avgdesk.recent_cases"
"""``session.info`` key of a processing batch's :class:`RecentCases`."""


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """One executemany now, or with the batch's other rows of ``table`` before its commit."""
    pending = session.info.get(PENDING_ROWS_KEY)
    if not rows:
        return
    if isinstance(pending, dict):
        pending.setdefault(table, []).extend(rows)
    else:
        session.connection().execute(table.insert(), rows)


def write_pending_rows(session: Session) -> None:
    """INSERT the rows a batch kept back (before its commit, or before a lookup reads them)."""
    pending = session.info.get(PENDING_ROWS_KEY)
    if isinstance(pending, dict):
        for table, rows in pending.items():
            if rows:
                session.connection().execute(table.insert(), rows)
                rows.clear()  # the key stays: the tables' order (cases before their rights) holds


class RecentCases:
    """The cases of a processing batch's requesters within the duplicate window, read in ONE
    query when first needed, plus the cases the batch opens (issue 16: no SELECT per case).
    Only for a batch that fails as a whole (no savepoint per message): a case rolled back
    alone would otherwise stay listed here."""

    def __init__(self, session: Session, emails: set[str], earliest: datetime) -> None:
        self.session = session
        self.emails = emails
        self.since = earliest - DUPLICATE_WINDOW
        self._rows: list[tuple[int, str, list[str], CaseState, datetime, str]] | None = None

    def _load(self) -> list[tuple[int, str, list[str], CaseState, datetime, str]]:
        if self._rows is None:
            with self.session.no_autoflush:
                found = self.session.execute(
                    sa_select(
                        col(Case.id),
                        col(Case.reference),
                        col(Case.rights),
                        col(Case.state),
                        col(Case.received_at),
                        col(Case.requester_email),
                    ).where(
                        col(Case.requester_email).in_(sorted(self.emails)),
                        col(Case.received_at) >= self.since,
                    )
                ).all()
            self._rows = [(int(r[0]), r[1], list(r[2]), r[3], r[4], str(r[5])) for r in found]
        return self._rows

    def add(self, case: Case) -> None:
        if case.id is not None and case.requester_email:
            email, rights = case.requester_email, list(case.rights)
            self._load().append((case.id, case.reference, rights, case.state, case.received_at, email))

    def earlier(self, case: Case, since: datetime) -> list[tuple[int, str, list[str], CaseState]]:
        """What :func:`_flag_earlier_cases` would read: newest first."""
        rows = [r for r in self._load() if r[5] == case.requester_email and r[0] != case.id and r[4] >= since]
        rows.sort(key=lambda r: r[4], reverse=True)
        return [(r[0], r[1], r[2], r[3]) for r in rows]


def new_case_deadlines(case: Case, settings: Settings) -> None:
    """Deadlines of a case that is being opened (no pauses or extension yet, no query).

    Those dates depend only on the day of receipt in ``settings.tz`` (the time of day only
    reaches the explanation, which is not stored): a drain's cases share a few receipt days,
    so each day's dates are computed once (issue 16). :func:`refresh_due_date` is the
    reference (tests/triage/cases/test_lifecycle.py compares them day by day)."""
    if case.extended_at is not None:  # not a new case: the general rule
        refresh_due_date(None, case, settings, now=case.received_at, fresh=True)
        return
    receipt_day = case.received_at.astimezone(settings.tz).date()
    legal_deadline, internal, due = _new_case_dates(
        receipt_day,
        settings.tz,
        settings.policy_days,
        settings.complaint_target_months,
        bool(case.rights),
        case.is_complaint,
    )
    if bool(case.rights) or case.is_complaint:
        case.legal_deadline, case.internal_target, case.due_date = legal_deadline, internal, due


@lru_cache(maxsize=1024)
def _new_case_dates(
    receipt_day: date, tz: ZoneInfo, policy_days: int, complaint_months: int, rights: bool, complaint: bool
) -> tuple[date | None, date | None, date | None]:
    """legal deadline, internal target and due date of a new case received on ``receipt_day``."""
    # Noon of that day in tz: its local date is the receipt day whatever the offset.
    received = datetime.combine(receipt_day, time(12), tzinfo=tz)
    if rights:
        deadline = deadlines.compute_deadline(received, tz=tz, policy_days=policy_days)
        return deadline.legal_deadline, deadline.internal_target, deadline.due
    if complaint:
        target = deadlines.complaint_target(received, tz=tz, months=complaint_months)
        return None, target, target
    return None, None, None


def _flag_earlier_cases(session: Session, case: Case) -> None:
    """The same requester's cases of the last 30 days: a duplicate flag (same right) and a
    suggested link (still open), for staff to decide."""
    since = case.received_at - DUPLICATE_WINDOW
    recent = session.info.get(RECENT_CASES_KEY)
    recent = recent if isinstance(recent, RecentCases) else None
    earlier = recent.earlier(case, since) if recent is not None else _earlier(session, case, since)
    for other_id, reference, rights, _ in earlier:
        if set(rights) & set(case.rights):
            case.duplicate_of_case_id = other_id
            audit.record(
                session,
                actor="system:triage",
                action="case.duplicate_flagged",
                case_id=case.id,
                duplicate_of=reference,
            )
            break
    open_earlier = [(row[0], row[1]) for row in earlier if row[3] in OPEN_STATES]
    if open_earlier:
        case.suggested_case_id = open_earlier[0][0]
        audit.record(
            session,
            actor="system:triage",
            action="case.link_suggested",
            case_id=case.id,
            suggested=open_earlier[0][1],
        )


def _earlier(session: Session, case: Case, since: datetime) -> list[tuple[int, str, list[str], CaseState]]:
    # Every case of the batch before this one is in the database (inserted when opened).
    with session.no_autoflush:
        rows = session.exec(
            select(col(Case.id), col(Case.reference), col(Case.rights), col(Case.state))
            .where(
                Case.requester_email == case.requester_email,
                Case.id != case.id,
                col(Case.received_at) >= since,
            )
            .order_by(col(Case.received_at).desc())
        ).all()
    return [(int(r[0] or 0), r[1], list(r[2]), r[3]) for r in rows]


# --- staff actions --------------------------------------------------------------------------
def _require_open(case: Case) -> None:
    if case.state not in OPEN_STATES:
        raise CaseNotOpen(
            f"case {case.reference} is {case.state.value}; reopen it first",
            f"Zaak {case.reference} is gesloten; heropen haar eerst.",
        )


def _touch(case: Case) -> None:
    case.updated_at = utcnow()


def assign(session: Session, case: Case, assignee: str | None, *, by: str) -> None:
    _require_open(case)
    name = (assignee or "").strip() or None
    if name is not None:
        user = session.exec(select(User).where(User.username == name)).first()
        if user is None or not user.active:
            raise UnknownUser(f"no active user {name!r}", f"Gebruiker {name} bestaat niet of is niet actief.")
    before = case.assignee
    case.assignee = name
    _touch(case)
    audit.record(session, actor=by, action="case.assigned", case_id=case.id, before=before, after=name)


def extend(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: str,
    ground: str | None = None,
    months: int = 2,
    now: datetime | None = None,
    settings: Settings,
) -> deadlines.Deadline:
    """Extend by up to two months (Art. 12(3)); only inside the first month, with reasons:
    a ``ground`` from ``replies.i18n.EXTENSION_GROUNDS`` plus an explanation (issue 13).

    The new date binds only once the extension notice is sent (:func:`letters_sent`);
    until then the case shows "verlenging aangevraagd" with the original deadline.
    Call :func:`extend_with_notice`, which drafts the notice in the same transaction.
    """
    _check_extension(session, case, reason, settings)
    reason = letter_rules.extension_reason(ground, reason)  # fixed ground + text (EDPB §162-164)
    now = now or utcnow()
    base = deadline_of(session, case, settings, now)
    if base is None:
        raise NoStatutoryDeadline(
            f"case {case.reference} has no statutory deadline to extend (complaint only)"
        )
    try:
        extended = deadlines.extend(base, months=months, at=now, reason=reason.strip())
    except InvalidOperation as exc:
        # deadlines.py words its refusals "Dutch / English": staff read the first half.
        dutch, _, english = str(exc).partition(" / ")
        raise ExtensionNotAllowed(english or dutch, dutch) from exc
    before = case.due_date
    case.extended_at = now
    case.extended_by = by
    case.extension_reason = reason.strip()
    case.extended_deadline = extended.extended_deadline
    case.extension_notice_sent_at = None
    refresh_due_date(session, case, settings, now)
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="case.extended",
        case_id=case.id,
        before=_iso(before),
        after=_iso(case.extended_deadline),
        months=months,
        reason=reason.strip()[:500],
        ground=ground,
        notice_by=extended.extension_notice_by.isoformat(),
    )
    return extended


def _check_extension(session: Session, case: Case, reason: str, settings: Settings) -> None:
    _require_open(case)
    if not reason.strip():
        raise ReasonRequired(
            "an extension needs reasons (Art. 12(3) AVG)",
            "Een verlenging heeft een reden nodig; die komt in het bericht aan de verzoeker"
            " (art. 12 lid 3 AVG).",
        )
    if case.extended_at is not None:
        raise AlreadyExtended(
            f"case {case.reference} was already extended on {case.extended_at.date()}",
            f"Zaak {case.reference} is al verlengd op {case.extended_at.astimezone(settings.tz):%d-%m-%Y}; "
            "een termijn kan maar één keer worden verlengd.",
        )
    legal.check_extension(session, case)  # never for a direct-marketing objection (Art. 21(3))


def extend_with_notice(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: str,
    ground: str | None = None,
    months: int = 2,
    now: datetime | None = None,
    settings: Settings,
    drafting: DraftingContext,
) -> tuple[deadlines.Deadline, Draft]:
    """Extend (see :func:`extend`) and draft the extension notice that must reach the
    requester before the original deadline — one step for the CLI and the web UI."""
    extended = extend(
        session, case, by=by, reason=reason, ground=ground, months=months, now=now, settings=settings
    )
    draft = create_draft(
        session,
        case,
        DraftKind.EXTENSION,
        author=by,
        ctx=drafting,
        fields={
            "extension_ground": ground,
            "extension_reason": case.extension_reason,
            "new_deadline": case.extended_deadline,
        },
    )
    return extended, draft


def letters_sent(session: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Apply what sent letters change: an extension binds once its notice was sent.

    Idempotent and cheap (one indexed query); the worker calls it after each outbox pass,
    so a crash between the send and this step is repaired by the next pass.
    Returns the references whose due date changed.
    """
    rows = session.exec(
        select(Case, Draft)
        .join(Draft, col(Draft.case_id) == col(Case.id))
        .where(
            col(Case.extended_at).is_not(None),
            col(Case.extension_notice_sent_at).is_(None),
            Draft.kind == DraftKind.EXTENSION.value,
            Draft.state == DraftState.SENT,
        )
    )
    changed: list[str] = []
    for case, draft in rows:
        if case.extension_notice_sent_at is not None:
            continue  # two sent notices for one case: the first one counts
        before = case.due_date
        case.extension_notice_sent_at = draft.updated_at
        refresh_due_date(session, case, settings, now)
        _touch(case)
        audit.record(
            session,
            actor="system:outbox",
            action="case.extension_notified",
            case_id=case.id,
            draft_id=draft.id,
            before=_iso(before),
            after=_iso(case.due_date),
        )
        changed.append(case.reference)
    # Identity/clarification requests: the pause starts when the request was sent (issue 13).
    changed += start_requested_pauses(session, settings)
    start_handling(session)  # after the pauses: it only moves cases that are still new
    mark_answered(session, settings, now)
    return changed


def start_handling(session: Session) -> list[str]:
    """``nieuw`` → ``in behandeling`` once a letter of the case other than the automatic
    acknowledgement was approved or sent (staff acted on it). Idempotent, audited."""
    acted = (
        select(Case, Draft)
        .join(Draft, col(Draft.case_id) == col(Case.id))
        .where(
            Case.state == CaseState.NEW,
            col(Draft.state).in_([DraftState.APPROVED, DraftState.SENT]),
            col(Draft.kind).not_in(list(AUTOMATIC_KINDS)),
        )
        .order_by(col(Draft.id))
    )
    started: list[str] = []
    for case, draft in session.exec(acted):
        if case.state is not CaseState.NEW:
            continue  # a second letter of a case moved by its first
        case.state = CaseState.IN_PROGRESS
        _touch(case)
        audit.record(
            session,
            actor="system:outbox",
            action="case.started",
            case_id=case.id,
            before=CaseState.NEW.value,
            after=case.state.value,
            draft_id=draft.id,
            kind=draft.kind,
            by=draft.approved_by,
        )
        started.append(case.reference)
    return started


def pause(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: PauseReason | str,
    note: str | None = None,
    now: datetime | None = None,
    settings: Settings,
) -> None:
    """Ask for identity or clarification (EDPB 01/2022 §159, Art. 12(6)).

    The clock does NOT stop here: it rests only from the moment the request is sent by the
    outbox (:func:`start_requested_pauses`); until then the case shows "pauze aangevraagd".
    A written ``note`` (the reasonable doubt) is required, and a direct-marketing objection
    is never paused (issue 13; rules in :mod:`avgdesk.triage.cases.legal`). The caller
    drafts the request with ``fields={"pause_reason": ..., "pause_note": ...}``.
    """
    _require_open(case)
    try:
        reason = PauseReason(reason)
    except ValueError as exc:
        raise UnknownChoice(
            f"unknown pause reason {reason!r}", "Kies waarop de zaak wacht: identificatie of verduidelijking."
        ) from exc
    text = legal.check_pause(session, case, note)
    waiting = any(p.resumed_at is None for p in _pauses(session, case))
    if waiting or legal.pending_pause_request(session, case):
        raise AlreadyPaused(f"case {case.reference} is already waiting on the requester")
    _touch(case)
    audit.record(
        session, actor=by, action=legal.PAUSE_REQUESTED, case_id=case.id, reason=reason.value, note=text[:500]
    )


def _start_pause(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: PauseReason,
    at: datetime,
    settings: Settings,
    draft_id: int | None = None,
) -> None:
    """The clock rests from ``at`` (the moment the request for information was sent)."""
    session.add(CasePause(case_id=case.id, reason=reason, requested_at=at, paused_by=by))  # type: ignore[arg-type]
    before = case.state
    case.state = (
        CaseState.AWAITING_IDENTITY if reason is PauseReason.IDENTITY else CaseState.AWAITING_CLARIFICATION
    )
    session.flush()
    refresh_due_date(session, case, settings, at)
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="case.paused",
        case_id=case.id,
        before=before.value,
        after=case.state.value,
        reason=reason.value,
        draft_id=draft_id,
    )


def start_requested_pauses(session: Session, settings: Settings) -> list[str]:
    """Start the pause of every identity/clarification request the outbox has sent.

    Idempotent (a started pause is found by its draft id in the audit trail); called by
    :func:`letters_sent` after each outbox pass. Returns the references that were paused.
    """
    rows = session.exec(
        select(Case, Draft)
        .join(Draft, col(Draft.case_id) == col(Case.id))
        .where(
            col(Case.state).in_(list(OPEN_STATES)),
            col(Draft.kind).in_(list(legal.REQUEST_KINDS)),
            Draft.state == DraftState.SENT,
        )
    )
    started: list[str] = []
    for case, draft in rows:
        if not draft.fields.get("pause_reason") or case.state in PAUSED_STATES:
            continue
        done = session.exec(
            select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == "case.paused")
        )
        if any(e.detail.get("draft_id") == draft.id for e in done):
            continue
        reason = PauseReason(draft.fields["pause_reason"])
        # Crash after the send and before this: the next pass starts the pause at the same time.
        _start_pause(
            session,
            case,
            by=draft.author,
            reason=reason,
            at=draft.updated_at,
            settings=settings,
            draft_id=draft.id,
        )
        started.append(case.reference)
    return started


def resume(session: Session, case: Case, *, by: str, now: datetime | None = None, settings: Settings) -> None:
    """The requester answered (or staff decide to go on): the clock runs again."""
    open_pauses = [p for p in _pauses(session, case) if p.resumed_at is None]
    if not open_pauses:
        raise NotPaused(f"case {case.reference} is not waiting on the requester")
    now = now or utcnow()
    for p in open_pauses:
        p.resumed_at = now
        p.resumed_by = by
    before = case.state
    case.state = CaseState.IN_PROGRESS
    session.flush()
    refresh_due_date(session, case, settings, now)
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="case.resumed",
        case_id=case.id,
        before=before.value,
        after=case.state.value,
        due=_iso(case.due_date),
    )


def close(
    session: Session,
    case: Case,
    *,
    by: str,
    outcome: str,
    justification: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> None:
    """Close with an outcome: answered, closed, withdrawn, or unfounded.

    *answered* needs a sent substantive answer for every right and the complaint, or an
    explicit ``override_reason`` (audited); *closed* (no answer) a written reason, kept as
    the ``justification``; *unfounded* (Art. 12(5)) only by a staff member, with a written
    justification — never automatically. Letters not yet approved are withdrawn; an
    approved letter not yet sent blocks closing (:func:`_letters_to_withdraw`).
    """
    _check_outcome(case, by=by, outcome=outcome, justification=justification)
    if outcome == "unfounded":
        legal.check_unfounded_close(session, case)  # the refusal with remedies went out first
    waiting = _letters_to_withdraw(session, case, by=by)
    override = (override_reason or "").strip() or None
    missing = unanswered(session, case) if outcome == "answered" else []
    if missing and override is None:
        names = ", ".join(LABEL_NL.get(m, m) for m in missing)
        raise AnswerNotSent(
            f"case {case.reference}: no sent answer for {', '.join(missing)}",
            f"Er is nog geen inhoudelijk antwoord verzonden voor: {names}. Sluit als beantwoord pas als "
            "het antwoord is verstuurd, kies een andere uitkomst, of geef een reden om toch te sluiten.",
        )
    now = now or utcnow()
    for p in _pauses(session, case):
        if p.resumed_at is None:
            p.resumed_at = now
            p.resumed_by = by
    before = case.state
    case.state = CLOSING_OUTCOMES[outcome]
    case.outcome = outcome
    case.justification = (justification or "").strip() or None
    case.closed_at = now
    _touch(case)
    for draft in waiting:  # a closed case sends nothing it had not approved (defect 1)
        _withdraw(session, draft, by=by, now=now)
    audit.record(
        session,
        actor=by,
        action="case.closed",
        case_id=case.id,
        before=before.value,
        after=case.state.value,
        justification=case.justification,
        override_reason=override if missing else None,
        unanswered=missing or None,
    )


def closing_outcomes(role: str) -> list[str]:
    """The outcomes a user with ``role`` may close a case with (what the case page offers)."""
    rank = Role(role).rank
    return [o for o in CLOSING_OUTCOMES if rank >= OUTCOME_ROLES.get(o, Role.MEDEWERKER).rank]


class LetterBeingSent(CaseNotOpen):
    staff_message = "Er staat nog een goedgekeurde brief van deze zaak klaar voor verzending."


def _letters_to_withdraw(session: Session, case: Case, *, by: str) -> list[Draft]:
    """The case's letters that closing withdraws (not yet approved, no closing letter).

    Refused while a letter is approved but not sent: the outbox may be sending it at this
    moment, so it is never taken back here; staff wait until it went out (or failed). The
    worker's own closing (retention) is not refused: its case waited weeks on the requester.
    """
    drafts = _waiting_letters(session, case, closing=False)
    approved = [d for d in drafts if d.state is DraftState.APPROVED]
    if approved and not by.startswith("system:"):
        names = ", ".join(LETTER_KIND_NL.get(d.kind, d.kind).lower() for d in approved)
        raise LetterBeingSent(
            f"case {case.reference}: approved letters not sent yet ({', '.join(d.kind for d in approved)})",
            f"Zaak {case.reference} kan nog niet worden gesloten: een goedgekeurde brief wacht op "
            f"verzending ({names}). Sluit de zaak als de brief is verzonden (of als verzenden is "
            "mislukt), of trek de goedkeuring in op de pagina van de brief (Concept verwerpen) als hij "
            "niet meer weg mag.",
        )
    return [d for d in drafts if d.state is DraftState.DRAFT]


def _waiting_letters(session: Session, case: Case, *, closing: bool) -> list[Draft]:
    """The case's letters not yet sent and not withdrawn: the closing letters or all others.
    Locked (in id order) for the caller's change: on PostgreSQL a close racing an approval
    overwrote the approval with "withdrawn" after the approval had queued its mail."""
    kinds = col(Draft.kind).in_(list(CLOSING_LETTER_KINDS))
    return list(
        session.exec(
            select(Draft)
            .where(
                Draft.case_id == case.id,
                col(Draft.state).in_([DraftState.DRAFT, DraftState.APPROVED]),
                kinds if closing else ~kinds,
            )
            .order_by(col(Draft.id))
            .with_for_update()
        ).all()
    )


def _withdraw(
    session: Session, draft: Draft, *, by: str, now: datetime, reason: str = CASE_CLOSED_REASON
) -> None:
    """A letter of a closed (or reopened) case that was never approved: discarded, audited,
    in the timeline."""
    draft.state = DraftState.DISCARDED
    draft.updated_at = now
    audit.record(
        session,
        actor=by,
        action="draft.discarded",
        case_id=draft.case_id,
        draft_id=draft.id,
        kind=draft.kind,
        reason=reason,
    )


def check_letter_may_go(case: Case, draft: Draft) -> None:
    """A letter of a closed case is not approved (only the letter announcing the closing),
    and a letter announcing the closing is not approved while the case is open (again)."""
    if case.state in OPEN_STATES and draft.kind in CLOSING_LETTER_KINDS:
        raise CaseNotOpen(
            f"case {case.reference} is open; closing letter {draft.id} is not approved",
            f"Deze brief meldt dat zaak {case.reference} is gesloten, maar de zaak is open. "
            "Verwerp deze brief; hij wordt niet verzonden.",
        )
    if case.state not in OPEN_STATES and draft.kind not in CLOSING_LETTER_KINDS:
        raise CaseNotOpen(
            f"case {case.reference} is {case.state.value}; draft {draft.id} is not approved",
            f"Zaak {case.reference} is gesloten: deze brief wordt niet meer verzonden. Heropen de "
            "zaak en stel een nieuwe brief op als er toch iets naar de verzoeker moet.",
        )


def _check_outcome(case: Case, *, by: str, outcome: str, justification: str | None) -> None:
    if outcome not in CLOSING_OUTCOMES:
        raise UnknownChoice(
            f"unknown outcome {outcome!r}; choose one of {', '.join(CLOSING_OUTCOMES)}", "Kies een uitkomst."
        )
    if by.startswith("system:") and outcome == "unfounded":
        raise UnfoundedNeedsStaff(
            "only a staff member can declare a request manifestly unfounded or excessive"
        )
    if outcome == "unfounded" and not (justification or "").strip():
        raise ReasonRequired(
            "manifestly unfounded or excessive (Art. 12(5)) needs a written justification",
            "Kennelijk ongegrond of buitensporig (art. 12 lid 5 AVG) vraagt een schriftelijke onderbouwing.",
        )
    if outcome == "closed" and not (justification or "").strip():
        raise ReasonRequired(
            "closing with outcome 'closed' (no answer) needs a written reason",
            "Sluiten met uitkomst ‘gesloten’ vraagt een reden: schrijf op waarom de zaak zonder"
            " antwoord wordt gesloten (de reden komt in de tijdlijn).",
        )
    if case.state not in OPEN_STATES:
        raise CaseNotOpen(
            f"case {case.reference} is already {case.state.value}",
            f"Zaak {case.reference} is al gesloten ({case.state.value}).",
        )


def reopen(
    session: Session, case: Case, *, by: str, reason: str, settings: Settings, now: datetime | None = None
) -> None:
    """A closed case opens again (the customer writes back, a closing was wrong), with a reason."""
    if case.state in OPEN_STATES:
        raise CaseNotClosed(f"case {case.reference} is {case.state.value}, not closed")
    if not reason.strip():
        raise ReasonRequired("reopening needs a reason", "Geef een reden om de zaak te heropenen.")
    before = case.state
    now = now or utcnow()
    _withdraw_closing_letters(session, case, by=by, now=now)
    case.state = CaseState.IN_PROGRESS
    case.outcome = None
    case.justification = None
    case.closed_at = None
    case.reopened_at = now  # only an answer sent from now on marks it answered again
    answers_owed_again(session, case, by=by, reason="reopened")
    refresh_due_date(session, case, settings, now)
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="case.reopened",
        case_id=case.id,
        before=before.value,
        after=case.state.value,
        reason=reason.strip()[:500],
    )


def _withdraw_closing_letters(session: Session, case: Case, *, by: str, now: datetime) -> None:
    """Reopening withdraws the letter that announces the closing (it would tell the requester
    the case is closed while it is open); refused while one is approved and may be sending."""
    letters = _waiting_letters(session, case, closing=True)
    if any(d.state is DraftState.APPROVED for d in letters):
        raise LetterBeingSent(
            f"case {case.reference}: an approved closing letter is not sent yet",
            f"Zaak {case.reference} kan nog niet worden heropend: de goedgekeurde brief dat de zaak is "
            "gesloten wacht op verzending. Trek de goedkeuring in (Concept verwerpen) of wacht tot hij is "
            "verzonden.",
        )
    for draft in letters:
        _withdraw(session, draft, by=by, now=now, reason=CASE_REOPENED_REASON)


def relabel(
    session: Session, message: InboundMessage, labels: Sequence[str], *, by: str, settings: Settings
) -> None:
    """Staff correct a message's labels; the correction joins the next training, and the
    case's rights follow (new rights get a row; removed ones stay, marked not applicable)."""
    clean = validate_labels(labels)
    before = list(message.labels)
    message.labels = clean
    message.needs_review = False
    session.add(LabelCorrection(message_pk=message.id, labels=clean, corrected_by=by))  # type: ignore[arg-type]
    audit.record(
        session,
        actor=by,
        action="message.relabelled",
        case_id=message.case_id,
        message_pk=message.id,
        before=before,
        after=clean,
    )
    if message.case_id is None:
        return
    case = session.get(Case, message.case_id)
    if case is None:
        return
    rights = [label for label in clean if label in RIGHTS]
    existing = {r.right: r for r in session.exec(select(CaseRight).where(CaseRight.case_id == case.id))}
    for right in rights:
        if right not in existing:
            session.add(CaseRight(case_id=case.id, right=right))  # type: ignore[arg-type]
    for right, row in existing.items():
        if right not in rights and row.status is RightStatus.OPEN:
            row.status = RightStatus.NOT_APPLICABLE
    case.rights = rights
    case.is_complaint = "complaint" in clean
    session.flush()
    refresh_due_date(session, case, settings)
    tasks.sync_rights(session, case, settings, by=by)
    if case.answers_sent_at is not None and unanswered(session, case):
        answers_owed_again(session, case, by=by, reason="relabelled")  # a new right is owed
    case.answers_checked_at = None  # a right removed may leave it answered: the next pass looks
    _touch(case)


def validate_labels(labels: Sequence[str]) -> list[str]:
    """The vocabulary's one label rule, its refusal turned into a staff-facing RuleViolation."""
    try:
        return list(vocabulary.validate_labels(labels))
    except vocabulary.LabelError as exc:
        raise InvalidLabels(str(exc), exc.staff_message) from exc


def first_message(session: Session, case: Case) -> InboundMessage | None:
    return session.exec(
        select(InboundMessage)
        .where(InboundMessage.case_id == case.id)
        .order_by(col(InboundMessage.received_at))
    ).first()


def _pauses(session: Session, case: Case) -> list[CasePause]:
    return list(
        session.exec(select(CasePause).where(CasePause.case_id == case.id).order_by(col(CasePause.id)))
    )


def pauses_of(session: Session, case: Case) -> list[CasePause]:
    return _pauses(session, case)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
