"""The command line starts without its heavy libraries, and its static help cannot drift."""

from __future__ import annotations

import json
import subprocess
import sys

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
