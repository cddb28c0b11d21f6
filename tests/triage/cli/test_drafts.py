"""``avgdesk drafts attach / attachments / detach`` (issue 17) as users call them: the same
use cases as the draft page — limits, the list with sha256, and a changed file revoking an
approval that was not sent yet."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from draft_files import PDF, access_draft, close_all_tasks
from helpers import avgdesk
from sqlmodel import Session, select

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import AuditEvent, Draft, OutboxItem
from avgdesk.triage.cases import attachments, drafts
from avgdesk.triage.settings import load_settings


def _run(env: dict[str, str], cwd: Path, *args: str, code: int = 0) -> Any:
    out = avgdesk("drafts", *args, env=env, cwd=cwd)
    assert out.returncode == code, (out.stdout, out.stderr)
    return out


def test_attach_list_detach_and_revocation(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    env = {"AVGDESK_DATA_DIR": str(data), "AVGDESK_DATABASE_URL": db_url}
    settings = load_settings(None, data_dir=data, database_url=db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    _, draft_id = access_draft(engine, settings)
    close_all_tasks(engine)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    out = _run(env, tmp_path, "attach", str(draft_id), str(scan), "--by", "anna")
    assert f"scan.pdf ({len(PDF)} bytes)" in out.stdout
    virus = tmp_path / "x.exe"
    virus.write_bytes(b"MZ\x90\x00" + b"\x00" * 50)
    refused = _run(env, tmp_path, "attach", str(draft_id), str(virus), "--by", "anna", code=1)
    assert "Dit soort bestand" in refused.stderr
    missing = _run(env, tmp_path, "attach", str(draft_id), str(tmp_path / "nope.pdf"), "--by", "anna", code=2)
    assert "kan niet worden gelezen" in missing.stderr
    attachments.build_package(engine, settings, draft_id, by="anna")
    listed = json.loads(_run(env, tmp_path, "attachments", str(draft_id), "--json").stdout)
    assert {r["name"]: r["sha256"] for r in listed}["scan.pdf"] == hashlib.sha256(PDF).hexdigest()
    assert len(listed) == 2
    plain = _run(env, tmp_path, "attachments", str(draft_id)).stdout.splitlines()
    assert f"scan.pdf\t{len(PDF)}\t{hashlib.sha256(PDF).hexdigest()}" in plain
    approved = drafts.approve(engine, settings, draft_id, by="anna")
    # Removing a file after the approval revokes it, as on the draft page.
    _run(env, tmp_path, "detach", str(draft_id), "scan.pdf", "--by", "anna")
    _run(env, tmp_path, "detach", str(draft_id), "scan.pdf", "--by", "anna", code=1)
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None and draft.state.value == "draft" and draft.approved_by is None
        assert s.get(OutboxItem, approved.outbox_id) is None
        actions = [e.action for e in s.exec(select(AuditEvent)) if e.action.startswith("draft.")]
    assert "draft.approval_revoked" in actions and actions[-1] == "draft.attachment_removed"
    names = [
        r["name"] for r in json.loads(_run(env, tmp_path, "attachments", str(draft_id), "--json").stdout)
    ]
    assert names == [n for n in names if n != "scan.pdf"] and len(names) == 1
    engine.dispose()
