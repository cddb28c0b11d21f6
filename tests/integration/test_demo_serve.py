"""``avgdesk demo --serve`` on an empty data folder: the web UI answers while the model trains."""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _read_until(proc: subprocess.Popen[str], pattern: str, timeout_s: float) -> list[str]:
    """Lines of stdout up to the first that matches ``pattern`` (a hang fails, with the output)."""
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if selector.select(timeout=1.0):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if re.search(pattern, line):
                return lines
    raise AssertionError(f"{pattern!r} not printed within {timeout_s} s: {''.join(lines)[-2000:]}")


def test_the_web_ui_starts_before_the_first_training(tmp_path: Path) -> None:
    exe = shutil.which("avgdesk")
    cmd = [exe] if exe else [sys.executable, "-P", "-c", "from avgdesk.triage.cli.root import main; main()"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    # An empty data folder and no shared model: the first pass must train.
    env.update(AVGDESK_DATA_DIR=str(tmp_path / "data"), AVGDESK_MODEL_SHARED_DIR="", COLUMNS="200")
    proc = subprocess.Popen(
        [*cmd, "demo", "--serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True
    )
    try:
        lines = _read_until(proc, r"Web UI: http://", timeout_s=120)
        assert not any("ingested" in line for line in lines)  # the first pass has not ended
        url = re.search(r"(http://[0-9.:]+)/", lines[-1])
        assert url is not None
        with urllib.request.urlopen(f"{url.group(1)}/contact", timeout=30) as response:
            assert response.status == 200
        assert not list((tmp_path / "data" / "demo" / "model").glob("classifier-*.joblib"))
        children = _children(proc.pid)
        assert children, "the embedded IMAP server runs as a child process"
        proc.terminate()
        proc.wait(timeout=120)
        # SIGTERM stops the demo as Ctrl-C does: its embedded IMAP server goes with it (it
        # was left running when SIGTERM ended the process at once).
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    """Running and not a zombie (a reaped-later child counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
