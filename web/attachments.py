"""Attachments on the draft page (issue 17): upload, remove, download, and "Pakket maken"
for an access or portability reply. Each POST calls one use case of
:mod:`avgdesk.triage.cases.attachments` and returns to the draft; a refusal shows the
rule's Dutch message (409). The list (name, size, sha256 — part of what the approver
approves) reaches draft.html through the template global ``draft_attachments``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from avgdesk.models.engine import read_only
from avgdesk.models.errors import NotFoundError, RuleViolation
from avgdesk.models.tables import DraftAttachment
from avgdesk.replies.attachments import attachments_of
from avgdesk.triage.cases import attachments
from avgdesk.web.auth import require_role
from avgdesk.web.deps import get_ctx, refused

router = APIRouter()


def install(templates: Jinja2Templates) -> None:
    def draft_attachments(request: Request, draft_id: int) -> list[DraftAttachment]:
        with Session(read_only(get_ctx(request).engine)) as session:
            items = attachments_of(session, draft_id)
            for item in items:
                session.expunge(item)
            return items

    templates.env.globals["draft_attachments"] = draft_attachments


def _back(draft_id: int) -> RedirectResponse:
    return RedirectResponse(f"/drafts/{draft_id}#bijlagen", status_code=303)


@router.post("/drafts/{draft_id}/attachments")
async def upload(request: Request, draft_id: int, file: Annotated[UploadFile, File()]) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    # One byte more than allowed is enough to refuse; the request size was bounded before.
    data = await file.read(ctx.settings.attachment_max_bytes + 1)
    try:
        await run_in_threadpool(
            attachments.add, ctx.engine, ctx.settings, draft_id, file.filename or "", data, by=user.username
        )
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Bijlage niet gewijzigd")
    return _back(draft_id)


@router.post("/drafts/{draft_id}/attachments/{attachment_id}/remove")
def remove(request: Request, draft_id: int, attachment_id: int) -> Response:
    user = require_role(request, "medewerker")
    try:
        ctx = get_ctx(request)
        attachments.remove(ctx.engine, ctx.settings, draft_id, attachment_id, by=user.username)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Bijlage niet gewijzigd")
    return _back(draft_id)


@router.post("/drafts/{draft_id}/package")
def package(request: Request, draft_id: int) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        attachments.build_package(ctx.engine, ctx.settings, draft_id, by=user.username)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Bijlage niet gewijzigd")
    return _back(draft_id)


@router.get("/drafts/{draft_id}/attachments/{attachment_id}")
def download(request: Request, draft_id: int, attachment_id: int) -> Response:
    require_role(request, "medewerker")
    with Session(read_only(get_ctx(request).engine)) as session:
        item = session.get(DraftAttachment, attachment_id)
        if item is None or item.draft_id != draft_id:
            return refused(request, NotFoundError("no such attachment"), "Bijlage niet gewijzigd")
        data, name = item.data, item.filename
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )
