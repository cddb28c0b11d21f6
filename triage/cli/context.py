"""What every command reads from the Typer context: the settings, loaded once by the root."""

from __future__ import annotations

import typer

from avgdesk.triage.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback loaded (sub-app contexts inherit the root's obj)."""
    settings = ctx.obj if ctx.obj is not None else ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings
