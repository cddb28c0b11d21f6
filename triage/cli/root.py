"""The ``avgdesk`` command line (Typer). Settings are read here, once, and passed down."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from avgdesk.models.errors import AvgdeskError, ConfigurationError
from avgdesk.triage import logconfig
from avgdesk.triage.cli.cases import cases_app, drafts_app
from avgdesk.triage.cli.classify import classify_command, eval_command, train_command
from avgdesk.triage.cli.summary import summary_command
from avgdesk.triage.runtime import Runtime, open_runtime
from avgdesk.triage.settings import Settings, load_settings

app = typer.Typer(
    no_args_is_help=True,
    help="avgdesk: the privacy desk that reads the privacy mailbox and tracks AVG requests.",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cases_app, name="cases")
app.add_typer(drafts_app, name="drafts")
app.command("summary")(summary_command)
app.command("classify")(classify_command)
app.command("eval")(eval_command)
app.command("train")(train_command)

log = logging.getLogger("avgdesk")


class Language(StrEnum):
    NL = "nl"
    EN = "en"


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def _app(ctx: typer.Context) -> Runtime:
    return open_runtime(_settings(ctx))


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file with settings (environment variables win).")
    ] = None,
) -> None:
    settings = load_settings(config)
    logconfig.configure(settings.log_level)
    ctx.obj = settings


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Drain everything waiting, then exit.")] = False,
) -> None:
    """Run the worker: intake, triage, first drafts, the outbox, summary, reminders, retention."""
    from avgdesk.triage.worker.runner import Worker

    application = _app(ctx)
    worker = Worker(
        application.settings,
        application.engine,
        classifier_factory=application.classifier,
    )
    try:
        if once:
            report = asyncio.run(worker.run_once())
            if not report.mailbox_configured:
                typer.echo("No mailbox configured (AVGDESK_IMAP_HOST): processed stored messages only.")
            p = report.processing
            typer.echo(
                f"ingested {report.ingested} (duplicates {report.duplicates}, oversized {report.oversized}); "
                f"processed {p.processed}, quarantined {p.quarantined}, retry later {p.failed}; "
                f"cases opened {p.cases_opened}, attached {p.attached}"
            )
            if report.intake_error:
                typer.echo(f"intake failed: {report.intake_error}", err=True)
                raise typer.Exit(1)
            return
        asyncio.run(_run_forever(worker))
    finally:
        worker.close()


async def _run_forever(worker: Any) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.request_stop)
    await worker.run_forever()


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Counts, the intake heartbeat and the last intake errors."""
    from avgdesk.triage.reports.status import collect

    data = collect(_app(ctx).engine)
    if as_json:
        typer.echo(json.dumps(data, sort_keys=True))
        return
    for key in (
        "messages",
        "received",
        "processed",
        "quarantined",
        "automatic",
        "cases",
        "drafts_pending",
        "outbox_pending",
        "outbox_failed",
        "last_poll_at",
    ):
        typer.echo(f"{key:16} {data[key]}")
    for err in data["intake_errors"]:
        typer.echo(f"intake error     {err['account']}/{err['folder']} at {err['at']}: {err['error']}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the database migrations (also done at every start)."""
    from avgdesk.models.migrate import current_revision

    application = open_runtime(_settings(ctx))
    typer.echo(f"database at revision {current_revision(application.engine)}")


@app.command()
def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool | None,
        typer.Option(
            "--serve/--no-serve",
            help="Keep the worker (and the web UI) running afterwards; default: only in a terminal.",
        ),
    ] = None,
) -> None:
    """Everything on embedded defaults: an in-memory IMAP server with sample enquiries."""
    import sys

    from avgdesk.triage.demo import run_demo

    run_demo(_settings(ctx), keep_running=sys.stdout.isatty() if serve is None else serve)


@app.command()
def purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
) -> None:
    """Delete what is past its retention period (the worker also does this daily)."""
    from avgdesk.triage.cases.retention import purge as run_purge

    application = _app(ctx)
    result = run_purge(application.engine, application.settings, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"{verb} {len(result.cases)} case(s) and {result.messages} message(s)")
    for reference in result.cases:
        typer.echo(f"  {reference}")


@app.command()
def deadline(
    ctx: typer.Context,
    received_at: Annotated[str, typer.Argument(help="Receipt time, ISO 8601 (no offset = Amsterdam time).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    lang: Annotated[Language, typer.Option(help="Language of the explanation.")] = Language.NL,
    extension_months: Annotated[
        int | None,
        typer.Option(
            "--extension-months",
            min=1,
            max=2,
            help="Also show the deadline after an extension by 1 or 2 months (extended_deadline).",
        ),
    ] = None,
) -> None:
    """The statutory deadline for one receipt time, with its explanation."""
    from avgdesk.triage.cases.deadlines import compute_deadline, parse_received_at, preview_extension

    settings = _settings(ctx)
    try:
        when = parse_received_at(received_at, settings.tz)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    result = compute_deadline(when, tz=settings.tz, policy_days=settings.policy_days)
    if extension_months is not None:
        result = preview_extension(result, extension_months)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True))
    else:
        typer.echo(result.explain("en" if lang is Language.EN else "nl"))


def _register_plugins() -> None:
    from avgdesk.triage.plugins import load_plugins

    for module in load_plugins():
        register = getattr(module, "register_cli", None)
        if callable(register):
            register(app)


def main() -> None:
    _register_plugins()
    try:
        app()
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from exc
    except AvgdeskError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from exc
