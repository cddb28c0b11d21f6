"""The command line as users call it: a real subprocess, real settings, real database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import avgdesk


@pytest.fixture
def env(tmp_path: Path, db_url: str, trained_model_dir: Path) -> dict[str, str]:
    data = tmp_path / "data"
    shutil.copytree(trained_model_dir, data / "model")
    return {"AVGDESK_DATA_DIR": str(data), "AVGDESK_DATABASE_URL": db_url}


def test_status_json_has_the_design_fields(env: dict[str, str], tmp_path: Path) -> None:
    assert avgdesk("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    out = avgdesk("status", "--json", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("messages", "cases", "quarantined", "drafts_pending", "outbox_pending", "last_poll_at"):
        assert key in data
    assert data["messages"] == 0 and data["last_poll_at"] is None
    assert data["outbox_ambiguous"] == 0
    # No worker has run: not healthy, with the reason, and --check says so in its exit code.
    assert data["healthy"] is False and any("worker" in p for p in data["problems"])
    assert avgdesk("status", "--check", env=env, cwd=tmp_path).returncode == 1


def test_status_reads_without_creating_or_migrating_a_database(env: dict[str, str], tmp_path: Path) -> None:
    out = avgdesk("status", "--json", env=env, cwd=tmp_path)
    assert out.returncode == 3, (out.stdout, out.stderr)
    data = json.loads(out.stdout)
    assert data["healthy"] is False and data["problems"][0].startswith("database:")
    assert not list((Path(env["AVGDESK_DATA_DIR"])).glob("*.sqlite3"))


def test_run_once_without_mailbox_says_so_and_processes_stored(
    env: dict[str, str], tmp_path: Path, db_url: str, mail_factory: Any
) -> None:
    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage.intake.local import store_local_message

    engine = make_engine(db_url)
    upgrade(engine)
    store_local_message(
        engine,
        mail_factory(1, subject="Verwijder mijn account", body="Verwijder al mijn gegevens en mijn account."),
    )
    engine.dispose()
    out = avgdesk("run", "--once", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "No mailbox configured" in out.stdout
    assert "processed 1" in out.stdout
    status = json.loads(avgdesk("status", "--json", env=env, cwd=tmp_path).stdout)
    assert status["messages"] == 1 and status["quarantined"] == 0 and status["cases"] == 1


def test_run_once_reports_an_unreachable_mailbox_and_exits_non_zero(
    env: dict[str, str], tmp_path: Path
) -> None:
    from servers import free_port

    env = {
        **env,
        "AVGDESK_IMAP_HOST": "127.0.0.1",
        "AVGDESK_IMAP_PORT": str(free_port()),
        "AVGDESK_IMAP_USERNAME": "u",
        "AVGDESK_IMAP_SECURITY": "none",
    }
    out = avgdesk("run", "--once", env=env, cwd=tmp_path)
    assert out.returncode == 1
    assert "intake failed" in out.stderr and "IMAP connection failed" in out.stderr
    status = json.loads(avgdesk("status", "--json", env=env, cwd=tmp_path).stdout)
    assert status["intake_errors"] and "ConnectionRefused" in status["intake_errors"][0]["error"]


def test_toml_config_and_environment_precedence(tmp_path: Path, env: dict[str, str]) -> None:
    cfg = tmp_path / "avgdesk.toml"
    cfg.write_text('timezone = "Europe/London"\nimap_folder = "Privacy"\n')
    out = avgdesk("--config", str(cfg), "deadline", "2026-03-05T23:30", "--json", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["timezone"] == "Europe/London"
    out = avgdesk(
        "--config",
        str(cfg),
        "deadline",
        "2026-03-05",
        "--json",
        env={**env, "AVGDESK_TIMEZONE": "Europe/Amsterdam"},
        cwd=tmp_path,
    )
    assert json.loads(out.stdout)["timezone"] == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("args", "extra_env", "message"),
    [
        (["--config", "/nonexistent.toml", "status"], {}, "config file not found"),
        (["status"], {"AVGDESK_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
        (["status"], {"AVGDESK_IMAP_SECURITY": "maybe"}, "imap_security"),
        (["status"], {"AVGDESK_DATABASE_URL": "mysql://x/y"}, "unsupported database"),
        (["deadline", "gisteren"], {}, "cannot read receipt time"),
    ],
)
def test_bad_input_gets_a_clear_message(
    args: list[str], extra_env: dict[str, str], message: str, env: dict[str, str], tmp_path: Path
) -> None:
    out = avgdesk(*args, env={**env, **extra_env}, cwd=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_db_upgrade_reports_the_revision(env: dict[str, str], tmp_path: Path) -> None:
    out = avgdesk("db", "upgrade", env=env, cwd=tmp_path)
    assert out.returncode == 0 and "revision" in out.stdout
