"""``avgdesk summary``: preview the weekly summary, or send it now.

Registered lazily by ``triage/cli/root.py`` (``RootGroup``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from avgdesk.triage.cli.context import settings_of

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from avgdesk.triage.reports.summary import ScheduleConfig
    from avgdesk.triage.settings import Settings


def summary_command(
    ctx: typer.Context,
    preview: Annotated[
        bool, typer.Option("--preview", help="Print the text part of this week's summary; sends nothing.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", help="With --preview: write the complete message (text, HTML, chart) as .eml."
        ),
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Queue the summary now (outside the weekly schedule) and deliver the outbox once."
        ),
    ] = False,
) -> None:
    """The Monday backlog summary: --preview [--output FILE.eml] or --send."""
    if preview == send:
        typer.echo("error: give exactly one of --preview and --send", err=True)
        raise typer.Exit(2)
    if output is not None and not preview:
        typer.echo("error: --output goes with --preview", err=True)
        raise typer.Exit(2)
    from avgdesk.triage.reports.summary import ScheduleConfig
    from avgdesk.triage.runtime import open_runtime

    # A test's app may put a stand-in for Settings on the context; avgdesk loads them here.
    settings = cast("Settings", ctx.obj) if ctx.obj is not None else settings_of(ctx)
    config = ScheduleConfig.from_settings(settings)  # ConfigurationError -> exit 2 in cli.main
    application = open_runtime(settings)
    if preview:
        _preview(application.engine, config, output)
    else:
        _send(settings, application.engine, config)


def _preview(engine: Engine, config: ScheduleConfig, output: Path | None) -> None:
    from avgdesk.models.engine import session_scope
    from avgdesk.models.types import utcnow
    from avgdesk.triage.reports.summary import build_summary, build_summary_message

    now = utcnow()
    with session_scope(engine) as session:
        summary = build_summary(session, now, config)
    message = build_summary_message(summary, config, recipients=list(config.summary_recipients), now=now)
    body = message.get_body(("plain",))
    assert body is not None
    typer.echo(body.get_content(), nl=False)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(bytes(message))
        typer.echo(f"\nmessage written to {output}", err=True)
    if not config.summary_recipients:
        typer.echo("note: no summary_recipients configured; --send would refuse", err=True)


def _send(settings: Settings, engine: Engine, config: ScheduleConfig) -> None:
    from avgdesk.models.types import utcnow
    from avgdesk.replies import outbox
    from avgdesk.triage.drafting_config import outbox_policy
    from avgdesk.triage.worker.runner import smtp_mailer
    from avgdesk.triage.worker.scheduler import send_summary_now

    item = send_summary_now(engine, utcnow(), config)
    typer.echo(f"summary queued (outbox item {item.id}) for {', '.join(item.recipients)}")
    mailer = smtp_mailer(settings)
    if mailer is None:
        typer.echo("no SMTP server configured (AVGDESK_SMTP_HOST): the worker delivers it once one is")
        return
    result = asyncio.run(outbox.drain(engine, mailer, f"summary-cli:{os.getpid()}", outbox_policy(settings)))
    typer.echo(f"outbox: sent {result.sent}, retry later {result.retry}, failed {result.failed}")
    if result.failed:
        raise typer.Exit(1)
