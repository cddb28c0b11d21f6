"""``avgdesk cases …`` and ``avgdesk drafts …``: case work and approvals from a terminal."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from sqlmodel import Session, col, select

from avgdesk.models import CaseState, Draft, DraftState, InboundMessage, PauseReason, session_scope
from avgdesk.models.errors import AvgdeskError, NotFoundError
from avgdesk.replies.drafting import approve_draft, create_draft, edit_draft
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import lifecycle
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.runtime import Runtime, open_runtime
from avgdesk.triage.settings import Settings

cases_app = typer.Typer(
    help="Cases: list, show, extend, pause, resume, close, relabel.", no_args_is_help=True
)
drafts_app = typer.Typer(help="Reply drafts: list, show, create, edit, approve.", no_args_is_help=True)

By = Annotated[str, typer.Option("--by", help="Your name, for the audit trail.")]


def _app(ctx: typer.Context) -> Runtime:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return open_runtime(settings)


def _fail(exc: AvgdeskError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2 if isinstance(exc, NotFoundError) else 1)


@cases_app.command("list")
def cases_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    state: Annotated[list[CaseState] | None, typer.Option(help="Only these states (repeatable).")] = None,
    right: Annotated[str | None, typer.Option(help="Only cases with this right (or 'complaint').")] = None,
    due_before: Annotated[
        str | None, typer.Option(help="Only cases due on or before this date (YYYY-MM-DD).")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open cases.")] = False,
    search: Annotated[str | None, typer.Option(help="A reference or (part of) an e-mail address.")] = None,
) -> None:
    """Cases sorted by the date that applies now."""
    app = _app(ctx)
    try:
        due = date.fromisoformat(due_before) if due_before else None
    except ValueError as exc:
        typer.echo(f"error: --due-before must be YYYY-MM-DD, not {due_before!r}", err=True)
        raise typer.Exit(2) from exc
    with Session(app.engine) as session:
        cases = lifecycle.list_cases(
            session, states=state, right=right, due_before=due, query=search, open_only=open_only
        )
        ids = lifecycle.message_ids_by_case(session, [c.id for c in cases if c.id is not None])
        rows = [lifecycle.case_summary_json(c, ids.get(c.id or -1, []), app.settings) for c in cases]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        typer.echo(
            f"{r['reference']:15} {r['state']:24} due {r['due_date'] or '-':10}  "
            f"{','.join(r['rights']):30} {r['requester'] or '-'}"
        )


@cases_app.command("show")
def cases_show(
    ctx: typer.Context, reference: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """One case with its deadline explanation, messages, drafts and audit trail."""
    app = _app(ctx)
    with Session(app.engine) as session:
        try:
            case = lifecycle.find_case(session, reference)
        except AvgdeskError as exc:
            raise _fail(exc) from exc
        detail = lifecycle.case_detail(session, case, app.settings)
        data = lifecycle.case_json(detail, app.settings)
        explanation = detail.deadline.explain("nl") if detail.deadline else None
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    typer.echo(f"{data['reference']}  {data['state']}  {', '.join(data['rights'])}")
    typer.echo(f"aanvrager: {data['requester_name'] or ''} <{data['requester']}>")
    typer.echo(f"ontvangen: {data['received_at']}   termijn: {data['due_date']}   risico: {data['risk']}")
    if explanation:
        typer.echo(explanation)
    for d in data["drafts"]:
        typer.echo(f"concept {d['id']}: {d['kind']} ({d['state']})")
    for e in data["audit"]:
        typer.echo(f"{e['at']}  {e['actor']:20} {e['action']}")


def _mutate(ctx: typer.Context, reference: str, action: Any) -> None:
    app = _app(ctx)
    with session_scope(app.engine) as session:
        try:
            case = lifecycle.find_case(session, reference)
            message = action(session, case, app)
        except AvgdeskError as exc:
            session.rollback()
            raise _fail(exc) from exc
        # Crash before: nothing changed. Crash after: the change and its audit event are in.
        session.commit()
    typer.echo(message)


@cases_app.command("extend")
def cases_extend(
    ctx: typer.Context,
    reference: str,
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed (told to the requester).")],
    by: By,
    months: Annotated[int, typer.Option(min=1, max=2)] = 2,
) -> None:
    """Extend by up to two months (only within the first month); drafts the notice."""

    def act(session: Session, case: Any, app: Runtime) -> str:
        extended, draft = lifecycle.extend_with_notice(
            session,
            case,
            by=by,
            reason=reason,
            months=months,
            settings=app.settings,
            drafting=drafting_context(app.settings),
        )
        return (
            f"{case.reference} extended to {case.due_date}; extension notice draft {draft.id} must be sent "
            f"by {extended.extension_notice_by}"
        )

    _mutate(ctx, reference, act)


@cases_app.command("pause")
def cases_pause(
    ctx: typer.Context,
    reference: str,
    by: By,
    reason: Annotated[
        PauseReason, typer.Option(help="What the requester is asked for.")
    ] = PauseReason.IDENTITY,
) -> None:
    """Wait for identity or clarification: the clock rests."""

    def act(session: Session, case: Any, app: Runtime) -> str:
        lifecycle.pause(session, case, by=by, reason=reason, settings=app.settings)
        return f"{case.reference} waits for {reason.value}; due date now {case.due_date}"

    _mutate(ctx, reference, act)


@cases_app.command("resume")
def cases_resume(ctx: typer.Context, reference: str, by: By) -> None:
    """The requester answered: the clock runs again."""

    def act(session: Session, case: Any, app: Runtime) -> str:
        lifecycle.resume(session, case, by=by, settings=app.settings)
        return f"{case.reference} resumed; due date {case.due_date}"

    _mutate(ctx, reference, act)


@cases_app.command("close")
def cases_close(
    ctx: typer.Context,
    reference: str,
    by: By,
    outcome: Annotated[str, typer.Option(help="answered | closed | withdrawn | unfounded")],
    justification: Annotated[str | None, typer.Option(help="Required for unfounded (Art. 12(5)).")] = None,
) -> None:
    """Close a case with its outcome."""

    def act(session: Session, case: Any, app: Runtime) -> str:
        lifecycle.close(session, case, by=by, outcome=outcome, justification=justification)
        return f"{case.reference} is now {case.state.value}"

    _mutate(ctx, reference, act)


@cases_app.command("relabel")
def cases_relabel(
    ctx: typer.Context,
    reference: str,
    labels: Annotated[str, typer.Argument(help="Comma-separated labels, e.g. access,erasure")],
    by: By,
) -> None:
    """Correct the labels of the case's first message; the correction joins the next training."""

    def act(session: Session, case: Any, app: Runtime) -> str:
        message = session.exec(
            select(InboundMessage)
            .where(InboundMessage.case_id == case.id)
            .order_by(col(InboundMessage.received_at))
        ).first()
        if message is None:
            raise NotFoundError(f"case {case.reference} has no messages")
        lifecycle.relabel(session, message, labels.split(","), by=by, settings=app.settings)
        return f"{case.reference}: labels now {', '.join(message.labels)} (used at the next training)"

    _mutate(ctx, reference, act)


