"""The per-case task checklist (issue 17): assign a task, close it as done or not
applicable (with a note), reopen it, collect the requester's data from the sql systems,
erase it in a system after an approver confirmed the preview, and let an approver override
open tasks with a reason. Each route calls one use case of
:mod:`avgdesk.triage.cases.tasks` (or ``collect``, ``erasure``) and returns to the case
page; a refusal shows the rule's Dutch message (409). The case page shows the list through
the template globals ``case_tasks`` and ``case_erasure`` (installed by :func:`install`), so
web/cases.py needs no change.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session
from starlette.responses import Response

from avgdesk.models.engine import read_only
from avgdesk.models.errors import NotFoundError, RuleViolation, TaskRefused
from avgdesk.models.tables import Case
from avgdesk.models.vocabulary import LABEL_NL, Role, TaskStatus
from avgdesk.triage.cases import collect, erasure, tasks
from avgdesk.web.auth import require_role
from avgdesk.web.deps import get_ctx, refused

router = APIRouter()

STATUS_NL = {
    TaskStatus.OPEN.value: "open",
    TaskStatus.DONE.value: "gedaan",
    TaskStatus.NOT_APPLICABLE.value: "niet van toepassing",
}


def install(templates: Jinja2Templates) -> None:
    """Make ``case_tasks(request, case_id)`` and ``task_status_nl`` available to templates."""

    def case_tasks(request: Request, case_id: int) -> list[tasks.TaskView]:
        ctx = get_ctx(request)
        with Session(read_only(ctx.engine)) as session:
            return tasks.tasks_of(session, case_id, ctx.settings)

    def case_erasure(request: Request, case_id: int) -> list[erasure.ErasurePlan]:
        ctx = get_ctx(request)
        with Session(read_only(ctx.engine)) as session:
            case = session.get(Case, case_id)
            return erasure.plans(session, case, ctx.settings) if case is not None else []

    templates.env.globals["case_tasks"] = case_tasks
    templates.env.globals["case_erasure"] = case_erasure
    templates.env.filters["right_nl"] = lambda value: LABEL_NL.get(str(value), str(value))
    templates.env.filters["task_status_nl"] = lambda value: STATUS_NL.get(str(value), str(value))


def _back(reference: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{quote(reference)}#taken", status_code=303)


@router.post("/tasks/{task_id}/assign")
def assign(request: Request, task_id: int, assignee: Annotated[str, Form(max_length=64)] = "") -> Response:
    user = require_role(request, "medewerker")
    try:
        reference = tasks.assign(get_ctx(request).engine, task_id, assignee or None, by=user.username)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Taak niet gewijzigd")
    return _back(reference)


@router.post("/tasks/{task_id}/close")
def close(
    request: Request,
    task_id: int,
    status: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=tasks.NOTE_MAX_CHARS)] = "",
) -> Response:
    user = require_role(request, "medewerker")
    try:
        reference = tasks.close_task(get_ctx(request).engine, task_id, status, by=user.username, note=note)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Taak niet gewijzigd")
    return _back(reference)


@router.post("/tasks/{task_id}/reopen")
def reopen(request: Request, task_id: int) -> Response:
    user = require_role(request, "medewerker")
    try:
        reference = tasks.reopen(get_ctx(request).engine, task_id, by=user.username)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Taak niet gewijzigd")
    return _back(reference)


@router.post("/cases/{reference}/collect")
def collect_data(request: Request, reference: str) -> Response:
    """Run the sql systems' queries for the verified requester; failures stay on the tasks."""
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        collect.collect(ctx.engine, ctx.settings, reference, by=user.username)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Taak niet gewijzigd")
    return _back(reference)


@router.post("/cases/{reference}/erase/{system_id}")
def erase(
    request: Request,
    reference: str,
    system_id: Annotated[str, Path(max_length=40)],
    token: Annotated[str, Form(max_length=64)],
    confirm: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Run the system's erasure statements for this person: approvers only, after ticking
    the confirmation of the preview they saw (its token). A connector failure stays on the
    task (nothing erased); a refused rule is a 409 page."""
    user = require_role(request, Role.APPROVER)
    if confirm != "ja":
        return refused(
            request,
            TaskRefused("erasure not confirmed", "Vink eerst aan dat u het overzicht hebt gecontroleerd."),
            "Taak niet gewijzigd",
        )
    ctx = get_ctx(request)
    try:
        erasure.run(ctx.engine, ctx.settings, reference, system_id, by=user.username, token=token)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Taak niet gewijzigd")
    return _back(reference)


@router.post("/cases/{reference}/tasks/override")
def override(
    request: Request,
    reference: str,
    right: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=tasks.NOTE_MAX_CHARS)] = "",
) -> Response:
    """An approver lets the answer for ``right`` go while its tasks are open, with a reason."""
    user = require_role(request, Role.APPROVER)
    try:
        tasks.override_open(get_ctx(request).engine, reference, right, reason, by=user.username)
    except (RuleViolation, NotFoundError) as exc:
        return refused(request, exc, "Taak niet gewijzigd")
    return _back(reference)
