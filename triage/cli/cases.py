"""``avgdesk cases …``: case work from a terminal.

Every command calls one use case of :mod:`avgdesk.triage.cases.actions` (which owns the
transaction and the rules) and prints its result; a refusal prints the service's Dutch
message (``fout: …``) and exits 1, an unknown case exits 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from avgdesk.models.errors import AvgdeskError, NotFoundError, staff_text
from avgdesk.models.vocabulary import CaseState, PauseReason
from avgdesk.triage.cli.context import settings_of

if TYPE_CHECKING:
    from avgdesk.triage.runtime import Runtime

cases_app = typer.Typer(
    help="Cases: list, show, extend, pause, resume, close, reopen, relabel, assign, note.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain click help as the root's: rich costs ~0.1 s to start
)

By = Annotated[str, typer.Option("--by", help="Your name, for the audit trail.")]
T = TypeVar("T")


def _app(ctx: typer.Context) -> Runtime:
    # Imported here: 'avgdesk cases --help' needs no SQLAlchemy.
    from avgdesk.triage.runtime import open_runtime

    return open_runtime(settings_of(ctx))


def fail(exc: AvgdeskError) -> typer.Exit:
    """Print what staff read (Dutch for a rule) and choose the exit code."""
    typer.echo(f"fout: {staff_text(exc)}", err=True)
    return typer.Exit(2 if isinstance(exc, NotFoundError) else 1)


def call(use_case: Callable[[], T]) -> T:
    try:
        return use_case()
    except AvgdeskError as exc:
        raise fail(exc) from exc


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
    search: Annotated[
        str | None, typer.Option(help="Name, e-mail address, (part of a) reference or subject.")
    ] = None,
) -> None:
    """Cases sorted by the date that applies now."""
    from sqlmodel import Session

    from avgdesk.triage.cases import queries

    app = _app(ctx)
    try:
        due = date.fromisoformat(due_before) if due_before else None
    except ValueError as exc:
        typer.echo(f"error: --due-before must be YYYY-MM-DD, not {due_before!r}", err=True)
        raise typer.Exit(2) from exc
    with Session(app.engine) as session:
        cases = queries.list_cases(
            session, states=state, right=right, due_before=due, query=search, open_only=open_only
        )
        ids = queries.message_ids_by_case(session, [c.id for c in cases if c.id is not None])
        rows = [queries.case_summary_json(c, ids.get(c.id or -1, []), app.settings) for c in cases]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        typer.echo("Geen zaken gevonden.")
        return
    for r in rows:
        pending = " (verlenging aangevraagd)" if r["extension_pending"] else ""
        typer.echo(
            f"{r['reference']:15} {r['state']:24} due {r['due_date'] or '-':10}{pending}  "
            f"{','.join(r['rights']):30} {r['requester'] or '-'}"
        )


@cases_app.command("show")
def cases_show(
    ctx: typer.Context, reference: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """One case with its deadline explanation, messages, drafts, notes and timeline."""
    from sqlmodel import Session

    from avgdesk.triage.cases import lifecycle, queries, timeline

    app = _app(ctx)
    with Session(app.engine) as session:
        case = call(lambda: lifecycle.find_case(session, reference))
        detail = queries.case_detail(session, case, app.settings)
        data = queries.case_json(detail, app.settings)
        explanation = detail.deadline.explain("nl") if detail.deadline else None
        kinds = {d.id: d.kind for d in detail.drafts if d.id is not None}
        entries = timeline.timeline(detail.audit, kinds)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, default=str))
        return
    typer.echo(f"{data['reference']}  {data['state']}  {', '.join(data['rights'])}")
    typer.echo(f"aanvrager: {data['requester_name'] or ''} <{data['requester']}>")
    typer.echo(f"ontvangen: {data['received_at']}   termijn: {data['due_date']}   risico: {data['risk']}")
    if data["extension_pending"]:
        typer.echo(f"verlenging aangevraagd tot {data['extended_deadline']} (bericht nog niet verzonden)")
    if explanation:
        typer.echo(explanation)
    for d in data["drafts"]:
        typer.echo(f"concept {d['id']}: {d['kind']} ({d['state']})")
    for n in data["notes"]:
        typer.echo(f"notitie {n['at']} {n['author']}: {n['text']}")
    for e in entries:
        typer.echo(f"{e.at.isoformat()}  {e.actor:20} {e.text}")


@cases_app.command("extend")
def cases_extend(
    ctx: typer.Context,
    reference: str,
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed (told to the requester).")],
    by: By,
    ground: Annotated[
        str,
        typer.Option(
            "--ground",
            help="volume, spread, redaction, intelligibility or several_requests (workload is no reason).",
        ),
    ],
    months: Annotated[int, typer.Option(min=1, max=2)] = 2,
) -> None:
    """Extend by up to two months (only within the first month); drafts the notice.
    The new date binds once the notice has been sent."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(
        lambda: actions.extend(
            app.engine, app.settings, reference, by=by, reason=reason, ground=ground, months=months
        )
    )
    typer.echo(
        f"{r.reference} extension to {r.extended_deadline} requested; extension notice draft {r.draft_id} "
        f"must be sent by {r.notice_by} (until then the due date stays {r.due_date})"
    )