# --- drafts -----------------------------------------------------------------------------------
def _draft_json(draft: Draft, reference: str) -> dict[str, Any]:
    return {
        "id": draft.id,
        "case_reference": reference,
        "kind": draft.kind,
        "state": draft.state.value,
        "language": draft.language,
        "subject": draft.subject,
        "to": draft.to_addr,
        "author": draft.author,
        "approved_by": draft.approved_by,
        "render_error": draft.render_error,
        "version": draft.version,
    }


@drafts_app.command("list")
def drafts_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    all_states: Annotated[
        bool, typer.Option("--all", help="Also approved, sent and discarded drafts.")
    ] = False,
) -> None:
    """Drafts awaiting approval (or all)."""
    from avgdesk.models import Case

    app = _app(ctx)
    with Session(app.engine) as session:
        stmt = (
            select(Draft, Case.reference)
            .join(Case, col(Case.id) == col(Draft.case_id))
            .order_by(col(Draft.id))
        )
        if not all_states:
            stmt = stmt.where(Draft.state == DraftState.DRAFT)
        rows = [_draft_json(d, ref) for d, ref in session.exec(stmt)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        flag = "  RENDER ERROR" if r["render_error"] else ""
        typer.echo(
            f"{r['id']:5} {r['case_reference']:15} {r['kind']:22} {r['state']:10} {r['language']}{flag}"
        )


def _load_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFoundError(f"no draft {draft_id}")
    return draft


@drafts_app.command("show")
def drafts_show(
    ctx: typer.Context, draft_id: int, html: Annotated[bool, typer.Option("--html")] = False
) -> None:
    """The draft as the customer would read it."""
    app = _app(ctx)
    with Session(app.engine) as session:
        try:
            draft = _load_draft(session, draft_id)
        except AvgdeskError as exc:
            raise _fail(exc) from exc
    if draft.render_error:
        typer.echo(f"RENDER ERROR (cannot be sent): {draft.render_error}", err=True)
    typer.echo(f"To: {draft.to_addr}\nSubject: {draft.subject}\nState: {draft.state.value}\n")
    typer.echo(draft.body_html if html else draft.body_text)


@drafts_app.command("create")
def drafts_create(
    ctx: typer.Context,
    reference: str,
    kind: Annotated[DraftKind, typer.Option(help="The letter to draft.")],
    by: By,
    fields: Annotated[str, typer.Option(help="Template fields as a JSON object.")] = "{}",
) -> None:
    """Start a reply from a template."""
    try:
        values = json.loads(fields)
        if not isinstance(values, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        typer.echo(f"error: --fields must be a JSON object: {exc}", err=True)
        raise typer.Exit(2) from exc

    def act(session: Session, case: Any, app: Runtime) -> str:
        draft = create_draft(
            session, case, kind, author=by, ctx=drafting_context(app.settings), fields=values
        )
        if draft.render_error:
            return f"draft {draft.id} created but did not render: {draft.render_error}"
        return f"draft {draft.id} created ({kind.value})"

    _mutate(ctx, reference, act)


@drafts_app.command("edit")
def drafts_edit(
    ctx: typer.Context,
    draft_id: int,
    by: By,
    fields: Annotated[str | None, typer.Option(help="New template fields as a JSON object.")] = None,
    subject: Annotated[str | None, typer.Option()] = None,
    body_file: Annotated[str | None, typer.Option(help="Replace the text with this file's contents.")] = None,
) -> None:
    """Change a draft; an approval that was not yet sent is revoked."""
    app = _app(ctx)
    body = None
    if body_file:
        with open(body_file, encoding="utf-8") as fh:
            body = fh.read()
    with session_scope(app.engine) as session:
        try:
            draft = _load_draft(session, draft_id)
            edit_draft(
                session,
                draft,
                editor=by,
                ctx=drafting_context(app.settings),
                subject=subject,
                body_text=body,
                fields=json.loads(fields) if fields else None,
            )
        except AvgdeskError as exc:
            session.rollback()
            raise _fail(exc) from exc
        # Crash before: unchanged. Crash after: the edit (and any revocation) is in.
        session.commit()
        typer.echo(f"draft {draft.id} is now version {draft.version} ({draft.state.value})")


@drafts_app.command("approve")
def drafts_approve(ctx: typer.Context, draft_id: int, by: By) -> None:
    """Approve exactly this version; the worker's outbox sends it."""
    app = _app(ctx)
    with session_scope(app.engine) as session:
        try:
            draft = _load_draft(session, draft_id)
            item = approve_draft(session, draft, approver=by, ctx=drafting_context(app.settings))
        except AvgdeskError as exc:
            session.rollback()
            raise _fail(exc) from exc
        # Crash before: not approved, nothing queued. Crash after: approved and queued together.
        session.commit()
        typer.echo(f"draft {draft.id} approved by {by}; queued as outbox item {item.id} ({item.message_id})")
