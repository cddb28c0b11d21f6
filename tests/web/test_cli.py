"""`avgdesk users ...`, `avgdesk serve` registration and the demo's web service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from typer.testing import CliRunner

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.triage.cli.root import _register_plugins, app
from avgdesk.triage.settings import load_settings
from avgdesk.web.plugin import DEMO_PASSWORD, DEMO_USERNAME, demo_service


def test_users_add_list_disable(tmp_path: Path, monkeypatch: object) -> None:
    _register_plugins()
    env = {"AVGDESK_DATA_DIR": str(tmp_path), "AVGDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"}
    runner = CliRunner()
    names = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands} | {
        g.name for g in app.registered_groups
    }
    assert {"serve", "users"} <= names
    r = runner.invoke(
        app,
        ["users", "add", "anna", "--role", "approver", "--password-stdin"],
        input="geheim-wachtwoord\n",
        env=env,
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["users", "add", "anna", "--role", "approver", "--password-stdin"],
        input="geheim-wachtwoord\n",
        env=env,
    )
    assert r.exit_code == 1 and "bestaat al" in r.output
    r = runner.invoke(
        app, ["users", "add", "kort", "--role", "admin", "--password-stdin"], input="kort\n", env=env
    )
    assert r.exit_code == 1
    r = runner.invoke(app, ["users", "list"], env=env)
    assert "anna\tapprover\tactive" in r.output
    assert runner.invoke(app, ["users", "disable", "anna"], env=env).exit_code == 0
    assert "anna\tapprover\tdisabled" in runner.invoke(app, ["users", "list"], env=env).output
    engine = make_engine(env["AVGDESK_DATABASE_URL"])
    from sqlmodel import Session, select

    from avgdesk.models.tables import User

    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "anna")).one()
        assert user.password_hash.startswith("$argon2id$") and "geheim" not in user.password_hash
    engine.dispose()


def test_demo_service_serves_and_prints_a_login(tmp_path: Path) -> None:
    settings = load_settings(None, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'd.sqlite3'}")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)

    async def run() -> str:
        async with demo_service(settings, engine) as line:
            url = line.split("Web UI: ", 1)[1].split(" ", 1)[0]
            async with httpx.AsyncClient() as client:
                page = await client.get(url + "login")
                assert page.status_code == 200 and "Inloggen" in page.text
            return line

    line = asyncio.run(run())
    assert f"log in as {DEMO_USERNAME} / {DEMO_PASSWORD}" in line
    engine.dispose()


def test_users_disable_refuses_the_last_admin_without_a_traceback(tmp_path: Path) -> None:
    _register_plugins()
    env = {"AVGDESK_DATA_DIR": str(tmp_path), "AVGDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"}
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["users", "add", "beheer", "--role", "admin", "--password-stdin"],
        input="geheim-wachtwoord\n",
        env=env,
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "disable", "beheer"], env=env)
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.exception  # a message, not a crash
    assert "last active administrator" in r.output
    assert "beheer\tadmin\tactive" in runner.invoke(app, ["users", "list"], env=env).output