@cases_app.command("pause")
def cases_pause(
    ctx: typer.Context,
    reference: str,
    by: By,
    reason: Annotated[
        PauseReason, typer.Option(help="What the requester is asked for.")
    ] = PauseReason.IDENTITY,
    note: Annotated[
        str, typer.Option("--note", help="Why you doubt the identity / what is unclear (required).")
    ] = "",
    draft_request: Annotated[
        bool, typer.Option("--draft-request", help="Kept for scripts: the request is always drafted.")
    ] = True,
) -> None:
    """Ask for identity or clarification: drafts the request; the clock rests once it is sent."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(lambda: actions.pause(app.engine, app.settings, reference, by=by, reason=reason, note=note))
    typer.echo(
        f"{r.reference}: pauze aangevraagd ({reason.value}); request draft {r.draft_id}; the clock rests"
        f" once it is sent (due date until then {r.due_date})"
    )


@cases_app.command("verify-identity")
def cases_verify_identity(ctx: typer.Context, reference: str, by: By) -> None:
    """Identiteit gecontroleerd: record who and when, remove every copy of the ID document."""
    from avgdesk.triage.cases.identity import mark_identity_verified

    app = _app(ctx)
    out = call(lambda: mark_identity_verified(app.engine, app.settings, reference, by=by))
    typer.echo(f"{out.result.reference}: identiteit gecontroleerd; {out.result.note}")
    typer.echo(f"bijlagen verwijderd: {out.result.removed_attachments}; op de server: {out.server_removed}")
    if out.server_problem:
        typer.echo(f"let op: {out.server_problem}", err=True)


@cases_app.command("resume")
def cases_resume(ctx: typer.Context, reference: str, by: By) -> None:
    """The requester answered: the clock runs again."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(lambda: actions.resume(app.engine, app.settings, reference, by=by))
    typer.echo(f"{r.reference} resumed; due date {r.due_date}")


@cases_app.command("close")
def cases_close(
    ctx: typer.Context,
    reference: str,
    by: By,
    outcome: Annotated[str, typer.Option(help="answered | closed | withdrawn | unfounded")],
    justification: Annotated[
        str | None,
        typer.Option(
            help="Required for unfounded (Art. 12(5)) and for closed (the reason, without an answer)."
        ),
    ] = None,
    override_reason: Annotated[
        str | None,
        typer.Option(help="Close as answered although no answer was sent for every right (audited)."),
    ] = None,
) -> None:
    """Close a case with its outcome (answered: only after the answers were sent)."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(
        lambda: actions.close(
            app.engine,
            reference,
            by=by,
            outcome=outcome,
            justification=justification,
            override_reason=override_reason,
        )
    )
    typer.echo(f"{r.reference} is now {r.state}")


@cases_app.command("reopen")
def cases_reopen(
    ctx: typer.Context,
    reference: str,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="Why the case opens again (audited).")],
) -> None:
    """Open a closed case again."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(lambda: actions.reopen(app.engine, app.settings, reference, by=by, reason=reason))
    typer.echo(f"{r.reference} is open again ({r.state}); due date {r.due_date}")


@cases_app.command("relabel")
def cases_relabel(
    ctx: typer.Context,
    reference: str,
    labels: Annotated[str, typer.Argument(help="Comma-separated labels, e.g. access,erasure")],
    by: By,
) -> None:
    """Correct the labels of the case's first message; the correction joins the next training."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(lambda: actions.relabel(app.engine, app.settings, reference, labels.split(","), by=by))
    typer.echo(f"{r.reference}: labels now {', '.join(r.labels)} (used at the next training)")


@cases_app.command("assign")
def cases_assign(
    ctx: typer.Context,
    reference: str,
    by: By,
    to: Annotated[str, typer.Option("--to", help="User name of the new assignee; empty for nobody.")],
) -> None:
    """Give the case to a staff member (or to nobody)."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(lambda: actions.assign(app.engine, reference, to or None, by=by))
    typer.echo(f"{r.reference} assigned to {to or 'nobody'}")


@cases_app.command("note")
def cases_note(
    ctx: typer.Context,
    reference: str,
    by: By,
    text: Annotated[str, typer.Option("--text", help="The note (staff only; never in a letter).")],
) -> None:
    """Add an internal note to the case."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(lambda: actions.add_note(app.engine, reference, text, by=by))
    typer.echo(f"{r.reference}: note added")


@cases_app.command("breach")
def cases_breach(
    ctx: typer.Context,
    reference: str,
    by: By,
    decision: Annotated[str, typer.Option("--decision", help="reported (to the AP) or not_notifiable.")],
    reported_on: Annotated[
        str | None, typer.Option("--reported-on", help="The day it was reported to the AP (YYYY-MM-DD).")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why not notifiable, why late, or what a correction corrects."),
    ] = None,
    correct: Annotated[
        bool, typer.Option("--correct", help="Replace the decision already recorded (a reason is required).")
    ] = False,
) -> None:
    """Record the decision on a possible breach (Art. 33): reported to the AP on a day, or not
    notifiable with a reason; --correct replaces the one that stands (both stay audited)."""
    from avgdesk.triage.cases import actions

    app = _app(ctx)
    r = call(
        lambda: actions.decide_breach(
            app.engine,
            app.settings,
            reference,
            by=by,
            decision=decision,
            reported_on=reported_on,
            reason=reason,
            correction=correct,
        )
    )
    typer.echo(f"{r.reference}: breach decision {'corrected' if correct else 'recorded'} ({decision})")
