"""The command line starts without its heavy libraries, and its static help cannot drift."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from avgdesk.triage.cli.root import RootGroup, app

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "pydantic_settings", "holidays", "jinja2", "sklearn", "fastapi")


@pytest.mark.parametrize("name", sorted(RootGroup.lazy_commands))
def test_static_short_help_is_the_commands_own(name: str) -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, RootGroup)
    command = RootGroup.lazy_commands[name].load(name)
    limit = 10_000  # compare whole first sentences, not what fits a terminal
    assert RootGroup.lazy_commands[name].short_help == command.get_short_help_str(limit)


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys, json\n"
        "from avgdesk.triage.cli.root import main\n"
        "sys.argv = ['avgdesk', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert "deadline" in out.stdout and "serve" in out.stdout  # lazy and plugin commands listed
    assert json.loads(lines[-1]) == []


def _loaded_after(args: list[str], modules: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run ``avgdesk <args>`` in a fresh interpreter: its output and which ``modules`` it loaded."""
    code = (
        "import sys, json\n"
        "from avgdesk.triage.cli.root import main\n"
        f"sys.argv = ['avgdesk', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps([m for m in {modules!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=True)
    return out.stdout, json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        ["deadline", "2026-03-05"],
        ["deadline", "2026-03-05", "--json", "--lang", "en", "--extension-months", "2"],
    ],
)
def test_deadline_loads_neither_pydantic_nor_storage(args: list[str]) -> None:
    """``deadline`` reads its two settings itself (context.read_deadline_settings) and its
    parameters convert without pydantic (cli/coercion.py): neither pydantic, the Settings
    class nor SQLAlchemy, Jinja2 or scikit-learn load."""
    modules = ("pydantic", "pydantic_settings", "avgdesk.triage.settings", "sqlalchemy", "jinja2", "sklearn")
    output, loaded = _loaded_after(args, modules)
    assert "2026-04-07" in output
    assert loaded == []


@pytest.mark.parametrize(
    "command", ["classify", "cases", "drafts", "db", "status", "summary", "run", "deadline"]
)
def test_a_commands_help_builds_no_settings(command: str) -> None:
    """Settings load when a command first needs them (context.settings_of), so no ``--help``
    builds them, and the command modules import their storage and models inside the commands."""
    output, loaded = _loaded_after([command, "--help"], (*HEAVY, "pydantic", "avgdesk.triage.settings"))
    assert "Usage:" in output
    assert loaded == []


def test_status_without_graph_loads_no_http_client(tmp_path: Path) -> None:
    """``avgdesk status`` reads the login in use (connectors.auth_status); the Graph transport,
    and with it httpx, is imported only where a Graph mailer is built."""
    code = (
        "import sys, json\n"
        "from avgdesk.triage.connectors import auth_status\n"
        "from avgdesk.triage.settings import load_settings\n"
        "data = auth_status(load_settings(data_dir=sys.argv[1]))\n"
        "print(json.dumps([data['outbox_transport'], [m for m in ('httpx', 'avgdesk.mailbox.graph',"
        " 'aiosmtplib', 'imapclient') if m in sys.modules]]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-P", "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == ["smtp", []]


@pytest.mark.parametrize(
    ("args", "builtin"),
    [
        (["deadline", "2026-03-05"], True),
        (["--config", "status", "deadline"], True),  # "status" is the --config file here
        (["--config", "x.toml", "status"], True),
        (["serve"], False),  # a plugin's command: plugins load
        (["users", "list"], False),
        (["--help"], False),  # the listing shows plugin commands too
        ([], False),
    ],
)
def test_plugins_load_only_for_commands_that_are_not_ours(args: list[str], builtin: bool) -> None:
    from avgdesk.triage.cli.root import _builtin_command

    assert _builtin_command(args) is builtin
