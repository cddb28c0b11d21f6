"""Case page additions for issues 13, 11 and 17: the direct-marketing flag, the access facts
of this person (Art. 15(1): which purposes, categories, recipients, retention and sources
apply), linking a message to a case by hand, and the person's identity keys in NHMB's
systems (customer and contract number) that the sql systems' queries may bind.

Each route calls one use case of :mod:`avgdesk.triage.cases.actions` and returns to the case
page; a refusal shows the rule's Dutch message (409). The case page shows this section
through the template global ``case_facts`` (installed by :func:`install`), so web/cases.py
needs no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import Session, col, select
from starlette.responses import Response

from avgdesk.models.engine import read_only
from avgdesk.models.errors import AvgdeskError, NotFoundError
from avgdesk.models.tables import Case, Draft, InboundMessage
from avgdesk.replies.access_facts import FIELD_NL, ID_FIELDS, option_labels
from avgdesk.triage.cases import actions, collect, legal
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.web.auth import require_role
from avgdesk.web.deps import get_ctx, refused

router = APIRouter()


@dataclass(frozen=True)
class FactGroup:
    field: str
    title: str
    options: list[tuple[str, str, bool]]
    """(id, Dutch text, ticked)"""


@dataclass(frozen=True)
class Suggested:
    pk: int
    subject: str
    sender: str
    received_at: datetime


@dataclass(frozen=True)
class FactsView:
    marketing: bool
    objection: bool
    chosen: bool
    """True when staff chose the facts; else the ticks are the rule's proposal (a draft's)."""
    groups: list[FactGroup]
    suggested: list[Suggested]


def facts_view(session: Session, case: Case, request: Request) -> FactsView:
    ctx = get_ctx(request)
    stored = legal.access_facts(session, case)
    ticked = stored if stored is not None else _draft_fields(session, case)
    labels = option_labels(drafting_context(ctx.settings).controller())
    groups = [
        FactGroup(
            name, FIELD_NL[name], [(key, text, key in ticked.get(name, [])) for key, text in labels[name]]
        )
        for name in ID_FIELDS
    ]
    rows = session.exec(
        select(InboundMessage)
        .where(
            InboundMessage.suggested_case_id == case.id, col(InboundMessage.case_id).is_distinct_from(case.id)
        )
        .order_by(col(InboundMessage.id))
        .limit(50)
    )
    suggested = [
        Suggested(m.id, m.subject or "(geen onderwerp)", m.from_addr or "onbekend", m.received_at)
        for m in rows
        if m.id is not None
    ]
    return FactsView(
        marketing=legal.is_marketing_objection(session, case),
        objection="objection" in case.rights,
        chosen=stored is not None,
        groups=groups,
        suggested=suggested,
    )


def _draft_fields(session: Session, case: Case) -> dict[str, list[str]]:
    """The latest access draft's fields: what the letter says now, before staff chose."""
    draft = session.exec(
        select(Draft).where(Draft.case_id == case.id, Draft.kind == "access").order_by(col(Draft.id).desc())
    ).first()
    fields = draft.fields if draft is not None else {}
    return {name: [str(v) for v in fields.get(name) or []] for name in ID_FIELDS}


def install(templates: Jinja2Templates) -> None:
    """Make ``case_facts(request, case)`` available to the case page."""

    def case_facts(request: Request, case: Case) -> FactsView:
        with Session(read_only(get_ctx(request).engine)) as session:
            fresh = session.get(Case, case.id)
            if fresh is None:
                raise NotFoundError(f"case {case.reference} is gone")
            return facts_view(session, fresh, request)

    templates.env.globals["case_facts"] = case_facts


def _back(reference: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{quote(reference)}#{anchor}", status_code=303)


@router.post("/cases/{reference}/marketing")
def flag_marketing(request: Request, reference: str) -> Response:
    """Bezwaar tegen direct marketing (Art. 21(3)): the immediate confirmation is drafted."""
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        actions.flag_marketing(ctx.engine, ctx.settings, reference, by=user.username)
    except AvgdeskError as exc:
        return refused(request, exc, "Niet gewijzigd")
    return _back(reference, "inzage-feiten")


Ids = Annotated[list[str] | None, Form()]  # checked against the profile by the use case


@router.post("/cases/{reference}/access-facts")
def set_access_facts(  # one form field per Art. 15(1) list
    request: Request,
    reference: str,
    purpose_ids: Ids = None,
    category_ids: Ids = None,
    recipient_ids: Ids = None,
    retention_ids: Ids = None,
    source_ids: Ids = None,
) -> Response:
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    chosen = {
        "purpose_ids": purpose_ids or [],
        "category_ids": category_ids or [],
        "recipient_ids": recipient_ids or [],
        "retention_ids": retention_ids or [],
        "source_ids": source_ids or [],
    }
    try:
        actions.set_access_facts(ctx.engine, ctx.settings, reference, chosen, by=user.username)
    except AvgdeskError as exc:
        return refused(request, exc, "Niet gewijzigd")
    return _back(reference, "inzage-feiten")


@router.post("/messages/{message_pk}/link")
def link_message(
    request: Request,
    message_pk: Annotated[int, Path(ge=1, le=2**62)],
    reference: Annotated[str, Form(max_length=40)],
) -> Response:
    """Koppel dit bericht aan zaak …: a person's decision (issue 11), audited."""
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        result = actions.link_message(ctx.engine, reference, message_pk, by=user.username)
    except AvgdeskError as exc:
        return refused(request, exc, "Niet gewijzigd")
    return _back(result.reference, f"bericht-{message_pk}")


Key = Annotated[str, Form(max_length=collect.KEY_MAX_CHARS)]


@router.post("/cases/{reference}/identity-keys")
def set_identity_keys(
    request: Request, reference: str, customer_number: Key = "", contract_number: Key = ""
) -> Response:
    """Klantnummer and contractnummer of the requester (empty: unknown); rows collected with
    the old keys are dropped, so staff collect again."""
    user = require_role(request, "medewerker")
    ctx = get_ctx(request)
    try:
        collect.set_identity_keys(
            ctx.engine,
            reference,
            customer_number=customer_number,
            contract_number=contract_number,
            by=user.username,
        )
    except AvgdeskError as exc:
        return refused(request, exc, "Niet gewijzigd")
    return _back(reference, "taken")
