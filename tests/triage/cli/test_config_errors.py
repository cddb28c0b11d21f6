"""Issue 14 item 5: every configuration or connection error is one line that says what to
change, exit 2 for a bad value and 1 for an unreachable database, never a traceback, and
no database is created in a folder that does not exist. Runs the real ``avgdesk`` binary."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

AVGDESK = shutil.which("avgdesk")


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    if AVGDESK is None:
        pytest.fail("the avgdesk entry point is not installed (pip install -e .)")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    clean.update({"AVGDESK_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [AVGDESK, *args], env=clean, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unknown_log_level(tmp_path: Path) -> None:
    result = _run(tmp_path, "cases", "list", AVGDESK_LOG_LEVEL="LOUD")
    assert result.returncode == 2
    line = _one_line(result)
    assert "LOUD" in line and "INFO" in line


def test_sqlite_in_a_missing_folder_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    result = _run(tmp_path, "cases", "list", AVGDESK_DATABASE_URL=f"sqlite:///{missing / 'x.db'}")
    assert result.returncode == 2
    assert "does not exist" in _one_line(result)
    assert not (tmp_path / "nonexistent").exists()


def test_bad_toml_file(tmp_path: Path) -> None:
    config = tmp_path / "avgdesk.toml"
    config.write_text("log_level = \n[[", encoding="utf-8")
    result = _run(tmp_path, "--config", str(config), "cases", "list")
    assert result.returncode == 2
    assert "TOML" in _one_line(result)


def test_unreachable_postgresql(tmp_path: Path) -> None:
    url = f"postgresql://avgdesk@127.0.0.1:{_closed_port()}/avgdesk"
    result = _run(tmp_path, "cases", "list", AVGDESK_DATABASE_URL=url)
    assert result.returncode == 1
    line = _one_line(result)
    assert "unreachable" in line and "AVGDESK_DATABASE_URL" in line
