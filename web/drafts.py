"""Drafts: the list (with bulk approval of acknowledgements), the editor (template fields,
text, preview, versions with their differences), approval and discarding.

The editor never loses a keystroke: a preview shows what is in the boxes and gives the
boxes back as they were; saving saves what is in the box; a refused save shows the box
again with its text; rebuilding the text from the template after manual edits needs an
explicit confirmation. Approving and discarding need a confirmation checkbox (works
without JavaScript). Every change goes through :mod:`avgdesk.triage.cases.drafts`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from avgdesk.models.errors import DraftNotFound, RuleViolation, UnknownChoice, staff_text
from avgdesk.models.tables import Case, Draft, DraftState, OutboxItem
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
from avgdesk.triage.cases import drafts as draft_cases
from avgdesk.triage.cases import queries
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.web import labels as L
from avgdesk.web.auth import require_role
from avgdesk.web.deps import db, get_ctx
from avgdesk.web.deps import render as render_page
from avgdesk.web.paging import page_links
from avgdesk.web.sanitize import sanitize_html

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
def drafts_list(
    request: Request,
    session: Annotated[Session, Depends(db)],
    state: Annotated[str, Query(max_length=20)] = "draft",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    rows = get_ctx(request).web.page_rows
    chosen = DraftState(state) if state in L.DRAFT_STATE_NL else None
    found = queries.draft_page(session, chosen, number=page, size=rows)
    shown = state if chosen is not None else "all"
    return render_page(
        request,
        "drafts.html",
        {
            "found": found,
            "page_links": page_links(found, lambda n: "/drafts?" + urlencode(_drafts_query(shown, n))),
            "state": state,
            **_bulk(session, rows),
        },
    )


def _drafts_query(state: str, page: int) -> dict[str, str]:
    return {"state": state, **({"page": str(page)} if page > 1 else {})}


@router.post("/drafts/approve-acknowledgements")
def approve_acknowledgements(
    request: Request,
    session: Annotated[Session, Depends(db)],
    draft_ids: Annotated[list[int] | None, Form()] = None,
    confirm: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """One confirmation for several acknowledgements; each approval is its own use case
    (audited separately, four eyes and roles as for one)."""
    user = require_role(request, "approver")
    ctx = get_ctx(request)
    error = None
    outcomes: list[draft_cases.BulkOutcome] = []
    if not draft_ids:
        error = "Kies ten minste één ontvangstbevestiging."
    elif not confirm:
        error = "Vink aan dat u de gekozen ontvangstbevestigingen goedkeurt."
    else:
        outcomes = draft_cases.approve_acknowledgements(ctx.engine, ctx.settings, draft_ids, by=user.username)
    return render_page(
        request,
        "drafts_bulk.html",
        {
            "outcomes": outcomes,
            "error": error,
            **_bulk(session, ctx.web.page_rows),
        },
        status_code=409 if error else 200,
    )


def _bulk(session: Session, rows: int) -> dict[str, Any]:
    """The bulk list and which of its cases have labels to check (not ticked by default)."""
    acknowledgements = queries.pending_acknowledgements(session, limit=rows)
    ids = [c.id for _, c in acknowledgements.items if c.id is not None]
    return {"acknowledgements": acknowledgements, "in_doubt": queries.cases_in_doubt(session, ids)}


def _load(session: Session, draft_id: int) -> tuple[Draft, Case]:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise DraftNotFound(f"no draft {draft_id}", f"Brief {draft_id} bestaat niet.")
    case = session.get(Case, draft.case_id)
    assert case is not None
    return draft, case


def _versions(session: Session, draft: Draft) -> list[dict[str, Any]]:
    """Kept versions, newest first, each with its difference to the version before."""
    kept = draft_cases.versions(session, draft.id or -1)
    out = []
    for older, newer in zip([None, *kept], kept, strict=False):
        out.append(
            {"v": newer, "diff": draft_cases.version_diff(older, newer) if older is not None else None}
        )
    return list(reversed(out))


def _editor(
    request: Request,
    session: Session,
    draft: Draft,
    case: Case,
    *,
    preview: RenderedReply | None = None,
    preview_error: str | None = None,
    values: dict[str, str | bool] | None = None,
    text: tuple[str, str] | None = None,
    error: str | None = None,
    confirm_rebuild: bool = False,
    status_code: int = 200,
) -> Response:
    """The editor page. ``text`` is (subject, body) as typed: it goes back into the boxes."""
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
            "subject_value": text[0] if text else draft.subject,
            "body_value": text[1] if text else draft.body_text,
            "text_changed": text is not None and text != (draft.subject, draft.body_text),
            "preview": shown,
            "preview_html": sanitize_html(shown.html) if shown.html else "",
            "is_unsaved_preview": preview is not None,
            "preview_error": preview_error,
            "editable": draft.state in (DraftState.DRAFT, DraftState.APPROVED),
            "manual_text": draft_cases.has_manual_text(session, draft.id or -1),
            "confirm_rebuild": confirm_rebuild,
            "versions": _versions(session, draft),
            "outbox": outbox,
            "error": error,
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
    """Rebuild the letter from the template fields or, with action=preview, only show what
    it would look like (the fields stay as typed)."""
    form = await request.form()
    return await run_in_threadpool(_draft_fields, request, draft_id, form)


def _draft_fields(request: Request, draft_id: int, form: FormData) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    with Session(ctx.engine, expire_on_commit=False) as session:
        draft, case = _load(session, draft_id)
        fields = parse_fields(draft.kind, form)
        typed = field_values(draft.kind, fields)
        manual = draft_cases.has_manual_text(session, draft_id)
        if form.get("action") == "preview":
            # As the edit will render it: the draft's own language and the signature the
            # letter gets (name and role, or the team), never a login name.
            profile = drafting_context(ctx.settings).controller()
            staff = profile.signature(None if draft.automatic else user.username, draft.language)
            rctx = drafting.reply_context(
                case,
                staff_name=staff,
                tz=ctx.settings.tz,
                fields=fields,
                kind=DraftKind(draft.kind),
                language=draft.language,
            )
            try:
                rendered = render(draft.kind, rctx, profile)
            except RenderError as exc:
                return _editor(
                    request, session, draft, case, preview_error=str(exc), values=typed, status_code=400
                )
            return _editor(request, session, draft, case, preview=rendered, values=typed)
        if manual and not form.get("confirm_rebuild"):
            return _editor(
                request,
                session,
                draft,
                case,
                values=typed,
                confirm_rebuild=True,
                error="Let op: opnieuw opbouwen vervangt de tekst die met de hand is aangepast. "
                "Vink aan dat u dat wilt, of pas alleen de tekst aan.",
                status_code=409,
            )
        # End the read before the use case opens its own transaction (SQLite: one writer).
        session.rollback()
        try:
            draft_cases.edit(
                ctx.engine,
                ctx.settings,
                draft_id,
                by=user.username,
                fields=fields,
                expected_version=_int(form),
            )
        except RuleViolation as exc:
            draft, case = _load(session, draft_id)
            return _editor(
                request, session, draft, case, values=typed, error=staff_text(exc), status_code=409
            )
    return RedirectResponse(f"/drafts/{draft_id}#voorbeeld", status_code=303)


def _int(form: FormData) -> int | None:
    raw = form.get("version")
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


@router.post("/drafts/{draft_id}/text")
def draft_text(
    request: Request,
    draft_id: int,
    session: Annotated[Session, Depends(db)],
    subject: Annotated[str, Form(max_length=500)],
    body_text: Annotated[str, Form(max_length=200_000)],
    action: Annotated[str, Form(max_length=20)] = "save",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Preview or save exactly what is in the boxes; on a preview or a refusal the boxes
    come back with the typed text."""
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    typed = (subject, drafting.normalise_newlines(body_text))
    if action == "preview":
        draft, case = _load(session, draft_id)
        shown = RenderedReply(subject=subject, text=typed[1], html=drafting._text_to_html(typed[1]))
        return _editor(request, session, draft, case, preview=shown, text=typed)
    try:
        draft_cases.edit(
            ctx.engine,
            ctx.settings,
            draft_id,
            by=user.username,
            subject=subject,
            body_text=typed[1],
            expected_version=version,
        )
    except RuleViolation as exc:
        draft, case = _load(session, draft_id)
        return _editor(request, session, draft, case, text=typed, error=staff_text(exc), status_code=409)
    return RedirectResponse(f"/drafts/{draft_id}#voorbeeld", status_code=303)


