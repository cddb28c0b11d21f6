"""The ``avgdesk`` command line (Typer). Settings are read here, once, and passed down.

Start-up is kept short (``avgdesk --help`` imports typer and the standard library only):
every command lives in its own module, imported when it runs (``LazyGroup``); the short
help texts below are what ``--help`` shows without importing them (a test compares them
with the commands' own docstrings). Settings (pydantic-settings) load when a command first
asks for them (:func:`~avgdesk.triage.cli.context.settings_of`), so no ``--help`` builds
them; ``deadline`` reads its two settings without them
(:func:`~avgdesk.triage.cli.context.read_deadline_settings`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, ClassVar

import typer

from avgdesk.models.errors import AvgdeskError, ConfigurationError
from avgdesk.triage.cli.lazy import LazyCommand, LazyGroup

_CLI = "avgdesk.triage.cli"


class RootGroup(LazyGroup):
    lazy_commands: ClassVar[dict[str, LazyCommand]] = {
        "run": LazyCommand(
            f"{_CLI}.worker:run",
            "Run the worker: intake, triage, first drafts, the outbox, summary, reminders, retention.",
        ),
        "status": LazyCommand(
            f"{_CLI}.status:status", "Counts, the intake heartbeat, health and its problems."
        ),
        "db": LazyCommand(f"{_CLI}.db:db_app", "Database maintenance."),
        "demo": LazyCommand(
            f"{_CLI}.demo:demo",
            "Everything on embedded defaults: an in-memory IMAP server with sample enquiries.",
        ),
        "deadline": LazyCommand(
            f"{_CLI}.deadline:deadline",
            "The statutory deadline for one receipt time, with its explanation.",
        ),
        "cases": LazyCommand(
            f"{_CLI}.cases:cases_app",
            "Cases: list, show, extend, pause, resume, close, reopen, relabel, assign, note.",
        ),
        "drafts": LazyCommand(
            f"{_CLI}.drafts:drafts_app",
            (
                "Reply drafts: list, show, versions, create, edit, approve, approve-acknowledgements, "
                "discard, attach, attachments, detach."
            ),
        ),
        "tasks": LazyCommand(
            f"{_CLI}.tasks:tasks_app",
            "The systems checklist of a case: list, keys, collect, erase-preview, erase, override.",
        ),
        "summary": LazyCommand(
            f"{_CLI}.summary:summary_command",
            "The Monday backlog summary: --preview [--output FILE.eml] or --send.",
        ),
        "classify": LazyCommand(
            f"{_CLI}.classify:classify_command",
            "Labels, scores, review flag and language for each message file.",
        ),
        "eval": LazyCommand(
            f"{_CLI}.classify:eval_command",
            "Per-label precision/recall/F1, macro-F1, request recall and the confusions.",
        ),
        "train": LazyCommand(
            f"{_CLI}.classify:train_command",
            "Train the classifier on the corpus and the staff corrections (cached in the data folder).",
        ),
        "mailbox": LazyCommand(
            f"{_CLI}.mailbox:mailbox_app",
            "The mailbox connection: check the settings without sending anything.",
        ),
        "purge": LazyCommand(
            f"{_CLI}.worker:purge",
            "Delete what is past its retention period (the worker also does this daily).",
        ),
    }


app = typer.Typer(
    cls=RootGroup,
    no_args_is_help=True,
    help="avgdesk: the privacy desk that reads the privacy mailbox and tracks AVG requests.",
    pretty_exceptions_enable=False,
    # Plain click help: rich costs a tenth of a second at every start.
    rich_markup_mode=None,
)


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML file with settings (environment variables win).")
    ] = None,
) -> None:
    if ctx.invoked_subcommand in RootGroup.lazy_commands:
        # Our commands load the settings when they need them (context.settings_of), so
        # 'avgdesk cases --help' does not build them and 'deadline' reads its two itself.
        return
    from avgdesk.triage.cli.context import load_root_settings

    ctx.obj = load_root_settings(config)  # a plugin's command (serve, users) reads ctx.obj


def _register_plugins() -> None:
    from avgdesk.triage.plugins import load_plugins

    for module in load_plugins():
        register = getattr(module, "register_cli", None)
        if callable(register):
            register(app)


def _builtin_command(args: list[str]) -> bool:
    """Whether the command line names one of our own commands (then no plugin is loaded:
    finding them reads every installed package's entry points, and plugins only add commands)."""
    words = iter(args)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word in RootGroup.lazy_commands
    return False


def main() -> None:
    if not _builtin_command(sys.argv[1:]):
        _register_plugins()
    try:
        app()
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from exc
    except AvgdeskError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from exc
    except Exception as exc:
        if not _is_connection_error(exc):
            raise
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        typer.echo(f"error: database unreachable ({first}); check AVGDESK_DATABASE_URL", err=True)
        raise SystemExit(1) from exc


def _is_connection_error(exc: BaseException) -> bool:
    """A database that cannot be reached: one line and exit 1, not a traceback (issue 14).
    Checked by module name so the command line does not import SQLAlchemy to start."""
    module = type(exc).__module__
    return type(exc).__name__ in ("OperationalError", "InterfaceError") and module.startswith("sqlalchemy")
