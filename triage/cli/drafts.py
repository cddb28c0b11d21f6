"""``avgdesk drafts …``: reply drafts and approvals from a terminal.

Each changing command calls one use case of :mod:`avgdesk.triage.cases.drafts`; a
refusal prints the service's Dutch message and exits 1 (2 for an unknown draft).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# The vocabulary, not replies/rendering.py: 'avgdesk drafts --help' must load neither Jinja2
# nor SQLAlchemy (issue 10); storage and the use cases are imported inside the commands.
from avgdesk.models.vocabulary import DraftKind, DraftState
from avgdesk.triage.cli.context import settings_of

if TYPE_CHECKING:
    from sqlmodel import Session

    from avgdesk.models.tables import Draft
    from avgdesk.triage.runtime import Runtime

drafts_app = typer.Typer(
    help=(
        "Reply drafts: list, show, versions, create, edit, approve, approve-acknowledgements, discard, "
        "attach, attachments, detach."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,  # plain click help as the root's: rich costs ~0.1 s to start
)

By = Annotated[str, typer.Option("--by", help="Your name, for the audit trail.")]


def _app(ctx: typer.Context) -> Runtime:
    from avgdesk.triage.runtime import open_runtime

    return open_runtime(settings_of(ctx))


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
    from sqlmodel import Session, col, select

    from avgdesk.models.tables import Case, Draft

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
        _add_delivery(session, rows)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        flag = "  RENDER ERROR" if r["render_error"] else ""
        if r["possibly_sent_twice"]:
            flag += "  MAY HAVE BEEN SENT TWICE (mogelijk twee keer verzonden)"
        typer.echo(
            f"{r['id']:5} {r['case_reference']:15} {r['kind']:22} {r['state']:10} {r['language']}{flag}"
        )


def _add_delivery(session: Session, rows: list[dict[str, Any]]) -> None:
    """The outbox's view of each approved draft: its state, and whether delivery is uncertain
    (a timeout after DATA or a crash mid-send: the recipient may have it twice)."""
    from sqlmodel import col, select

    from avgdesk.models.tables import OutboxItem

    ids = [r["id"] for r in rows]
    items = {
        item.draft_id: item
        for item in session.exec(select(OutboxItem).where(col(OutboxItem.draft_id).in_(ids)))
    }
    for r in rows:
        item = items.get(r["id"])
        r["outbox_state"] = item.state.value if item is not None else None
        r["possibly_sent_twice"] = bool(item is not None and item.ambiguous)


@drafts_app.command("show")
def drafts_show(
    ctx: typer.Context, draft_id: int, html: Annotated[bool, typer.Option("--html")] = False
) -> None:
    """The draft as the customer would read it."""
    from sqlmodel import Session

    from avgdesk.models.errors import DraftNotFound
    from avgdesk.models.tables import Case, Draft
    from avgdesk.triage.cli.cases import fail

    app = _app(ctx)
    with Session(app.engine) as session:
        draft = session.get(Draft, draft_id)
        case = session.get(Case, draft.case_id) if draft is not None else None
    if draft is None:
        raise fail(DraftNotFound(f"no draft {draft_id}", f"Brief {draft_id} bestaat niet."))
    if draft.render_error:
        typer.echo(f"RENDER ERROR (cannot be sent): {draft.render_error}", err=True)
    typer.echo(f"To: {draft.to_addr}\nSubject: {draft.subject}\nState: {draft.state.value}\n")
    if html:
        from avgdesk.replies.drafting import preview
        from avgdesk.triage.drafting_config import drafting_context

        # A worker's draft has no stored HTML part: it is made now (issue 16).
        typer.echo(preview(draft, case, drafting_context(app.settings)).html)
    else:
        typer.echo(draft.body_text)


@drafts_app.command("versions")
def drafts_versions(ctx: typer.Context, draft_id: int) -> None:
    """Every kept version of the draft, with the changes from the version before."""
    from sqlmodel import Session

    from avgdesk.triage.cases import drafts

    app = _app(ctx)
    with Session(app.engine) as session:
        kept = drafts.versions(session, draft_id)
    for older, newer in zip([None, *kept], kept, strict=False):
        typer.echo(
            f"--- versie {newer.version} ({newer.how}) door {newer.editor}"
            f" op {newer.created_at:%Y-%m-%d %H:%M}"
        )
        if older is not None:
            for kind, line in drafts.version_diff(older, newer):
                if kind != "same":
                    typer.echo(("+ " if kind == "added" else "- ") + line)


def _json_object(fields: str, option: str) -> dict[str, Any]:
    try:
        values = json.loads(fields)
        if not isinstance(values, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        typer.echo(f"error: {option} must be a JSON object: {exc}", err=True)
        raise typer.Exit(2) from exc
    return values


@drafts_app.command("create")
def drafts_create(
    ctx: typer.Context,
    reference: str,
    kind: Annotated[DraftKind, typer.Option(help="The letter to draft.")],
    by: By,
    fields: Annotated[str, typer.Option(help="Template fields as a JSON object.")] = "{}",
) -> None:
    """Start a reply from a template."""
    from avgdesk.triage.cases import drafts
    from avgdesk.triage.cli.cases import call

    values = _json_object(fields, "--fields")
    app = _app(ctx)
    r = call(lambda: drafts.create(app.engine, app.settings, reference, kind.value, by=by, fields=values))
    if r.render_error:
        typer.echo(f"draft {r.draft_id} created but did not render: {r.render_error}")
    else:
        typer.echo(f"draft {r.draft_id} created ({kind.value})")


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
    from avgdesk.triage.cases import drafts
    from avgdesk.triage.cli.cases import call

    body = None
    if body_file:
        with open(body_file, encoding="utf-8") as fh:
            body = fh.read()
    values = _json_object(fields, "--fields") if fields else None
    app = _app(ctx)
    r = call(
        lambda: drafts.edit(
            app.engine, app.settings, draft_id, by=by, subject=subject, body_text=body, fields=values
        )
    )
    typer.echo(f"draft {r.draft_id} is now version {r.version} ({r.state})")


@drafts_app.command("approve")
def drafts_approve(ctx: typer.Context, draft_id: int, by: By) -> None:
    """Approve exactly this version; the worker's outbox sends it."""
    from avgdesk.triage.cases import drafts
    from avgdesk.triage.cli.cases import call

    app = _app(ctx)
    r = call(lambda: drafts.approve(app.engine, app.settings, draft_id, by=by))
    typer.echo(f"draft {r.draft_id} approved by {by}; queued as outbox item {r.outbox_id} ({r.message_id})")