UNSAVED_EDITS = "Uw wijzigingen zijn nog niet opgeslagen: sla eerst op en lees de nieuwe versie."


@router.post("/drafts/{draft_id}/approve")
def draft_approve(
    request: Request,
    draft_id: int,
    session: Annotated[Session, Depends(db)],
    version: Annotated[int, Form()],
    confirm: Annotated[str, Form(max_length=1)] = "",
    subject: Annotated[str | None, Form(max_length=500)] = None,
    body_text: Annotated[str | None, Form(max_length=200_000)] = None,
) -> Response:
    """Approve the version the approver read. The editor page's approve button submits the
    text boxes too: text that differs from that version was typed and not saved, and is
    never dropped silently — the approval is refused and the boxes come back as typed."""
    user = require_role(request, "approver")
    ctx = get_ctx(request)
    draft, case = _load(session, draft_id)
    typed = _typed_text(draft, subject, body_text)
    if typed is not None and typed != _read_text(session, draft, version):
        return _editor(request, session, draft, case, text=typed, error=UNSAVED_EDITS, status_code=409)
    # End the read before the use case opens its own transaction (SQLite: one writer).
    session.rollback()
    try:
        draft_cases.approve(
            ctx.engine,
            ctx.settings,
            draft_id,
            by=user.username,
            expected_version=version,
            confirmed=bool(confirm),
        )
    except RuleViolation as exc:
        draft, case = _load(session, draft_id)
        return _editor(request, session, draft, case, error=staff_text(exc), status_code=409)
    return RedirectResponse(f"/drafts/{draft_id}", status_code=303)


def _typed_text(draft: Draft, subject: str | None, body_text: str | None) -> tuple[str, str] | None:
    """(subject, body) as sent with the approval, or None when the form sent no text."""
    if subject is None and body_text is None:
        return None
    body = draft.body_text if body_text is None else drafting.normalise_newlines(body_text)
    return (draft.subject if subject is None else subject, body)


def _read_text(session: Session, draft: Draft, version: int) -> tuple[str, str]:
    """The text of the version the approver had on screen (the current one when that
    version is not kept: the approval then fails on the version anyway)."""
    if version != draft.version:
        for kept in draft_cases.versions(session, draft.id or -1):
            if kept.version == version:
                return (kept.subject, kept.body_text)
    return (draft.subject, draft.body_text)


@router.post("/drafts/{draft_id}/discard")
def draft_discard(
    request: Request,
    draft_id: int,
    session: Annotated[Session, Depends(db)],
    confirm: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        if not confirm:
            raise UnknownChoice("discard not confirmed", "Vink aan dat u deze brief wilt verwerpen.")
        result = draft_cases.discard(ctx.engine, draft_id, by=user.username)
    except RuleViolation as exc:
        draft, case = _load(session, draft_id)
        return _editor(request, session, draft, case, error=staff_text(exc), status_code=409)
    return RedirectResponse(f"/cases/{result.reference}", status_code=303)
