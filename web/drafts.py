"""Drafts: the list, the editor (template fields, text, preview), approval and discarding.

Approving is for the approver and admin roles; the outbox in the worker sends what was
approved, exactly as approved.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.responses import Response

from avgdesk.models import Case, Draft, DraftState, OutboxItem
from avgdesk.models.errors import InvalidOperation, NotFoundError
from avgdesk.replies import drafting
from avgdesk.replies.errors import RenderError
from avgdesk.replies.rendering import (
    FIELD_SPECS,
    DraftKind,
    FieldSpec,
    RenderedReply,
    optional_fields,
    render,
)
from avgdesk.web import labels as L
from avgdesk.web.auth import require_role
from avgdesk.web.deps import db, get_ctx
from avgdesk.web.deps import render as render_page
from avgdesk.web.sanitize import sanitize_html
from avgdesk.web.services import drafting_context

router = APIRouter()


def field_specs(kind: str) -> list[FieldSpec]:
    specs = list(FIELD_SPECS.get(DraftKind(kind), ()))
    names = {s.name for s in specs}
    if "customer_number" in optional_fields(kind) and "customer_number" not in names:
        specs.insert(0, FieldSpec("customer_number", "text", False, "customer or contract number"))
    return specs


def parse_fields(kind: str, form: FormData) -> dict[str, Any]:
    """Form values → template fields (empty inputs are left out)."""
    result: dict[str, Any] = {}
    for spec in field_specs(kind):
        key = f"field_{spec.name}"
        raw = form.get(key)
        value = raw if isinstance(raw, str) else ""
        if spec.type == "bool":
            result[spec.name] = bool(value)
        elif spec.type == "lines":
            lines = [line.strip() for line in value.splitlines() if line.strip()]
            if lines:
                result[spec.name] = lines
        elif spec.type == "retained":
            rows = []
            for line in value.splitlines():
                if not line.strip():
                    continue
                parts = [p.strip() for p in line.split("|")]
                parts += [""] * (3 - len(parts))
                rows.append({"item": parts[0], "ground": parts[1], "period": parts[2]})
            if rows:
                result[spec.name] = rows
        elif value.strip():
            result[spec.name] = value.strip()
    return result


def field_values(kind: str, fields: dict[str, Any]) -> dict[str, str | bool]:
    """Stored fields → what the form inputs show."""
    out: dict[str, str | bool] = {}
    for spec in field_specs(kind):
        value = fields.get(spec.name)
        if spec.type == "bool":
            out[spec.name] = bool(value)
        elif spec.type == "lines" and isinstance(value, list):
            out[spec.name] = "\n".join(str(v) for v in value)
        elif spec.type == "retained" and isinstance(value, list):
            out[spec.name] = "\n".join(
                f"{r.get('item', '')} | {r.get('ground', '')} | {r.get('period', '')}"
                for r in value
                if isinstance(r, dict)
            )
        elif isinstance(value, date):
            out[spec.name] = value.isoformat()
        else:
            out[spec.name] = "" if value is None else str(value)
    return out


@router.get("/drafts")
def drafts_list(request: Request, session: Annotated[Session, Depends(db)], state: str = "draft") -> Response:
    stmt = select(Draft).order_by(col(Draft.created_at).desc()).limit(500)
    if state in L.DRAFT_STATE_NL:
        stmt = stmt.where(Draft.state == DraftState(state))
    rows = list(session.exec(stmt))
    cases = {c.id: c for c in session.exec(select(Case).where(col(Case.id).in_({d.case_id for d in rows})))}
    return render_page(request, "drafts.html", {"drafts": rows, "cases": cases, "state": state})


def _load(session: Session, draft_id: int) -> tuple[Draft, Case]:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFoundError(f"concept {draft_id} bestaat niet")
    case = session.get(Case, draft.case_id)
    assert case is not None
    return draft, case


def _editor(
    request: Request,
    session: Session,
    draft: Draft,
    case: Case,
    *,
    preview: RenderedReply | None = None,
    preview_error: str | None = None,
    values: dict[str, str | bool] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    shown = preview or drafting.preview(draft)
    outbox = session.exec(select(OutboxItem).where(OutboxItem.draft_id == draft.id)).first()
    return render_page(
        request,
        "draft.html",
        {
            "draft": draft,
            "case": case,
            "specs": field_specs(draft.kind),
            "values": values if values is not None else field_values(draft.kind, draft.fields),
            "preview": shown,
            "preview_html": sanitize_html(shown.html) if shown.html else "",
            "is_unsaved_preview": preview is not None,
            "preview_error": preview_error,
            "editable": draft.state in (DraftState.DRAFT, DraftState.APPROVED),
            "outbox": outbox,
            "error": error or request.query_params.get("fout"),
            "kinds": list(DraftKind),
        },
        status_code=status_code,
    )


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    draft, case = _load(session, draft_id)
    return _editor(request, session, draft, case)


@router.post("/drafts/{draft_id}/fields")
async def draft_fields(request: Request, draft_id: int) -> Response:
    """Apply the template fields (re-renders the letter) or, with action=preview, only show
    what the letter would look like."""
    form = await request.form()
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_draft_fields, request, draft_id, form)


def _draft_fields(request: Request, draft_id: int, form: FormData) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    dctx = drafting_context(ctx.settings, ctx.web)
    with Session(ctx.engine, expire_on_commit=False) as session:
        draft, case = _load(session, draft_id)
        fields = parse_fields(draft.kind, form)
        if form.get("action") == "preview":
            rctx = drafting.reply_context(case, staff_name=user.username, tz=ctx.settings.tz, fields=fields)
            try:
                rendered = render(draft.kind, rctx, dctx.controller())
            except RenderError as exc:
                return _editor(
                    request,
                    session,
                    draft,
                    case,
                    preview_error=str(exc),
                    values=field_values(draft.kind, fields),
                    status_code=400,
                )
            return _editor(
                request, session, draft, case, preview=rendered, values=field_values(draft.kind, fields)
            )
        try:
            drafting.edit_draft(session, draft, editor=user.username, ctx=dctx, fields=fields)
            # Crash before: the draft is unchanged. Crash after: edited (and any approval revoked).
            session.commit()
        except InvalidOperation as exc:
            session.rollback()
            return _editor(request, session, draft, case, error=str(exc), status_code=409)
        return RedirectResponse(f"/drafts/{draft.id}#voorbeeld", status_code=303)


@router.post("/drafts/{draft_id}/text")
def draft_text(
    request: Request,
    draft_id: int,
    session: Annotated[Session, Depends(db)],
    subject: Annotated[str, Form(max_length=500)],
    body_text: Annotated[str, Form(max_length=200_000)],
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    draft, case = _load(session, draft_id)
    if action == "preview":
        shown = RenderedReply(subject=subject, text=body_text, html=drafting._text_to_html(body_text))
        return _editor(request, session, draft, case, preview=shown)
    try:
        drafting.edit_draft(
            session,
            draft,
            editor=user.username,
            ctx=drafting_context(ctx.settings, ctx.web),
            subject=subject,
            body_text=body_text,
        )
        # Crash before: the draft is unchanged. Crash after: edited (and any approval revoked).
        session.commit()
    except InvalidOperation as exc:
        session.rollback()
        return _editor(request, session, draft, case, error=str(exc), status_code=409)
    return RedirectResponse(f"/drafts/{draft.id}#voorbeeld", status_code=303)


@router.post("/drafts/{draft_id}/approve")
def draft_approve(
    request: Request,
    draft_id: int,
    session: Annotated[Session, Depends(db)],
    version: Annotated[int, Form()],
) -> Response:
    user = require_role(request, "approver")
    ctx = get_ctx(request)
    draft, case = _load(session, draft_id)
    if version != draft.version:
        return _editor(
            request,
            session,
            draft,
            case,
            error="Het concept is intussen gewijzigd. "
            "Lees de nieuwe versie en keur die zo nodig opnieuw goed.",
            status_code=409,
        )
    try:
        drafting.approve_draft(
            session, draft, approver=user.username, ctx=drafting_context(ctx.settings, ctx.web)
        )
        # Crash before: not approved, nothing queued. Crash after: approved and queued together.
        session.commit()
    except InvalidOperation as exc:
        session.rollback()
        return _editor(request, session, draft, case, error=str(exc), status_code=409)
    return RedirectResponse(f"/drafts/{draft.id}", status_code=303)


@router.post("/drafts/{draft_id}/discard")
def draft_discard(request: Request, draft_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    user = require_role(request, "medewerker")
    draft, case = _load(session, draft_id)
    try:
        drafting.discard_draft(session, draft, by=user.username)
        # Crash before: the draft stays. Crash after: discarded, with its audit event.
        session.commit()
    except InvalidOperation as exc:
        session.rollback()
        return _editor(request, session, draft, case, error=str(exc), status_code=409)
    return RedirectResponse(f"/cases/{case.reference}", status_code=303)
