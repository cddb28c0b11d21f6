"""The queue and the case page, with the case actions (relabel, assign, extend, pause,
resume, close), new drafts and attachment downloads."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import unicodedata
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from avgdesk.models import Attachment, Case, CaseState, InboundMessage, MessageRaw, PauseReason, User, utcnow
from avgdesk.models.errors import InvalidOperation, NotFoundError
from avgdesk.replies import drafting
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import lifecycle
from avgdesk.web import labels as L
from avgdesk.web.auth import require_role
from avgdesk.web.deps import db, get_ctx, render
from avgdesk.web.sanitize import sanitize_html
from avgdesk.web.services import drafting_context

router = APIRouter()

DUE_FILTERS = {
    "overdue": ("te laat", -1),
    "7": ("binnen 7 dagen", 7),
    "14": ("binnen 14 dagen", 14),
}


@router.get("/cases")
def queue(
    request: Request,
    session: Annotated[Session, Depends(db)],
    state: Annotated[str, Query(max_length=40)] = "open",
    right: Annotated[str, Query(max_length=40)] = "",
    due: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    ctx = get_ctx(request)
    today = utcnow().astimezone(ctx.settings.tz).date()
    states = [CaseState(state)] if state in L.STATE_NL else None
    due_before = None
    if due in DUE_FILTERS:
        due_before = today + timedelta(days=DUE_FILTERS[due][1])
    cases = lifecycle.list_cases(
        session,
        states=states,
        right=right if right in L.LABEL_NL else None,
        due_before=due_before,
        query=q.strip() or None,
        open_only=state == "open",
    )
    risks = {c.id: lifecycle.case_risk(c, ctx.settings) for c in cases}
    return render(
        request,
        "cases.html",
        {
            "cases": cases,
            "risks": risks,
            "today": today,
            "f": {"state": state, "right": right, "due": due, "q": q},
            "due_filters": DUE_FILTERS,
        },
    )


def _message_views(session: Session, messages: list[InboundMessage]) -> list[dict[str, object]]:
    ids = [m.id for m in messages if m.id is not None]
    attachments: dict[int, list[Attachment]] = {}
    if ids:
        for a in session.exec(
            select(Attachment).where(col(Attachment.message_pk).in_(ids)).order_by(col(Attachment.part_index))
        ):
            attachments.setdefault(a.message_pk, []).append(a)
    views: list[dict[str, object]] = []
    for m in messages:
        explanations = {k: list(v) for k, v in (m.explanations or {}).items()}
        views.append(
            {
                "m": m,
                "html": sanitize_html(m.html) if m.html else None,
                "attachments": attachments.get(m.id or -1, []),
                "scores": sorted((m.scores or {}).items(), key=lambda kv: -kv[1]),
                "explanations": explanations,
            }
        )
    return views


@router.get("/cases/{reference}")
def case_page(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    ctx = get_ctx(request)
    case = lifecycle.find_case(session, reference)
    detail = lifecycle.case_detail(session, case, ctx.settings)
    active = select(User).where(col(User.active).is_(True)).order_by(col(User.username))
    staff = [u.username for u in session.exec(active)]
    return render(
        request,
        "case.html",
        {
            "d": detail,
            "case": case,
            "messages": _message_views(session, detail.messages),
            "deadline_lines": detail.deadline.explain("nl").splitlines() if detail.deadline else [],
            "is_open": case.state.value in L.OPEN_STATES,
            "paused": case.state in lifecycle.PAUSED_STATES,
            "staff": staff,
            "kinds": list(DraftKind),
            "error": request.query_params.get("fout"),
        },
    )


def _back(case: Case, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{quote(case.reference)}{anchor}", status_code=303)


def _fail(request: Request, session: Session, case: Case, exc: Exception) -> Response:
    session.rollback()
    return RedirectResponse(
        f"/cases/{quote(case.reference)}?fout={quote(str(exc)[:300])}#acties", status_code=303
    )


@router.post("/cases/{reference}/relabel")
def relabel(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    message_id: Annotated[int, Form()],
    labels: Annotated[list[str] | None, Form()] = None,
) -> Response:
    user = require_role(request, "medewerker")
    case = lifecycle.find_case(session, reference)
    message = session.get(InboundMessage, message_id)
    if message is None or message.case_id != case.id:
        raise NotFoundError("dit bericht hoort niet bij deze zaak")
    try:
        settings = get_ctx(request).settings
        lifecycle.relabel(session, message, labels or [], by=user.username, settings=settings)
        # Crash before: the labels are unchanged. Crash after: relabelled, the correction stored.
        session.commit()
    except InvalidOperation as exc:
        return _fail(request, session, case, exc)
    return _back(case, f"#bericht-{message_id}")


@router.post("/cases/{reference}/assign")
def assign(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    assignee: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    case = lifecycle.find_case(session, reference)
    if assignee and session.exec(select(User).where(User.username == assignee)).first() is None:
        return _fail(request, session, case, NotFoundError(f"gebruiker {assignee} bestaat niet"))
    lifecycle.assign(session, case, assignee or None, by=user.username)
    # Crash before: unchanged. Crash after: assigned, with its audit event.
    session.commit()
    return _back(case)


@router.post("/cases/{reference}/extend")
def extend(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    months: Annotated[int, Form(ge=1, le=2)] = 2,
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    case = lifecycle.find_case(session, reference)
    if not reason.strip():
        return _fail(
            request,
            session,
            case,
            InvalidOperation("Een verlenging heeft een reden nodig (art. 12 lid 3 AVG)."),
        )
    try:
        _, draft = lifecycle.extend_with_notice(
            session,
            case,
            by=user.username,
            reason=reason,
            months=months,
            now=utcnow(),
            settings=ctx.settings,
            drafting=drafting_context(ctx.settings, ctx.web),
        )
        # Crash before: neither extension nor notice. Crash after: both, with their audit events.
        session.commit()
    except InvalidOperation as exc:
        return _fail(request, session, case, exc)
    return RedirectResponse(f"/drafts/{draft.id}", status_code=303)


@router.post("/cases/{reference}/pause")
def pause(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    reason: Annotated[str, Form()] = "",
    make_draft: Annotated[str, Form()] = "",
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    case = lifecycle.find_case(session, reference)
    if reason not in ("identity", "clarification"):
        return _fail(
            request,
            session,
            case,
            InvalidOperation("Kies waarop de zaak wacht: identificatie of verduidelijking."),
        )
    try:
        lifecycle.pause(session, case, by=user.username, reason=PauseReason(reason), settings=ctx.settings)
        draft = None
        if make_draft:
            kind = DraftKind.IDENTITY_REQUEST if reason == "identity" else DraftKind.CLARIFICATION_REQUEST
            draft = drafting.create_draft(
                session, case, kind, author=user.username, ctx=drafting_context(ctx.settings, ctx.web)
            )
        # Crash before: not paused. Crash after: paused (and the request drafted).
        session.commit()
    except InvalidOperation as exc:
        return _fail(request, session, case, exc)
    if draft is not None:
        return RedirectResponse(f"/drafts/{draft.id}", status_code=303)
    return _back(case)


@router.post("/cases/{reference}/resume")
def resume(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    user = require_role(request, "medewerker")
    case = lifecycle.find_case(session, reference)
    try:
        lifecycle.resume(session, case, by=user.username, settings=get_ctx(request).settings)
        # Crash before: still paused. Crash after: the clock runs again.
        session.commit()
    except InvalidOperation as exc:
        return _fail(request, session, case, exc)
    return _back(case)


@router.post("/cases/{reference}/close")
def close(
    request: Request,
    reference: str,
    session: Annotated[Session, Depends(db)],
    outcome: Annotated[str, Form(max_length=20)] = "",
    justification: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    user = require_role(request, "approver" if outcome == "unfounded" else "medewerker")
    case = lifecycle.find_case(session, reference)
    if outcome not in L.OUTCOME_NL:
        return _fail(request, session, case, InvalidOperation("Kies een uitkomst."))
    if outcome == "unfounded" and not justification.strip():
        return _fail(
            request,
            session,
            case,
            InvalidOperation("Kennelijk ongegrond of buitensporig vraagt een schriftelijke onderbouwing."),
        )
    try:
        lifecycle.close(session, case, by=user.username, outcome=outcome, justification=justification or None)
        # Crash before: still open. Crash after: closed, with its audit event.
        session.commit()
    except InvalidOperation as exc:
        return _fail(request, session, case, exc)
    return _back(case)


@router.get("/cases/{reference}/drafts/new")
def new_draft_form(request: Request, reference: str, session: Annotated[Session, Depends(db)]) -> Response:
    case = lifecycle.find_case(session, reference)
    return render(request, "draft_new.html", {"case": case, "kinds": list(DraftKind)})


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
    case = lifecycle.find_case(session, reference)
    if kind not in {k.value for k in DraftKind}:
        return _fail(request, session, case, InvalidOperation("Onbekend soort brief."))
    draft = drafting.create_draft(
        session,
        case,
        DraftKind(kind),
        author=user.username,
        ctx=drafting_context(ctx.settings, ctx.web),
        language=language if language in ("nl", "en") else None,
    )
    # Crash before: no draft. Crash after: the draft and its audit event are in.
    session.commit()
    return RedirectResponse(f"/drafts/{draft.id}", status_code=303)


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
