"""``avgdesk tasks …``: the systems checklist of a case from a terminal (issue 17).

Each changing command calls the same use case as the case page (``collect``, ``erasure``,
``tasks``), which owns its transaction; a refusal prints the Dutch message (``fout: …``) and
exits 1, an unknown case or system exits 2. Erasure is two steps, as on the page:
``erase-preview`` shows what would go and a token; ``erase --confirm TOKEN --by NAME`` runs
it only for that picture and only for an active approver.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from avgdesk.triage.cli.cases import By, call, fail
from avgdesk.triage.cli.context import settings_of

if TYPE_CHECKING:
    from avgdesk.triage.cases.erasure import ErasurePlan
    from avgdesk.triage.runtime import Runtime

tasks_app = typer.Typer(
    help="The systems checklist of a case: list, keys, collect, erase-preview, erase, override.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Reference = Annotated[str, typer.Argument(help="The case reference, e.g. AVG-2026-0001.")]


def _app(ctx: typer.Context) -> Runtime:
    from avgdesk.triage.runtime import open_runtime

    return open_runtime(settings_of(ctx))


@tasks_app.command("list")
def tasks_list(
    ctx: typer.Context, reference: Reference, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """The case's tasks per system and right, with status, note and error."""
    from sqlmodel import Session

    from avgdesk.triage.cases import lifecycle, tasks

    app = _app(ctx)
    with Session(app.engine) as session:
        case = call(lambda: lifecycle.find_case(session, reference))
        assert case.id is not None
        views = tasks.tasks_of(session, case.id, app.settings)
    if as_json:
        typer.echo(json.dumps([v.__dict__ for v in views], ensure_ascii=False, indent=2, default=str))
        return
    for v in views:
        extra = f" — {v.note}" if v.note else ""
        error = f" [fout: {v.last_error}]" if v.last_error else ""
        typer.echo(f"{v.id}\t{v.status}\t{v.title}{extra}{error}")


@tasks_app.command("keys")
def tasks_keys(
    ctx: typer.Context,
    reference: Reference,
    by: By,
    customer_number: Annotated[str, typer.Option("--customer-number", help="Empty: unknown.")] = "",
    contract_number: Annotated[str, typer.Option("--contract-number", help="Empty: unknown.")] = "",
) -> None:
    """Record the requester's customer and contract number (the other identity keys)."""
    from avgdesk.triage.cases import collect

    app = _app(ctx)
    changed = call(
        lambda: collect.set_identity_keys(
            app.engine, reference, customer_number=customer_number, contract_number=contract_number, by=by
        )
    )
    typer.echo(f"{reference}: keys {'saved; collect again' if changed else 'unchanged'}")


@tasks_app.command("collect")
def tasks_collect(ctx: typer.Context, reference: Reference, by: By) -> None:
    """Run the sql systems' read queries for the verified requester (exit 1 if one failed)."""
    from avgdesk.triage.cases import collect

    app = _app(ctx)
    outcomes = call(lambda: collect.collect(app.engine, app.settings, reference, by=by))
    for o in outcomes:
        skipped = f" (skipped: {', '.join(o.skipped)})" if o.skipped else ""
        typer.echo(f"{o.system_id}: {o.error or f'{o.rows} rows'}{skipped}")
    if any(o.error for o in outcomes):
        raise typer.Exit(1)


def _plan_of(ctx: typer.Context, reference: str, system_id: str) -> ErasurePlan:
    from sqlmodel import Session

    from avgdesk.models.errors import TaskNotFound
    from avgdesk.triage.cases import erasure, lifecycle

    app = _app(ctx)
    with Session(app.engine) as session:
        case = call(lambda: lifecycle.find_case(session, reference))
        plan = next((p for p in erasure.plans(session, case, app.settings) if p.system_id == system_id), None)
    if plan is None:
        raise fail(
            TaskNotFound(f"no erasure for {system_id} in {reference}", "Deze zaak vraagt hier geen wissen.")
        )
    return plan


@tasks_app.command("erase-preview")
def tasks_erase_preview(ctx: typer.Context, reference: Reference, system: str) -> None:
    """What an erasure in SYSTEM would remove for this person, and the token to confirm it."""
    plan = _plan_of(ctx, reference, system)
    typer.echo(f"{plan.system_name}: task {plan.task_status}")
    if not plan.collected:
        typer.echo("nothing collected with the current keys: run 'avgdesk tasks collect' first")
        raise typer.Exit(1)
    for f in plan.found:
        typer.echo(f"  {f.query}: {f.row_count} rows{' (over the limit)' if f.truncated else ''}")
        for row in f.rows:
            typer.echo("    " + " | ".join("" if v is None else str(v) for v in row))
    for st in plan.statements:
        skipped = f"  [skipped: {' and '.join(st.missing)} unknown]" if st.missing else ""
        typer.echo(f"  {st.name}: {st.sql}{skipped}")
    typer.echo(f"token: {plan.token}")


@tasks_app.command("erase")
def tasks_erase(
    ctx: typer.Context,
    reference: Reference,
    system: str,
    by: By,
    confirm: Annotated[str, typer.Option("--confirm", help="The token 'erase-preview' printed.")],
) -> None:
    """Erase the person in SYSTEM: one transaction, only for an approver and the previewed rows."""
    from avgdesk.triage.cases import erasure

    app = _app(ctx)
    outcome = call(lambda: erasure.run(app.engine, app.settings, reference, system, by=by, token=confirm))
    if outcome.error:
        typer.echo(f"fout: {outcome.error}", err=True)
        raise typer.Exit(1)
    counts = ", ".join(f"{name} {n}" for name, n in outcome.counts.items()) or "nothing"
    skipped = f"; skipped: {', '.join(outcome.skipped)}" if outcome.skipped else ""
    typer.echo(f"{system}: erased ({counts}){skipped}; task done")


@tasks_app.command("override")
def tasks_override(
    ctx: typer.Context,
    reference: Reference,
    right: str,
    by: By,
    reason: Annotated[str, typer.Option("--reason", help="Why the answer may go with tasks open.")],
) -> None:
    """Let the answer for RIGHT be approved while its tasks are open (approvers; audited)."""
    from avgdesk.triage.cases import tasks

    app = _app(ctx)
    n = call(lambda: tasks.override_open(app.engine, reference, right, reason, by=by))
    typer.echo(f"{reference}: {n} open task(s) for {right} overridden by {by}")
