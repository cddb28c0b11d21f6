"""Issue 17: attachments on drafts and the access package, end to end below the web UI —
upload limits, the package from the collected CRM rows, the approval rule (the file the
letter names must be there), the approved mail carrying the exact bytes, and a changed
file revoking the approval — on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from crm import create_crm
from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.errors import AttachmentRefused
from avgdesk.models.tables import (
    AuditEvent,
    Case,
    CaseTask,
    Draft,
    DraftAttachment,
    InboundMessage,
    OutboxItem,
    User,
)
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import attachments, collect, drafts, retention, tasks
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def _access_draft(engine: Any, settings: Any) -> tuple[str, int]:
    raw = mail(1, sender="jan.devries@example.nl", body="#access")
    store_local_message(engine, raw, received_at=datetime(2026, 3, 5, 10, 0, tzinfo=UTC))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        s.add(User(username="anna", password_hash="x", role=Role.APPROVER))
        case = s.exec(select(Case)).one()
        case.identity_verified_at = datetime(2026, 3, 6, tzinfo=UTC)
        s.add(case)
        s.commit()
        reference = case.reference
    created = drafts.create(engine, settings, reference, "access", by="anna")
    assert created.render_error is None
    return reference, created.draft_id


def _close_all_tasks(engine: Any) -> None:
    with Session(engine) as s:
        ids = [t.id for t in s.exec(select(CaseTask))]
    for task_id in ids:
        tasks.close_task(engine, task_id or 0, "done", by="anna")


def test_upload_limits(engine: Any, make_settings: Any) -> None:
    settings = make_settings(attachment_max_bytes=20_000, attachment_total_max_bytes=15_000)
    _, draft_id = _access_draft(engine, settings)
    with pytest.raises(AttachmentRefused, match="type") as wrong:
        attachments.add(engine, settings, draft_id, "virus.exe", b"MZ\x90\x00\x03" + b"\x00" * 10, by="anna")
    assert "Dit soort bestand" in wrong.value.staff_message
    with pytest.raises(AttachmentRefused) as big:
        attachments.add(engine, settings, draft_id, "groot.pdf", PDF * 3, by="anna")
    assert "te groot" in big.value.staff_message
    first = attachments.add(engine, settings, draft_id, "C:\\scans\\brief.pdf", PDF, by="anna")
    with pytest.raises(AttachmentRefused, match="together"):
        attachments.add(engine, settings, draft_id, "tweede.pdf", PDF, by="anna")
    with Session(engine) as s:
        item = s.get(DraftAttachment, first)
        assert item is not None and item.filename == "brief.pdf" and item.content_type == "application/pdf"
        assert item.sha256 == hashlib.sha256(PDF).hexdigest() and item.size_bytes == len(PDF)
    attachments.remove(engine, settings, draft_id, first, by="anna")
    with Session(engine) as s:
        assert s.exec(select(DraftAttachment)).first() is None
        actions = [e.action for e in s.exec(select(AuditEvent)) if e.action.startswith("draft.attachment")]
    assert actions == ["draft.attachment_added", "draft.attachment_removed"]


def test_package_goes_out_with_the_access_answer(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_crm(db_url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    settings = make_settings()
    reference, draft_id = _access_draft(engine, settings)
    collect.collect(engine, settings, reference, by="anna")
    _close_all_tasks(engine)
    with pytest.raises(AttachmentRefused) as missing:
        drafts.approve(engine, settings, draft_id, by="anna")
    assert f"inzage-{reference}.zip" in missing.value.staff_message
    attachments.add(engine, settings, draft_id, "export-boekhouding.pdf", PDF, by="anna")
    attachments.build_package(engine, settings, draft_id, by="anna")
    approved = drafts.approve(engine, settings, draft_id, by="anna")
    with Session(engine) as s:
        item = s.get(OutboxItem, approved.outbox_id)
        stored = {a.filename: a.data for a in s.exec(select(DraftAttachment))}
    assert item is not None
    message = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
    parts = {p.get_filename(): p.get_content() for p in message.iter_attachments()}  # type: ignore[attr-defined]
    assert set(parts) == {"export-boekhouding.pdf", f"inzage-{reference}.zip"}
    assert parts["export-boekhouding.pdf"] == PDF
    package = parts[f"inzage-{reference}.zip"]
    assert package == stored[f"inzage-{reference}.zip"]
    names = zipfile.ZipFile(io.BytesIO(package)).namelist()
    assert "crm/klantgegevens.csv" in names and "bijlagen/export-boekhouding.pdf" in names
    assert any(n.startswith("berichten/") for n in names)
    assert b"K-1002" not in zipfile.ZipFile(io.BytesIO(package)).read("crm/klantgegevens.csv")
    # A file changed after the approval revokes it (the outbox item goes with it).
    attachments.add(engine, settings, draft_id, "export-boekhouding.pdf", PDF + b"v2", by="anna")
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None and draft.state.value == "draft" and draft.approved_by is None
        assert s.get(OutboxItem, approved.outbox_id) is None
    # Retention deletes the package, the uploads, the rows and the tasks with the case.
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        retention._delete_messages(s, [m.id or 0 for m in s.exec(select(InboundMessage))])
        retention._delete_cases(s, [case.id or 0])
        s.commit()
        assert s.exec(select(DraftAttachment)).first() is None and s.exec(select(CaseTask)).first() is None
