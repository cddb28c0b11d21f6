"""``avgdesk mailbox``: the mailbox connection (password or OAuth 2.0)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from avgdesk.triage.cli.context import settings_of

mailbox_app = typer.Typer(
    help="The mailbox connection: check the settings without sending anything.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@mailbox_app.command("check")
def check(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Log in as the worker does and report what works and what to fix; sends nothing.

    Checks the IMAP login (password or OAuth token), the folders (the one read, the
    processed and the Sent folder), IDLE and MOVE, and the SMTP login or the Graph token.
    Exit codes: 0 all checks passed (warnings allowed), 1 something must be fixed,
    2 configuration error."""
    import asyncio

    from avgdesk.triage.connectors import mailbox_check

    report = asyncio.run(mailbox_check(settings_of(ctx)))
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, "findings": [f.as_dict() for f in report.findings]}))
    else:
        for line in report.lines():
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)
