"""Issue 14 item 10, the command-line part: outputs a first-hour user can read. Runs the
real ``avgdesk`` binary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

AVGDESK = shutil.which("avgdesk")


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if AVGDESK is None:
        pytest.fail("the avgdesk entry point is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    env["AVGDESK_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [AVGDESK, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def test_status_names_the_database_and_creates_none(tmp_path: Path) -> None:
    result = _run(tmp_path, "status")
    assert result.returncode == 3  # documented: the database cannot be read
    assert f"database         sqlite:///{tmp_path / 'data' / 'avgdesk.sqlite3'}" in result.stdout
    assert not (tmp_path / "data" / "avgdesk.sqlite3").exists()
    assert "Traceback" not in result.stderr


def test_cases_list_says_when_there_are_none(tmp_path: Path) -> None:
    result = _run(tmp_path, "cases", "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Geen zaken gevonden."


def test_classify_a_missing_file_fails_before_the_model_loads(tmp_path: Path) -> None:
    result = _run(tmp_path, "classify", str(tmp_path / "missing.eml"))
    assert result.returncode == 2
    assert "missing.eml" in result.stderr and "not found" in result.stderr
    # The model would have been trained (and stored) had it been loaded first.
    assert not list((tmp_path / "data").glob("model/classifier-*.joblib"))


def test_deadline_starts_with_a_headline_and_the_date(tmp_path: Path) -> None:
    result = _run(tmp_path, "deadline", "2026-03-05")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Uiterste termijn: 2026-04-07"
    english = _run(tmp_path, "deadline", "2026-03-05", "--lang", "en")
    assert english.stdout.splitlines()[0] == "Deadline: 2026-04-07"
