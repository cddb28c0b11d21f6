"""``avgdesk run`` and ``avgdesk purge``: the worker and the retention pass."""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING, Annotated

import typer

from avgdesk.triage.cli.context import settings_of

if TYPE_CHECKING:
    from avgdesk.triage.worker.runner import OnceReport, Worker


def run(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Drain everything waiting, then exit.")] = False,
) -> None:
    """Run the worker: intake, triage, first drafts, the outbox, summary, reminders, retention."""
    from avgdesk.triage.runtime import open_runtime
    from avgdesk.triage.worker.runner import Worker

    runtime = open_runtime(settings_of(ctx))
    worker = Worker(runtime.settings, runtime.engine, classifier_factory=runtime.classifier)
    try:
        if once:
            _report(asyncio.run(worker.run_once()))
            return
        asyncio.run(_run_forever(worker))
    finally:
        worker.close()


def _report(report: OnceReport) -> None:
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


async def _run_forever(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.request_stop)
    await worker.run_forever()


def purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count what would be deleted.")] = False,
) -> None:
    """Delete what is past its retention period (the worker also does this daily)."""
    from avgdesk.triage.cases.retention import purge as run_purge
    from avgdesk.triage.runtime import open_runtime

    runtime = open_runtime(settings_of(ctx))
    result = run_purge(runtime.engine, runtime.settings, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"{verb} {len(result.cases)} case(s) and {result.messages} message(s)")
    for reference in result.cases:
        typer.echo(f"  {reference}")
