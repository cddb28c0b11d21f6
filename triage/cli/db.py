"""``avgdesk db``: database maintenance."""

from __future__ import annotations

import typer

from avgdesk.triage.cli.context import settings_of

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True, rich_markup_mode=None)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply the database migrations (also done at every start)."""
    from avgdesk.models.migrate import current_revision
    from avgdesk.triage.runtime import open_runtime

    runtime = open_runtime(settings_of(ctx))
    typer.echo(f"database at revision {current_revision(runtime.engine)}")
