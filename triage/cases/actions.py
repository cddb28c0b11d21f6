"""Case use cases: one audited staff action = one function = one unit of work.

Each function opens its own session, finds the case, applies the rule (in
:mod:`avgdesk.triage.cases.lifecycle`), writes the audit event, commits and returns a small
result. The CLI and the web UI call these and nothing else: they never commit and never
check a rule themselves. A refusal is a :class:`~avgdesk.models.errors.RuleViolation`
whose ``staff_message`` is what the front end shows.

Example::

    >>> result = actions.pause(engine, settings, "AVG-2026-0004", by="anna", reason="identity")
    >>> result
    CaseResult(reference='AVG-2026-0004', state='awaiting_identity', due_date=datetime.date(2026, 4, 9), ...)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from avgdesk.models.engine import session_scope
from avgdesk.models.errors import NotFoundError
from avgdesk.models.tables import Case, Draft, DraftState, InboundMessage, PauseReason, SavedView
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import lifecycle, notes
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.settings import Settings


@dataclass(frozen=True)
class CaseResult:
    """What a case action leaves behind (enough for a confirmation line or a redirect)."""

    reference: str
    state: str
    due_date: date | None
    extended_deadline: date | None = None
    extension_pending: bool = False
    draft_id: int | None = None
    notice_by: date | None = None
    labels: tuple[str, ...] = ()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    with session_scope(engine) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        # Crash before: nothing of the use case is stored. Crash after: the change and its
        # audit event are in, together.
        session.commit()


def _result(case: Case, **extra: object) -> CaseResult:
    return CaseResult(
        reference=case.reference,
        state=case.state.value,
        due_date=case.due_date,
        extended_deadline=case.extended_deadline,
        extension_pending=lifecycle.extension_pending(case),
        **extra,  # type: ignore[arg-type]
    )


def assign(engine: Engine, reference: str, assignee: str | None, *, by: str) -> CaseResult:
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        lifecycle.assign(session, case, assignee, by=by)
        return _result(case)


def extend(
    engine: Engine,
    settings: Settings,
    reference: str,
    *,
    by: str,
    reason: str,
    ground: str | None = None,
    months: int = 2,
    now: datetime | None = None,
) -> CaseResult:
    """Extend and draft the notice; the new date binds once the notice is sent. ``ground``
    is one of ``replies.i18n.EXTENSION_GROUNDS`` (workload alone is no reason)."""
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        extended, draft = lifecycle.extend_with_notice(
            session,
            case,
            by=by,
            reason=reason,
            ground=ground,
            months=months,
            now=now or utcnow(),
            settings=settings,
            drafting=drafting_context(settings),
        )
        session.flush()
        return _result(case, draft_id=draft.id, notice_by=extended.extension_notice_by)


def pause(
    engine: Engine,
    settings: Settings,
    reference: str,
    *,
    by: str,
    reason: PauseReason | str,
    note: str | None = None,
    draft_request: bool = True,
    now: datetime | None = None,
) -> CaseResult:
    """Ask the requester for identity or clarification: the request is drafted in the same
    transaction, and the clock rests only once the outbox has sent it (issue 13;
    ``lifecycle.start_requested_pauses``). ``note`` is the written reason (required).
    ``draft_request`` is kept for callers; the request is always drafted."""
    from avgdesk.models.vocabulary import DraftKind
    from avgdesk.replies.drafting import create_draft

    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        lifecycle.pause(session, case, by=by, reason=reason, note=note, settings=settings, now=now)
        kind = (
            DraftKind.IDENTITY_REQUEST
            if PauseReason(reason) is PauseReason.IDENTITY
            else DraftKind.CLARIFICATION_REQUEST
        )
        fields = {"pause_reason": PauseReason(reason).value, "pause_note": " ".join((note or "").split())}
        draft = create_draft(session, case, kind, author=by, ctx=drafting_context(settings), fields=fields)
        return _result(case, draft_id=draft.id)


def resume(
    engine: Engine, settings: Settings, reference: str, *, by: str, now: datetime | None = None
) -> CaseResult:
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        lifecycle.resume(session, case, by=by, settings=settings, now=now)
        return _result(case)


def close(
    engine: Engine,
    reference: str,
    *,
    by: str,
    outcome: str,
    justification: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> CaseResult:
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        lifecycle.close(
            session,
            case,
            by=by,
            outcome=outcome,
            justification=justification,
            override_reason=override_reason,
            now=now,
        )
        return _result(case)


def reopen(
    engine: Engine, settings: Settings, reference: str, *, by: str, reason: str, now: datetime | None = None
) -> CaseResult:
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        lifecycle.reopen(session, case, by=by, reason=reason, settings=settings, now=now)
        return _result(case)


def relabel(
    engine: Engine,
    settings: Settings,
    reference: str,
    labels: Sequence[str],
    *,
    by: str,
    message_pk: int | None = None,
) -> CaseResult:
    """Correct the labels of one message of the case (default: its first message)."""
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        if message_pk is None:
            message = lifecycle.first_message(session, case)
        else:
            message = session.get(InboundMessage, message_pk)
        if message is None or message.case_id != case.id:
            raise NotFoundError(f"case {case.reference} has no such message")
        lifecycle.relabel(session, message, labels, by=by, settings=settings)
        return _result(case, labels=tuple(message.labels))


def add_note(engine: Engine, reference: str, text: str, *, by: str) -> CaseResult:
    """An internal note (staff only, never in a letter), audited without its text."""
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        notes.add_note(session, case, text, by=by)
        return _result(case)


def letters_sent(engine: Engine, settings: Settings) -> list[str]:
    """What sent letters change on their cases (the worker calls this after the outbox)."""
    with unit_of_work(engine) as session:
        return lifecycle.letters_sent(session, settings)


# --- saved queue views (personal filters, not case data: not audited) ------------------------
def save_view(engine: Engine, *, owner: str, name: str, query: str) -> None:
    """Use case: store (or overwrite) the owner's named queue filter."""
    with unit_of_work(engine) as session:
        existing = session.exec(
            select(SavedView).where(SavedView.owner == owner, SavedView.name == name)
        ).first()
        view = existing or SavedView(owner=owner, name=name, query="")
        view.query = query
        session.add(view)


