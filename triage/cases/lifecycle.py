"""Case lifecycle: what staff (and the worker) do to a case, each step audited.

Deadlines are recomputed from the facts stored on the case (receipt, extension,
pauses) by :mod:`avgdesk.triage.cases.deadlines`, so the explanation always matches the
date shown. ``Case.due_date`` is the date that applies now: the pause-adjusted or
extended legal deadline, or the internal target of a complaint without a right.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from avgdesk.models import (
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
    utcnow,
)
from avgdesk.models.errors import InvalidOperation, NotFoundError
from avgdesk.models.labels import LABELS, OPEN_STATES, RIGHTS, STANDALONE
from avgdesk.replies.drafting import DraftingContext, create_draft
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import audit, deadlines
from avgdesk.triage.settings import Settings

PAUSED_STATES = frozenset({CaseState.AWAITING_IDENTITY, CaseState.AWAITING_CLARIFICATION})
CLOSING_OUTCOMES = {
    "answered": CaseState.ANSWERED,
    "closed": CaseState.CLOSED,
    "withdrawn": CaseState.WITHDRAWN,
    "unfounded": CaseState.UNFOUNDED,
}
DUPLICATE_WINDOW = timedelta(days=30)


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


# --- reading -------------------------------------------------------------------------------
def find_case(session: Session, reference: str) -> Case:
    case = session.exec(select(Case).where(Case.reference == reference.strip().upper())).first()
    if case is None:
        raise NotFoundError(f"no case with reference {reference!r}")
    return case


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
    stmt = select(Case)
    if states:
        stmt = stmt.where(col(Case.state).in_(list(states)))
    if open_only:
        stmt = stmt.where(col(Case.state).in_(list(OPEN_STATES)))
    if due_before is not None:
        stmt = stmt.where(col(Case.due_date) <= due_before)
    if query:
        q = query.strip().lower()
        stmt = stmt.where(
            or_(func.lower(col(Case.reference)) == q, func.lower(col(Case.requester_email)).contains(q))
        )
    cases = list(session.exec(stmt))
    if right:
        cases = [c for c in cases if right in c.rights or (right == "complaint" and c.is_complaint)]
    return sorted(cases, key=lambda c: (c.due_date is None, c.due_date or date.max, c.received_at))


def deadline_of(
    session: Session, case: Case, settings: Settings, now: datetime | None = None, *, fresh: bool = False
) -> deadlines.Deadline | None:
    """The case's legal deadline with extension and pauses, recomputed from stored facts."""
    if not case.rights:
        return None
    now = now or utcnow()
    result = deadlines.compute_deadline(case.received_at, tz=settings.tz, policy_days=settings.policy_days)
    if case.extended_at is not None and case.extended_deadline is not None:
        for months in (2, 1):
            candidate = deadlines.extend(
                result, months=months, at=case.extended_at, reason=case.extension_reason or "-"
            )
            if candidate.extended_deadline == case.extended_deadline:
                result = candidate
                break
    pauses = [] if fresh else _pauses(session, case)
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
    session: Session, case: Case, settings: Settings, now: datetime | None = None, *, fresh: bool = False
) -> None:
    deadline = deadline_of(session, case, settings, now, fresh=fresh)
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
    if case.due_date is None or case.state not in OPEN_STATES:
        return None
    return deadlines.risk(
        case.due_date, now=now or utcnow(), tz=settings.tz, at_risk_working_days=settings.at_risk_working_days
    )


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
        session.exec(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.at)))
    )
    return CaseDetail(
        case=case,
        rights=rights,
        messages=messages,
        drafts=drafts,
        pauses=_pauses(session, case),
        audit=events,
        deadline=deadline_of(session, case, settings, now),
        risk=case_risk(case, settings, now),
        suggested=session.get(Case, case.suggested_case_id) if case.suggested_case_id else None,
        duplicate_of=session.get(Case, case.duplicate_of_case_id) if case.duplicate_of_case_id else None,
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
            "audit": [
                {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "detail": e.detail}
                for e in detail.audit
            ],
            "suggested_link": detail.suggested.reference if detail.suggested else None,
            "duplicate_of": detail.duplicate_of.reference if detail.duplicate_of else None,
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
        "assignee": case.assignee,
        "language": case.language,
        "risk": risk.level.value if (risk := case_risk(case, settings)) is not None else None,
        "message_ids": message_ids,
    }


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


