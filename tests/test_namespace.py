"""The single avgdesk.* namespace must not shadow the standard library."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import avgdesk.mailbox

REPO = Path(__file__).resolve().parent.parent


def test_import_mailbox_is_the_standard_library_in_this_process() -> None:
    import mailbox

    assert hasattr(mailbox, "Maildir") and hasattr(mailbox, "mbox")
    assert Path(mailbox.__file__).parent != REPO / "mailbox"
    assert Path(avgdesk.mailbox.__file__).parent == REPO / "mailbox"


def test_every_package_is_importable_under_avgdesk() -> None:
    for name in ("mailbox", "classifiers", "triage", "replies", "models", "web"):
        module = importlib.import_module(f"avgdesk.{name}")
        assert Path(module.__file__).parent == REPO / name  # type: ignore[arg-type]


def test_aiosmtpd_and_pymap_still_get_the_standard_mailbox_from_the_repository_root() -> None:
    # -P: what the README's commands do; without it python puts the cwd first on sys.path.
    out = subprocess.run(
        [sys.executable, "-P", "-c", "import mailbox, aiosmtpd.handlers; print(mailbox.Maildir.__module__)"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "mailbox"