def delete_view(engine: Engine, *, owner: str, view_id: int) -> None:
    """Use case: delete one of the owner's saved views (another's view is left alone)."""
    with unit_of_work(engine) as session:
        view = session.get(SavedView, view_id)
        if view is not None and view.owner == owner:
            session.delete(view)


# --- direct-marketing flag and access facts from the case page (issue 13 points 8, 9) ---------
def flag_marketing(engine: Engine, settings: Settings, reference: str, *, by: str) -> CaseResult:
    """Use case: staff mark an objection as one to direct marketing (Art. 21(3)); the
    immediate confirmation is drafted at once, and no pause or extension is allowed after."""
    from avgdesk.triage.cases import legal

    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        if legal.flag_marketing_by_staff(session, case, by=by):
            legal.confirm_marketing_stop(session, case, drafting_context(settings))
        return _result(case)


@dataclass(frozen=True)
class FactsResult:
    reference: str
    rebuilt: tuple[int, ...]
    """Open access drafts whose text was rebuilt with the chosen facts."""
    kept: tuple[int, ...]
    """Open access drafts with text edited by hand: left alone for staff to adjust."""


def set_access_facts(
    engine: Engine, settings: Settings, reference: str, chosen: Mapping[str, Sequence[str]], *, by: str
) -> FactsResult:
    """Use case: the purposes, categories, recipients, retention and sources that apply to
    this person (Art. 15(1); issue 13 point 8), recorded on the case, then given to every open
    access draft whose text was not edited by hand (each draft's rebuild is its own unit of
    work: a crash between leaves the choice recorded and the draft as it was, visibly)."""
    from avgdesk.models.errors import UnknownChoice
    from avgdesk.replies import access_facts
    from avgdesk.triage.cases import audit, drafts, legal

    try:
        facts = access_facts.clean_choice(drafting_context(settings).controller(), chosen)
    except ValueError as exc:
        raise UnknownChoice(
            str(exc), "Kies in elke groep minstens één mogelijkheid uit het privacyprofiel."
        ) from exc
    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        audit.record(session, actor=by, action=legal.ACCESS_FACTS, case_id=case.id, facts=facts)
        open_access = session.exec(
            select(Draft.id).where(
                Draft.case_id == case.id, Draft.kind == "access", Draft.state == DraftState.DRAFT
            )
        )
        ids = [i for i in open_access if i is not None]
        kept = tuple(i for i in ids if drafts.has_manual_text(session, i))
    rebuilt = tuple(i for i in ids if i not in kept)
    for draft_id in rebuilt:
        drafts.edit(engine, settings, draft_id, by=by, fields=_with_facts(engine, draft_id, facts))
    return FactsResult(case.reference, rebuilt, kept)


def _with_facts(engine: Engine, draft_id: int, facts: Mapping[str, list[str]]) -> dict[str, object]:
    with session_scope(engine) as session:
        draft = session.get(Draft, draft_id)
        return {**(draft.fields if draft else {}), **facts}


def decide_breach(
    engine: Engine,
    settings: Settings,
    reference: str,
    *,
    by: str,
    decision: str,
    reported_on: date | str | None = None,
    reason: str | None = None,
    correction: bool = False,
    corrects: int | None = None,
) -> CaseResult:
    """Use case: record whether a possible breach was reported to the AP (on which day) or
    is not notifiable (with a reason); audited, and the 72-hour warning ends. ``correction``
    replaces the decision that stands, with a reason (both stay in the timeline)."""
    from avgdesk.triage.cases import legal

    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        today = utcnow().astimezone(settings.tz).date()
        legal.decide_breach(
            session,
            case,
            by=by,
            decision=decision,
            reported_on=reported_on,
            reason=reason,
            today=today,
            correction=correction,
            corrects=corrects,
        )
        return _result(case)


def link_message(engine: Engine, reference: str, message_pk: int, *, by: str) -> CaseResult:
    """Use case: staff decide a message belongs to ``reference`` (issue 11: a stranger
    cannot thread into a case, a person can). The message leaves the case it was in."""
    from avgdesk.triage.intake import linking

    with unit_of_work(engine) as session:
        case = lifecycle.find_case(session, reference)
        message = session.get(InboundMessage, message_pk)
        if message is None:
            raise NotFoundError(f"no message {message_pk}")
        if message.case_id != case.id:
            linking.link_by_staff(session, case, message, by=by)
        return _result(case)