# --- opening --------------------------------------------------------------------------------
def setup_new_case(session: Session, case: Case, settings: Settings) -> None:
    """Rights rows, deadlines, duplicate flag and suggested link of a just-opened case."""
    for right in case.rights:
        session.add(CaseRight(case_id=case.id, right=right))  # type: ignore[arg-type]
    # A new case has no pauses or extension yet: no need to look them up.
    refresh_due_date(session, case, settings, now=case.received_at, fresh=True)
    if not case.requester_email:
        return
    since = case.received_at - DUPLICATE_WINDOW
    earlier = list(
        session.exec(
            select(Case)
            .where(
                Case.requester_email == case.requester_email,
                Case.id != case.id,
                col(Case.received_at) >= since,
            )
            .order_by(col(Case.received_at).desc())
        )
    )
    for other in earlier:
        if set(other.rights) & set(case.rights):
            case.duplicate_of_case_id = other.id
            audit.record(
                session,
                actor="system:triage",
                action="case.duplicate_flagged",
                case_id=case.id,
                duplicate_of=other.reference,
            )
            break
    open_earlier = [o for o in earlier if o.state in OPEN_STATES]
    if open_earlier:
        case.suggested_case_id = open_earlier[0].id
        audit.record(
            session,
            actor="system:triage",
            action="case.link_suggested",
            case_id=case.id,
            suggested=open_earlier[0].reference,
        )


# --- staff actions --------------------------------------------------------------------------
def _require_open(case: Case) -> None:
    if case.state not in OPEN_STATES:
        raise InvalidOperation(f"case {case.reference} is {case.state.value}; reopen it first")


def _touch(case: Case) -> None:
    case.updated_at = utcnow()


def set_state(session: Session, case: Case, state: CaseState, *, by: str) -> None:
    if state is CaseState.UNFOUNDED:
        raise InvalidOperation("use close --outcome unfounded with a written justification")
    before = case.state
    case.state = state
    _touch(case)
    audit.record(
        session, actor=by, action="case.state", case_id=case.id, before=before.value, after=state.value
    )


def assign(session: Session, case: Case, assignee: str | None, *, by: str) -> None:
    before = case.assignee
    case.assignee = assignee or None
    _touch(case)
    audit.record(
        session, actor=by, action="case.assigned", case_id=case.id, before=before, after=case.assignee
    )


def extend(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: str,
    months: int = 2,
    now: datetime | None = None,
    settings: Settings,
) -> deadlines.Deadline:
    """Extend by up to two months (Art. 12(3)); only inside the first month, with reasons.

    The extension notice must reach the requester before the original deadline: the
    caller drafts it (``replies.drafting``) right after this succeeds.
    """
    _require_open(case)
    if not reason.strip():
        raise InvalidOperation("an extension needs reasons (Art. 12(3) AVG)")
    if case.extended_at is not None:
        raise InvalidOperation(f"case {case.reference} was already extended on {case.extended_at.date()}")
    now = now or utcnow()
    base = deadline_of(session, case, settings, now)
    if base is None:
        raise InvalidOperation(f"case {case.reference} has no statutory deadline to extend (complaint only)")
    extended = deadlines.extend(base, months=months, at=now, reason=reason.strip())
    before = case.due_date
    case.extended_at = now
    case.extended_by = by
    case.extension_reason = reason.strip()
    case.extended_deadline = extended.extended_deadline
    refresh_due_date(session, case, settings, now)
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="case.extended",
        case_id=case.id,
        before=_iso(before),
        after=_iso(case.due_date),
        months=months,
        reason=reason.strip()[:500],
        notice_by=extended.extension_notice_by.isoformat(),
    )
    return extended


def extend_with_notice(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: str,
    months: int = 2,
    now: datetime | None = None,
    settings: Settings,
    drafting: DraftingContext,
) -> tuple[deadlines.Deadline, Draft]:
    """Extend (see :func:`extend`) and draft the extension notice that must reach the
    requester before the original deadline — one step for the CLI and the web UI."""
    extended = extend(session, case, by=by, reason=reason, months=months, now=now, settings=settings)
    draft = create_draft(
        session,
        case,
        DraftKind.EXTENSION,
        author=by,
        ctx=drafting,
        fields={"extension_reason": reason.strip(), "new_deadline": case.due_date},
    )
    return extended, draft


