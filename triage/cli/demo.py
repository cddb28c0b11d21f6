"""``avgdesk demo``: everything on embedded defaults."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from avgdesk.triage.cli.context import settings_of


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
    from avgdesk.triage.demo import run_demo

    run_demo(settings_of(ctx), keep_running=sys.stdout.isatty() if serve is None else serve)
