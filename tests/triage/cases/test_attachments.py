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
from typing import Any

import pytest
from crm import create_crm
from draft_files import PDF, access_case, access_draft, close_all_tasks
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
)
from avgdesk.triage.cases import attachments, collect, drafts, retention


def test_upload_limits(engine: Any, make_settings: Any) -> None:
    settings = make_settings(attachment_max_bytes=20_000, attachment_total_max_bytes=15_000)
    _, draft_id = access_draft(engine, settings)
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
    reference, draft_id = access_draft(engine, settings)
    collect.collect(engine, settings, reference, by="anna")
    close_all_tasks(engine)
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


def test_a_german_access_answer_names_and_carries_a_german_package(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reviewer (issue 15): the default package name follows the letter's language, and the
    package built and attached carries the name the letter states; a draft written before
    (its text says inzage-…) keeps that name."""
    create_crm(db_url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    settings = make_settings()
    reference = access_case(engine, settings)
    draft_id = drafts.create(engine, settings, reference, "access", by="anna", language="de").draft_id
    collect.collect(engine, settings, reference, by="anna")
    close_all_tasks(engine)
    name = f"auskunft-{reference}.zip"
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None and f"({name})" in " ".join(draft.body_text.split())
    with pytest.raises(AttachmentRefused) as missing:
        drafts.approve(engine, settings, draft_id, by="anna")
    assert name in missing.value.staff_message
    attachments.build_package(engine, settings, draft_id, by="anna")
    drafts.approve(engine, settings, draft_id, by="anna")
    with Session(engine) as s:
        stored = {a.filename: a.data for a in s.exec(select(DraftAttachment))}
        assert set(stored) == {name}
        assert "uebersicht.html" in zipfile.ZipFile(io.BytesIO(stored[name])).namelist()
        draft = s.get(Draft, draft_id)
        assert draft is not None
        draft.body_text = draft.body_text.replace(name, f"inzage-{reference}.zip")
        assert attachments.promised_name(draft, reference) == f"inzage-{reference}.zip"


def _profile_without_german(tmp_path: Any) -> Any:
    from avgdesk.replies.profile import default_profile_path

    path = tmp_path / "controller-no-de.toml"
    text = default_profile_path().read_text(encoding="utf-8")
    path.write_text(text.replace(', de = "Niederlande"', "", 1), encoding="utf-8")
    return path


def test_a_german_draft_whose_profile_lost_german_is_refused_not_mixed(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Review of issue 15: a German draft made while the profile had German, edited after the
    profile lost it, rendered English profile sentences (and "None") into a German letter and a
    German package cover, with no error. Now the edit keeps a render error and the package is
    refused, each with a reason staff can act on."""
    create_crm(db_url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    full = make_settings()
    ref = access_case(engine, full)
    created = drafts.create(engine, full, ref, "access", by="anna", language="de")
    assert created.render_error is None
    partial = make_settings(controller_profile=_profile_without_german(tmp_path))
    with Session(engine) as s:
        draft = s.get(Draft, created.draft_id)
        assert draft is not None
        fields = dict(draft.fields or {})
    edited = drafts.edit(engine, partial, created.draft_id, by="anna", fields=fields)
    assert edited.render_error is not None and "no texts in 'de'" in edited.render_error
    collect.collect(engine, partial, ref, by="anna")
    with pytest.raises(AttachmentRefused) as refused:
        attachments.build_package(engine, partial, created.draft_id, by="anna")
    assert "organisatieprofiel" in refused.value.staff_message and "Duits" in refused.value.staff_message


def test_a_package_rebuilt_under_another_name_replaces_the_old_one(
    engine: Any, make_settings: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of issue 15: an English draft rendered before package names followed the language
    (its text said inzage-…) got its package, was re-rendered (access-…), and then went out
    with both ZIPs: an out-of-date copy of personal data the letter does not name."""
    create_crm(db_url)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    settings = make_settings()
    ref = access_case(engine, settings)
    created = drafts.create(engine, settings, ref, "access", by="anna", language="en")
    with Session(engine) as s:
        draft = s.get(Draft, created.draft_id)
        assert draft is not None
        draft.body_text = draft.body_text.replace(f"access-{ref}.zip", f"inzage-{ref}.zip")
        s.add(draft)
        s.commit()
    collect.collect(engine, settings, ref, by="anna")
    close_all_tasks(engine)
    attachments.build_package(engine, settings, created.draft_id, by="anna")
    with Session(engine) as s:
        fields = dict(s.get(Draft, created.draft_id).fields or {})  # type: ignore[union-attr]
    drafts.edit(engine, settings, created.draft_id, by="anna", fields=fields)
    attachments.build_package(engine, settings, created.draft_id, by="anna")
    approved = drafts.approve(engine, settings, created.draft_id, by="anna")
    with Session(engine) as s:
        item = s.get(OutboxItem, approved.outbox_id)
        assert item is not None
        mail_out = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
        names = [part.get_filename() for part in mail_out.iter_attachments()]
        removed = [e for e in s.exec(select(AuditEvent)) if e.action == "draft.attachment_removed"]
    assert names == [f"access-{ref}.zip"]
    assert len(removed) == 1


def test_a_staff_typed_package_name_must_be_a_plain_file_name(engine: Any, make_settings: Any) -> None:
    settings = make_settings()
    _, draft_id = access_draft(engine, settings)
    with Session(engine) as s:
        fields = dict(s.get(Draft, draft_id).fields or {})  # type: ignore[union-attr]
    fields["attachment_name"] = "../../etc/inzage:x?.zip"
    edited = drafts.edit(engine, settings, draft_id, by="anna", fields=fields)
    assert edited.render_error is not None and "not a plain file name" in edited.render_error