def pause(
    session: Session,
    case: Case,
    *,
    by: str,
    reason: PauseReason,
    now: datetime | None = None,
    settings: Settings,
) -> None:
    """Wait for identity or clarification: the clock rests (EDPB 01/2022 §159)."""
    _require_open(case)
    if any(p.resumed_at is None for p in _pauses(session, case)):
        raise InvalidOperation(f"case {case.reference} is already waiting on the requester")
    now = now or utcnow()
    session.add(CasePause(case_id=case.id, reason=reason, requested_at=now, paused_by=by))  # type: ignore[arg-type]
    before = case.state
    case.state = (
        CaseState.AWAITING_IDENTITY if reason is PauseReason.IDENTITY else CaseState.AWAITING_CLARIFICATION
    )
    session.flush()
    refresh_due_date(session, case, settings, now)
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="case.paused",
        case_id=case.id,
        before=before.value,
        after=case.state.value,
        reason=reason.value,
    )


def resume(session: Session, case: Case, *, by: str, now: datetime | None = None, settings: Settings) -> None:
    """The requester answered (or staff decide to go on): the clock runs again."""
    open_pauses = [p for p in _pauses(session, case) if p.resumed_at is None]
    if not open_pauses:
        raise InvalidOperation(f"case {case.reference} is not waiting on the requester")
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
    now: datetime | None = None,
) -> None:
    """Close with an outcome: answered, closed, withdrawn, or unfounded (Art. 12(5): only
    by a staff member, with a written justification — never automatically)."""
    if outcome not in CLOSING_OUTCOMES:
        raise InvalidOperation(f"unknown outcome {outcome!r}; choose one of {', '.join(CLOSING_OUTCOMES)}")
    if by.startswith("system:") and outcome == "unfounded":
        raise InvalidOperation("only a staff member can declare a request manifestly unfounded or excessive")
    if outcome == "unfounded" and not (justification or "").strip():
        raise InvalidOperation("manifestly unfounded or excessive (Art. 12(5)) needs a written justification")
    if case.state not in OPEN_STATES:
        raise InvalidOperation(f"case {case.reference} is already {case.state.value}")
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
    audit.record(
        session,
        actor=by,
        action="case.closed",
        case_id=case.id,
        before=before.value,
        after=case.state.value,
        justification=case.justification,
    )


def set_right_status(
    session: Session, case: Case, right: str, status: RightStatus, *, by: str, reasons: str | None = None
) -> None:
    row = session.exec(
        select(CaseRight).where(CaseRight.case_id == case.id, CaseRight.right == right)
    ).first()
    if row is None:
        raise NotFoundError(f"case {case.reference} has no right {right!r}")
    if status in (RightStatus.REFUSED, RightStatus.PARTLY_GRANTED) and not (reasons or "").strip():
        raise InvalidOperation("a refusal or partial grant needs reasons (Art. 12(4) AVG)")
    before = row.status
    row.status = status
    row.reasons = (reasons or "").strip() or None
    _touch(case)
    audit.record(
        session,
        actor=by,
        action="right.status",
        case_id=case.id,
        right=right,
        before=before.value,
        after=status.value,
    )


def verify_identity(session: Session, case: Case, *, by: str, now: datetime | None = None) -> None:
    case.identity_verified_at = now or utcnow()
    case.identity_verified_by = by
    _touch(case)
    audit.record(session, actor=by, action="case.identity_verified", case_id=case.id)


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
    _touch(case)


def validate_labels(labels: Sequence[str]) -> list[str]:
    clean = [label.strip().lower() for label in labels if label.strip()]
    unknown = [label for label in clean if label not in LABELS]
    if unknown:
        raise InvalidOperation(f"unknown label(s): {', '.join(unknown)}; known: {', '.join(LABELS)}")
    if not clean:
        raise InvalidOperation("give at least one label")
    standalone = [label for label in clean if label in STANDALONE]
    if standalone and len(set(clean)) > 1:
        raise InvalidOperation(f"{standalone[0]} stands alone; it cannot be combined with other labels")
    return sorted(set(clean), key=LABELS.index)


def awaiting_approval(session: Session) -> list[Draft]:
    return list(session.exec(select(Draft).where(Draft.state == DraftState.DRAFT).order_by(col(Draft.id))))


def _pauses(session: Session, case: Case) -> list[CasePause]:
    return list(
        session.exec(select(CasePause).where(CasePause.case_id == case.id).order_by(col(CasePause.id)))
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
