"""The queue: search, filters, sort, saved views (per staff member) and the built-in views.

Reading goes through :mod:`avgdesk.triage.cases.queries`; saving and deleting a view are use
cases of :mod:`avgdesk.triage.cases.actions` (the routes never commit).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select
from starlette.responses import Response

from avgdesk.models.tables import CaseState, SavedView
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import actions, lifecycle, queries
from avgdesk.web import labels as L
from avgdesk.web.auth import CurrentUser, require_role
from avgdesk.web.deps import db, get_ctx, render
from avgdesk.web.paging import page_links

router = APIRouter()

DUE_FILTERS = {
    "overdue": ("te laat", -1),
    "7": ("binnen 7 dagen", 7),
    "14": ("binnen 14 dagen", 14),
}
QUEUE_PARAMS = ("q", "state", "right", "due", "mine", "approval", "answered", "sort", "dir", "page")
"""What a queue link keeps; ``page`` is dropped from saved views (a view is a filter)."""
BUILTIN_VIEWS = (
    ("Mijn zaken", {"mine": "1"}),
    ("Te laat", {"due": "overdue"}),
    ("Wacht op goedkeuring", {"approval": "1"}),
    ("Beantwoord, nog sluiten", {"answered": "1"}),
)
COLUMNS = (
    ("due", "Termijn"),
    ("reference", "Kenmerk"),
    ("requester", "Verzoeker"),
    (None, "Rechten"),
    ("state", "Status"),
    ("received", "Ontvangen"),
    ("assignee", "Behandelaar"),
)


def _queue_filter(params: dict[str, str], user: CurrentUser, today: date) -> queries.QueueFilter:
    state = params.get("state", "open")
    due = params.get("due", "")
    due_before = today + timedelta(days=DUE_FILTERS[due][1]) if due in DUE_FILTERS else None
    return queries.QueueFilter(
        states=[CaseState(state)] if state in L.STATE_NL else None,
        open_only=state == "open",
        right=params.get("right") if params.get("right") in L.LABEL_NL else None,
        due_before=due_before,
        query=params.get("q", "").strip() or None,
        assignee=user.username if params.get("mine") else None,
        awaiting_approval=bool(params.get("approval")),
        answered_open=bool(params.get("answered")),
        sort=params.get("sort") if params.get("sort") in queries.SORT_KEYS else "due",  # type: ignore[arg-type]
        descending=params.get("dir") == "desc",
    )


def _url(params: dict[str, str], **changes: str) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v and k in QUEUE_PARAMS}
    return "/cases" + (f"?{urlencode(merged)}" if merged else "")


@router.get("/cases")
def queue(
    request: Request,
    session: Annotated[Session, Depends(db)],
    state: Annotated[str, Query(max_length=40)] = "open",
    right: Annotated[str, Query(max_length=40)] = "",
    due: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    mine: Annotated[str, Query(max_length=1)] = "",
    approval: Annotated[str, Query(max_length=1)] = "",
    answered: Annotated[str, Query(max_length=1)] = "",
    sort: Annotated[str, Query(max_length=20)] = "due",
    dir: Annotated[str, Query(max_length=4)] = "asc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    ctx = get_ctx(request)
    user = require_role(request, "medewerker")
    today = utcnow().astimezone(ctx.settings.tz).date()
    params = {"q": q, "state": state, "right": right, "due": due, "mine": mine, "approval": approval}
    params["answered"] = answered
    params.update({"sort": sort if sort != "due" else "", "dir": dir if dir == "desc" else ""})
    found = queries.queue_page(
        session, _queue_filter(params, user, today), number=page, size=ctx.web.page_rows
    )
    cases = found.items
    views = session.exec(
        select(SavedView).where(SavedView.owner == user.username).order_by(col(SavedView.name))
    )
    headers = []
    for key, label in COLUMNS:
        current = key == (sort if sort in queries.SORT_KEYS else "due")
        flip = "desc" if current and dir != "desc" else ""
        headers.append(
            {
                "label": label,
                "url": _url(params, sort=key if key != "due" else "", dir=flip) if key else None,
                "sort": ("descending" if dir == "desc" else "ascending") if current else None,
            }
        )
    return render(
        request,
        "cases.html",
        {
            "cases": cases,
            "found": found,
            "page_links": page_links(found, lambda n: _url(params, page=str(n) if n > 1 else "")),
            "risks": {c.id: lifecycle.case_risk(c, ctx.settings) for c in cases},
            "pending": {c.id for c in cases if lifecycle.extension_pending(c)},
            "today": today,
            "f": params,
            "due_filters": DUE_FILTERS,
            "headers": headers,
            "builtin": [
                (name, _url(extra), all(params.get(k) == v for k, v in extra.items()))
                for name, extra in BUILTIN_VIEWS
            ],
            "views": list(views),
            "query_string": urlencode({k: v for k, v in params.items() if v}),
        },
    )


@router.post("/cases/views")
def save_view(
    request: Request,
    session: Annotated[Session, Depends(db)],
    name: Annotated[str, Form(max_length=80)] = "",
    query: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Save the queue's current filter under a name (per staff member)."""
    user = require_role(request, "medewerker")
    clean = name.strip()
    # Only the queue's own parameters are kept: a saved view can only ever filter the queue.
    query = urlencode(
        [(k, v) for k, v in parse_qsl(query.lstrip("?")) if k in QUEUE_PARAMS and k != "page" and v]
    )
    if clean:
        actions.save_view(get_ctx(request).engine, owner=user.username, name=clean, query=query)
    return RedirectResponse(f"/cases?{query}" if query else "/cases", status_code=303)


@router.post("/cases/views/{view_id}/delete")
def delete_view(request: Request, view_id: int, session: Annotated[Session, Depends(db)]) -> Response:
    user = require_role(request, "medewerker")
    actions.delete_view(get_ctx(request).engine, owner=user.username, view_id=view_id)
    return RedirectResponse("/cases", status_code=303)
