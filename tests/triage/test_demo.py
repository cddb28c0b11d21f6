"""The README's first command: ``avgdesk demo`` on a fresh data folder."""

from __future__ import annotations

import email
import shutil
from pathlib import Path

from helpers import avgdesk


def test_demo_runs_everything_on_embedded_defaults(tmp_path: Path, trained_model_dir: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(trained_model_dir, data / "demo" / "model")  # skip the first training
    out = avgdesk("demo", "--no-serve", env={"AVGDESK_DATA_DIR": str(data), "COLUMNS": "100"}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "ingested 12, processed 12, quarantined 0" in out.stdout
    assert "AVG-2026-0001" in out.stdout and "Mail the customer receives" in out.stdout
    sent = sorted((data / "demo" / "sent-mail").glob("*.eml"))
    assert len(sent) == 1
    msg = email.message_from_bytes(sent[0].read_bytes())
    assert msg["From"].endswith("<privacy@nhmbsoftware.nl>") and "[AVG-2026-" in msg["Subject"]
    # Issue 14 item 9: a clean terminal that says where things are and what left.
    assert f"mail sent to {msg['To'].split('<')[-1].rstrip('>')}: {sent[0]}" in out.stdout
    assert f"data folder: {data / 'demo'}" in out.stdout
    log_file = data / "demo" / "avgdesk-demo.log"
    assert f"log file:    {log_file}" in out.stdout and "classifier" in log_file.read_text()
    assert " INFO " not in out.stdout and " INFO " not in out.stderr
    command = [line for line in out.stdout.splitlines() if "avgdesk drafts list" in line]
    url = f"sqlite:///{data / 'demo' / 'avgdesk-demo.sqlite3'}"
    assert command == [f"  AVGDESK_DATABASE_URL='{url}' avgdesk drafts list"]
    # A second run starts from scratch again (no duplicate cases from the first).
    again = avgdesk("demo", "--no-serve", env={"AVGDESK_DATA_DIR": str(data)}, cwd=tmp_path)
    assert again.returncode == 0 and "ingested 12, processed 12" in again.stdout
