"""``avgdesk status``: counts, the intake heartbeat and health, for people and for monitoring."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer

from avgdesk.triage.cli.context import settings_of


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when not healthy (for monitoring).")] = False,
) -> None:
    """Counts, the intake heartbeat, health and its problems. Reads only (no migration).

    Exit codes: 0 read (with --check: and healthy), 1 --check and not healthy,
    2 configuration error, 3 database unreadable."""
    from avgdesk.triage.reports.status import lines, report

    settings = settings_of(ctx)
    data, code = report(settings, check=check)
    if as_json:
        typer.echo(json.dumps(data, sort_keys=True))
    else:
        # Which database was read: a wrong AVGDESK_DATA_DIR otherwise shows as plausible zeros.
        typer.echo(f"{'database':16} {_without_password(settings.effective_database_url)}")
        for line in lines(data):
            typer.echo(line)
    if code:
        raise typer.Exit(code)


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
