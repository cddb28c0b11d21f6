"""The case page with its actions (assign, extend, pause, resume, close, reopen, relabel,
notes), new drafts and attachment downloads. The queue is in :mod:`avgdesk.web.queue`.

Every action calls one use case of :mod:`avgdesk.triage.cases.actions`: the route never
commits and never checks a rule; a refusal shows the service's Dutch message on the page
(status 409). Irreversible actions (closing) need an explicit confirmation checkbox, which
works without JavaScript.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from avgdesk.models.errors import AvgdeskError, NotFoundError, RuleViolation, UnknownChoice, staff_text
from avgdesk.models.tables import Attachment, MessageRaw, User
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import OUTCOME_NL, REPLY_LANGUAGE_NL, DraftKind, Role
from avgdesk.triage.cases import actions, answers, legal, lifecycle, queries, timeline
from avgdesk.triage.cases import drafts as draft_cases
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.web import labels as L
from avgdesk.web.auth import require_role
from avgdesk.web.deps import db, get_ctx, render

router = APIRouter()


def _message_views(session: Session, messages: list[object]) -> list[dict[str, object]]:
    ids = [m.id for m in messages if m.id is not None]  # type: ignore[attr-defined]
    attachments: dict[int, list[Attachment]] = {}
    if ids:
        for a in session.exec(
            select(Attachment).where(col(Attachment.message_pk).in_(ids)).order_by(col(Attachment.part_index))
        ):
            attachments.setdefault(a.message_pk, []).append(a)
    views: list[dict[str, object]] = []
    for m in messages:
        explanations = {k: list(v) for k, v in (m.explanations or {}).items()}  # type: ignore[attr-defined]
        views.append(
            {
                "m": m,
                # Sanitised once at processing (issue 11): never on view.
                "html": m.html_safe,  # type: ignore[attr-defined]
                "attachments": attachments.get(m.id or -1, []),  # type: ignore[attr-defined]
                "scores": sorted((m.scores or {}).items(), key=lambda kv: -kv[1]),  # type: ignore[attr-defined]
                "explanations": explanations,
            }
        )
    return views


def _case_page(
    request: Request, session: Session, reference: str, *, error: str | None = None, status_code: int = 200
) -> Response:
    ctx = get_ctx(request)
    case = lifecycle.find_case(session, reference)
    detail = queries.case_detail(session, case, ctx.settings)
    active = select(User).where(col(User.active).is_(True)).order_by(col(User.username))
    kinds = {d.id: d.kind for d in detail.drafts if d.id is not None}
    role = getattr(getattr(request.state, "user", None), "role", Role.MEDEWERKER.value)
    return render(
        request,
        "case.html",
        {
            "d": detail,
            "case": case,
            "messages": _message_views(session, detail.messages),  # type: ignore[arg-type]
            "deadline_lines": detail.deadline.explain("nl").splitlines() if detail.deadline else [],
            "is_open": case.state.value in L.OPEN_STATES,
            "paused": case.state in lifecycle.PAUSED_STATES,
            "open_pause": next((p for p in detail.pauses if p.resumed_at is None), None),
            "unanswered": answers.unanswered(session, case),
            "staff": [u.username for u in session.exec(active)],
            "kinds": list(DraftKind),
            "timeline": timeline.timeline(detail.audit, kinds),
            # Only the outcomes this user may choose (an option that ends in a 403 is not offered).
            "outcomes": {key: OUTCOME_NL[key] for key in lifecycle.closing_outcomes(role)},
            "breach_late": detail.breach is not None and detail.breach.overdue(utcnow()),
            "may_decide_breach": Role(role).rank >= legal.BREACH_DECISION_ROLE.rank,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/cases/{reference}")
def case_page(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    return _case_page(request, session, reference)


def _back(reference: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{quote(reference)}{anchor}", status_code=303)


def _refused(request: Request, session: Session, reference: str, exc: AvgdeskError) -> Response:
    """The case page again, with what the rule says (Dutch), as 409."""
    session.expire_all()
    return _case_page(request, session, reference, error=staff_text(exc), status_code=409)


@router.post("/cases/{reference}/relabel")
def relabel(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    message_id: Annotated[int, Form()],
    labels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        actions.relabel(
            ctx.engine, ctx.settings, reference, labels or [], by=user.username, message_pk=message_id
        )
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference, f"#bericht-{message_id}")


@router.post("/cases/{reference}/assign")
def assign(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    assignee: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    try:
        actions.assign(get_ctx(request).engine, reference, assignee or None, by=user.username)
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference)


@router.post("/cases/{reference}/extend")
def extend(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    ground: Annotated[str, Form(max_length=40)] = "",
    months: Annotated[int, Form(ge=1, le=2)] = 2,
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        result = actions.extend(
            ctx.engine, ctx.settings, reference, by=user.username, reason=reason, ground=ground, months=months
        )
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return RedirectResponse(f"/drafts/{result.draft_id}", status_code=303)


@router.post("/cases/{reference}/pause")
def pause(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    reason: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    make_draft: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        result = actions.pause(
            ctx.engine,
            ctx.settings,
            reference,
            by=user.username,
            reason=reason,
            note=note,
        )
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    if result.draft_id is not None:
        return RedirectResponse(f"/drafts/{result.draft_id}", status_code=303)
    return _back(reference)


@router.post("/cases/{reference}/identity")
def identity_verified(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    """Identiteit gecontroleerd (issue 13): who and when; every copy of the ID document removed."""
    from avgdesk.triage.cases.identity import mark_identity_verified

    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        mark_identity_verified(ctx.engine, ctx.settings, reference, by=user.username)
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference)


@router.post("/cases/{reference}/resume")
def resume(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        actions.resume(ctx.engine, ctx.settings, reference, by=user.username)
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference)


@router.post("/cases/{reference}/close")
def close(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    outcome: Annotated[str, Form(max_length=20)] = "",
    justification: Annotated[str, Form(max_length=5000)] = "",
    override_reason: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    # Only approvers may call a request manifestly unfounded (Art. 12(5)): a role, not a rule.
    user = require_role(request, lifecycle.OUTCOME_ROLES.get(outcome, Role.MEDEWERKER).value)
    if not confirm:
        # The confirmation of an irreversible step is the page's, not a rule of the case.
        return _refused(
            request,
            session,
            reference,
            UnknownChoice("closing not confirmed", "Vink aan dat u de zaak wilt sluiten."),
        )
    try:
        actions.close(
            get_ctx(request).engine,
            reference,
            by=user.username,
            outcome=outcome,
            justification=justification or None,
            override_reason=override_reason or None,
        )
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference)


@router.post("/cases/{reference}/breach")
def breach_decision(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    decision: Annotated[str, Form(max_length=20)] = "",
    reported_on: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    correction: Annotated[str, Form(max_length=1)] = "",
    corrects: Annotated[int | None, Form()] = None,
) -> Response:
    """Possible breach: reported to the AP on a day, or not notifiable with a reason; with
    ``correction`` the decision that stands is replaced (a reason is required)."""
    user = require_role(request, legal.BREACH_DECISION_ROLE.value)
    ctx = get_ctx(request)
    try:
        actions.decide_breach(
            ctx.engine,
            ctx.settings,
            reference,
            by=user.username,
            decision=decision,
            reported_on=reported_on or None,
            reason=reason,
            correction=correction == "1",
            corrects=corrects,
        )
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference)


@router.post("/cases/{reference}/reopen")
def reopen(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        actions.reopen(ctx.engine, ctx.settings, reference, by=user.username, reason=reason)
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference)


@router.post("/cases/{reference}/notes")
def add_note(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    text: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    try:
        actions.add_note(get_ctx(request).engine, reference, text, by=user.username)
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return _back(reference, "#notities")


@router.get("/cases/{reference}/drafts/new")
def new_draft_form(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    case = lifecycle.find_case(session, reference)
    # Only the languages the organisation's profile can write whole letters in (issue 15).
    profile = drafting_context(get_ctx(request).settings).controller()
    offered = {code: REPLY_LANGUAGE_NL[code] for code in profile.letter_languages()}
    page = {"case": case, "kinds": list(DraftKind), "reply_languages": REPLY_LANGUAGE_NL, "offered": offered}
    return render(request, "draft_new.html", page)


@router.post("/cases/{reference}/drafts/new")
def new_draft(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    kind: Annotated[str, Form(max_length=40)],
    language: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        result = draft_cases.create(
            ctx.engine, ctx.settings, reference, kind, by=user.username, language=language
        )
    except RuleViolation as exc:
        return _refused(request, session, reference, exc)
    return RedirectResponse(f"/drafts/{result.draft_id}", status_code=303)


# --- attachments -------------------------------------------------------------------------

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def ascii_filename(name: str | None, fallback: str) -> str:
    folded = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    folded = _FILENAME_UNSAFE.sub("_", folded).strip(" ._")[:120]
    return folded or fallback


def content_disposition(name: str | None, fallback: str) -> str:
    plain = ascii_filename(name, fallback)
    value = f'attachment; filename="{plain}"'
    if name:
        cleaned = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", name)[:200]
        value += f"; filename*=UTF-8''{quote(cleaned, safe='')}"
    return value


def extract_part(raw: bytes, part_index: int, sha256: str) -> bytes | None:
    """The decoded bytes of MIME part number ``part_index`` (as counted by the parser),
    checked against the stored digest."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    for i, part in enumerate(msg.walk(), start=1):
        if i != part_index:
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            payload = part.get_payload()
            data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return data if hashlib.sha256(data).hexdigest() == sha256 else None
    return None


@router.get("/messages/{message_pk}/attachments/{part_index}")
def attachment(
    request: Request, message_pk: int, part_index: int, session: Annotated[Session, Depends(db)]
) -> Response:
    require_role(request, "medewerker")
    meta = session.exec(
        select(Attachment).where(Attachment.message_pk == message_pk, Attachment.part_index == part_index)
    ).first()
    raw = session.get(MessageRaw, message_pk)
    if meta is None or raw is None:
        raise NotFoundError("bijlage niet gevonden")
    data = extract_part(raw.data, part_index, meta.sha256)
    if data is None:
        raise NotFoundError("bijlage niet gevonden of gewijzigd")
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": content_disposition(meta.filename, f"bijlage-{message_pk}-{part_index}"),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
