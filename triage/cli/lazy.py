"""A Typer group whose subcommands are imported only when they run.

``avgdesk --help`` lists every command from a static table of short help texts, so it
imports none of them (SQLAlchemy, alembic, scikit-learn, holidays and jinja2 stay unloaded);
a test keeps the table equal to the commands' own help. A loaded command converts its
plain parameter values without pydantic (:mod:`~avgdesk.triage.cli.coercion`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

try:
    from avgdesk.triage.cli.coercion import lighten
except ImportError:  # a Typer without the internals coercion.py uses: convert as Typer does

    def lighten(params: list[Any]) -> list[Any]:
        return params


class LightCommand(TyperCommand):
    """A command whose plain parameter values convert without pydantic."""

    def get_params(self, ctx: Any) -> list[Any]:
        return lighten(super().get_params(ctx))


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives (``module:attribute``) and its one-line help."""

    target: str
    short_help: str

    def load(self, name: str) -> Any:
        module_name, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            # Always a group, as app.add_typer() makes it: a sub-app with one command
            # (db upgrade) must not collapse into that command.
            return typer.main.get_group(obj)
        # A plain command function: wrap it the way app.command() would.
        single = typer.Typer(rich_markup_mode=None)
        single.command(name=name, cls=LightCommand)(obj)
        return typer.main.get_command(single)


class LazyGroup(TyperGroup):
    """Subclass and set ``lazy_commands``; eager commands (plugins) work as usual."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}

    def get_params(self, ctx: Any) -> list[Any]:
        return lighten(super().get_params(ctx))  # the root's own options, as LightCommand

    def list_commands(self, ctx: Any) -> list[str]:
        eager = [name for name in super().list_commands(ctx) if name not in self.lazy_commands]
        return [*self.lazy_commands, *eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            command = self.lazy_commands[cmd_name].load(cmd_name)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            lazy = self.lazy_commands.get(name)
            if lazy is not None and name not in self.commands:
                rows.append((name, lazy.short_help))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