@drafts_app.command("approve-acknowledgements")
def drafts_approve_acknowledgements(
    ctx: typer.Context,
    by: By,
    draft_ids: Annotated[list[int], typer.Argument(help="The acknowledgement drafts to approve.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: approve and queue them all.")] = False,
) -> None:
    """Approve several acknowledgements after one confirmation; each approval is audited
    separately, under the same rules (roles, four eyes) as a single one."""
    from avgdesk.triage.cases import drafts

    if not yes:
        typer.echo(
            f"fout: bevestig met --yes dat u {len(draft_ids)} ontvangstbevestigingen goedkeurt", err=True
        )
        raise typer.Exit(1)
    app = _app(ctx)
    outcomes = drafts.approve_acknowledgements(app.engine, app.settings, draft_ids, by=by)
    for o in outcomes:
        typer.echo(f"draft {o.draft_id}: " + ("approved" if o.approved else f"niet goedgekeurd: {o.reason}"))
    if not all(o.approved for o in outcomes):
        raise typer.Exit(1)


@drafts_app.command("discard")
def drafts_discard(ctx: typer.Context, draft_id: int, by: By) -> None:
    """Throw a draft away (an approval that was not sent yet is revoked)."""
    from avgdesk.triage.cases import drafts
    from avgdesk.triage.cli.cases import call

    app = _app(ctx)
    r = call(lambda: drafts.discard(app.engine, draft_id, by=by))
    typer.echo(f"draft {r.draft_id} discarded")


# --- attachments (issue 17): the same use cases as the draft page ------------------------
@drafts_app.command("attach")
def drafts_attach(
    ctx: typer.Context,
    draft_id: int,
    file: Annotated[Path, typer.Argument(help="The file to attach (a file of the same name is replaced).")],
    by: By,
) -> None:
    """Attach a file to a draft (size and type limits as in the web UI); an approval that was
    not yet sent is revoked."""
    from avgdesk.triage.cases import attachments
    from avgdesk.triage.cli.cases import call

    app = _app(ctx)
    limit = app.settings.attachment_max_bytes
    try:
        with file.open("rb") as fh:
            # One byte more than allowed is enough for the use case to refuse it.
            data = fh.read(limit + 1)
    except OSError as exc:
        typer.echo(f"fout: {file} kan niet worden gelezen ({exc.strerror})", err=True)
        raise typer.Exit(2) from exc
    item_id = call(lambda: attachments.add(app.engine, app.settings, draft_id, file.name, data, by=by))
    typer.echo(f"attachment {item_id} added to draft {draft_id}: {file.name} ({len(data)} bytes)")


@drafts_app.command("attachments")
def drafts_attachments(
    ctx: typer.Context, draft_id: int, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """The files of a draft: name, size and sha256 (what the approver approves)."""
    from sqlmodel import Session

    from avgdesk.replies.attachments import attachments_of

    app = _app(ctx)
    with Session(app.engine) as session:
        rows = [
            {"name": a.filename, "size": a.size_bytes, "sha256": a.sha256, "origin": a.origin}
            for a in attachments_of(session, draft_id)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        typer.echo(f"{r['name']}\t{r['size']}\t{r['sha256']}")


@drafts_app.command("detach")
def drafts_detach(ctx: typer.Context, draft_id: int, name: str, by: By) -> None:
    """Remove the file with this name from a draft; an approval not yet sent is revoked."""
    from sqlmodel import Session

    from avgdesk.models.errors import AttachmentRefused
    from avgdesk.replies.attachments import attachments_of
    from avgdesk.triage.cases import attachments
    from avgdesk.triage.cli.cases import call, fail

    app = _app(ctx)
    with Session(app.engine) as session:
        found = [a.id for a in attachments_of(session, draft_id) if a.filename == name]
    if not found or found[0] is None:
        raise fail(
            AttachmentRefused(f"no attachment {name!r} on draft {draft_id}", "Deze bijlage bestaat niet.")
        )
    item_id = found[0]
    call(lambda: attachments.remove(app.engine, app.settings, draft_id, item_id, by=by))
    typer.echo(f"{name} removed from draft {draft_id}")
