"""Files that go out with a reply (issue 17): staff uploads and the access package.

Use cases that own their transaction: :func:`add` (an upload, checked for size and type),
:func:`remove`, :func:`build_package` (the ZIP from the rows collected from the systems,
the person's messages and the uploads). Changing the files of an approved reply that has
not gone out revokes the approval, like an edit of its text; a reply that is being sent or
was sent keeps its files. :func:`require_promised` is the approval rule: a letter that
says a file is attached is not approved without that file.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import AttachmentRefused, DraftNotFound
from avgdesk.models.tables import (
    Case,
    CaseExtract,
    DownloadLink,
    Draft,
    DraftAttachment,
    DraftState,
    InboundMessage,
    MessageState,
)
from avgdesk.models.types import utcnow
from avgdesk.models.vocabulary import REPLY_LANGUAGE_NL, DraftKind
from avgdesk.replies import drafting
from avgdesk.replies.attachments import attachments_of
from avgdesk.replies.package import Extract, MessageCopy, PackageInput, clean_file_name, package_name
from avgdesk.replies.package import build_package as zip_package
from avgdesk.triage.cases import audit, download_links, tasks
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.settings import Settings

__all__ = ["add", "build_package", "promised_name", "remove", "require_promised", "sniff_type"]

PROMISING_KINDS = frozenset({DraftKind.ACCESS, DraftKind.PORTABILITY})


def sniff_type(data: bytes, filename: str) -> str | None:
    """The content type judged by the first bytes (the name only tells CSV from text)."""
    signatures = (
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
    )
    for magic, kind in signatures:
        if data.startswith(magic):
            return kind
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    try:
        json.loads(text)
        return "application/json"
    except ValueError:
        pass
    return "text/csv" if filename.lower().endswith(".csv") else "text/plain"


def promised_name(draft: Draft, reference: str) -> str | None:
    """The file the letter names (access, portability: the rendering's default name unless
    staff gave one), or None for other letters."""
    if draft.kind not in PROMISING_KINDS:
        return None
    given = (draft.fields or {}).get("attachment_name")
    if isinstance(given, str) and given.strip():
        return given.strip()
    portability = draft.kind == DraftKind.PORTABILITY
    name = package_name(reference, language=draft.language, portability=portability)
    # A draft rendered before package names followed the language says the Dutch name.
    legacy = package_name(reference, portability=portability)
    if name not in draft.body_text and legacy in draft.body_text:
        return legacy
    return name


def _editable(session: Session, draft_id: int, settings: Settings, *, by: str) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise DraftNotFound(f"no draft {draft_id}", f"Brief {draft_id} bestaat niet.")
    if draft.state is DraftState.APPROVED:
        # The approval named these files (their bytes are in the approved mail): revoke it,
        # and the download links it made (the mail that carried them is no longer queued).
        drafting.revoke_approval(session, draft, by=by)
        download_links.revoke_for_draft(session, draft_id, by=by)
        download_links.restore_marker(draft, settings)
    if draft.state is not DraftState.DRAFT:
        raise AttachmentRefused(
            f"draft {draft_id} is {draft.state.value}",
            "Bij een brief die is verzonden of wordt verzonden kunnen geen bijlagen meer veranderen.",
        )
    return draft


def _drop_links(session: Session, item: DraftAttachment) -> None:
    """A file's download links die with it (they were revoked with the approval already)."""
    session.execute(delete(DownloadLink).where(col(DownloadLink.attachment_id) == item.id))


def _store(session: Session, draft: Draft, name: str, data: bytes, kind: str, *, by: str, origin: str) -> int:
    for old in session.exec(
        select(DraftAttachment).where(DraftAttachment.draft_id == draft.id, DraftAttachment.filename == name)
    ):
        _drop_links(session, old)
        session.delete(old)
    session.flush()
    item = DraftAttachment(
        draft_id=draft.id,  # type: ignore[arg-type]
        filename=name,
        content_type=kind,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        origin=origin,
        uploaded_by=by,
    )
    session.add(item)
    draft.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor=by,
        action="draft.attachment_added",
        case_id=draft.case_id,
        draft_id=draft.id,
        name=name,
        sha256=item.sha256,
        size=len(data),
        origin=origin,
    )
    assert item.id is not None
    return item.id


def _check_size(session: Session, draft_id: int, name: str, size: int, settings: Settings) -> None:
    if size > settings.attachment_max_bytes:
        raise AttachmentRefused(
            f"attachment of {size} bytes is over the limit",
            f"Dit bestand is te groot ({size // 1_000_000} MB; hoogstens "
            f"{settings.attachment_max_bytes // 1_000_000} MB).",
        )
    others = sum(a.size_bytes for a in attachments_of(session, draft_id) if a.filename != name)
    if others + size > settings.attachment_total_max_bytes:
        raise AttachmentRefused(
            "attachments together over the limit",
            "Alle bijlagen samen worden te groot (hoogstens "
            f"{settings.attachment_total_max_bytes // 1_000_000} MB per brief).",
        )


def add(engine: Engine, settings: Settings, draft_id: int, filename: str, data: bytes, *, by: str) -> int:
    """Attach an uploaded file (a file with the same name is replaced)."""
    name = clean_file_name(filename)
    if not name:
        raise AttachmentRefused("attachment without a name", "Geef het bestand een naam.")
    if not data:
        raise AttachmentRefused("empty attachment", "Dit bestand is leeg.")
    kind = sniff_type(data, name)
    if kind is None or kind not in settings.attachment_types:
        raise AttachmentRefused(
            f"attachment type {kind} not allowed",
            "Dit soort bestand kan niet mee (toegestaan: " + ", ".join(settings.attachment_types) + ").",
        )
    with unit_of_work(engine) as session:
        draft = _editable(session, draft_id, settings, by=by)
        _check_size(session, draft_id, name, len(data), settings)
        item_id = _store(session, draft, name, data, kind, by=by, origin="upload")
        _sync_delivery(session, draft, settings, by=by)
        return item_id


def remove(engine: Engine, settings: Settings, draft_id: int, attachment_id: int, *, by: str) -> None:
    with unit_of_work(engine) as session:
        draft = _editable(session, draft_id, settings, by=by)
        item = session.get(DraftAttachment, attachment_id)
        if item is None or item.draft_id != draft_id:
            raise AttachmentRefused(
                f"no attachment {attachment_id} on draft {draft_id}", "Deze bijlage bestaat niet."
            )
        _remove_item(session, draft, item, by=by)
        draft.updated_at = utcnow()
        session.flush()
        _sync_delivery(session, draft, settings, by=by)


def _remove_item(
    session: Session, draft: Draft, item: DraftAttachment, *, by: str, reason: str | None = None
) -> None:
    """Delete one of the draft's files with its download links, and say so in the audit trail."""
    _drop_links(session, item)
    session.delete(item)
    detail: dict[str, Any] = {"reason": reason} if reason else {}
    audit.record(
        session,
        actor=by,
        action="draft.attachment_removed",
        case_id=draft.case_id,
        draft_id=draft.id,
        name=item.filename,
        sha256=item.sha256,
        **detail,
    )


def _sync_delivery(session: Session, draft: Draft, settings: Settings, *, by: str) -> None:
    """An access or portability letter says how its file comes: attached, or by download link
    when the files are too large for the mail (the template then writes the link's marker).
    When that changes, the letter is made again from its template with the new field, unless
    staff edited its text by hand: their words are kept (issue 14), and approval then asks for
    the link's marker if the files are too large to attach."""
    if draft.kind not in PROMISING_KINDS or draft.id is None:
        return
    from avgdesk.triage.cases.drafts import has_manual_text  # drafts imports this module

    if has_manual_text(session, draft.id):
        return
    by_link = download_links.needs_link(session, draft.id, settings)
    fields = dict(draft.fields or {})
    if bool(fields.get("download_link")) == by_link:
        return
    fields["download_link"] = by_link
    drafting.edit_draft(session, draft, editor=by, ctx=drafting_context(settings), fields=fields)


def _package_input(session: Session, case: Case, draft: Draft, settings: Settings) -> PackageInput:
    assert case.id is not None and draft.id is not None
    register = {s.id: s for s in tasks.systems(settings)}
    extracts = [
        Extract(
            system_id=e.system_id,
            system_name=register[e.system_id].name if e.system_id in register else e.system_id,
            query=e.query_name,
            category=e.category,
            columns=list(e.columns),
            rows=[list(r) for r in e.rows],
            truncated=e.truncated,
        )
        for e in session.exec(
            select(CaseExtract).where(CaseExtract.case_id == case.id).order_by(col(CaseExtract.id))
        )
    ]
    messages = [
        MessageCopy(m.received_at, m.from_addr or "", m.subject or "", m.text or "")
        for m in session.exec(
            select(InboundMessage)
            .where(InboundMessage.case_id == case.id, InboundMessage.state == MessageState.PROCESSED)
            .order_by(col(InboundMessage.received_at))
        )
    ]
    promised = promised_name(draft, case.reference)
    uploads = [(a.filename, a.data) for a in attachments_of(session, draft.id) if a.origin == "upload"]
    return PackageInput(
        reference=case.reference,
        language=draft.language,
        requester_name=case.requester_name,
        created_at=utcnow(),
        extracts=extracts,
        messages=messages,
        files=[(n, d) for n, d in uploads if n != promised],
        manual_systems=[s.name for s in register.values() if s.connector == "manual"],
        portability=draft.kind == DraftKind.PORTABILITY,
    )


def build_package(engine: Engine, settings: Settings, draft_id: int, *, by: str) -> int:
    """Build the access (or portability) package for this reply and attach it under the
    name the letter gives; the uploads it took in stay attached as well, so staff see them."""
    with unit_of_work(engine) as session:
        draft = _editable(session, draft_id, settings, by=by)
        if draft.kind not in PROMISING_KINDS:
            raise AttachmentRefused(
                f"draft {draft_id} is a {draft.kind}",
                "Een pakket hoort alleen bij een inzage- of overdrachtsbrief.",
            )
        case = session.get(Case, draft.case_id)
        assert case is not None
        profile = drafting_context(settings).controller()
        if draft.language not in profile.letter_languages():
            language = REPLY_LANGUAGE_NL.get(draft.language, draft.language)
            raise AttachmentRefused(
                f"draft {draft_id} is in {draft.language!r}, which the controller profile no longer has",
                f"Het organisatieprofiel heeft geen teksten meer in het {language}: maak de brief opnieuw"
                " in een andere taal.",
            )
        data = zip_package(_package_input(session, case, draft, settings), profile)
        name = promised_name(draft, case.reference) or package_name(case.reference, language=draft.language)
        # A package built earlier under another name (staff renamed it, or the letter's
        # language changed) is out of date: it must not go out beside the new one.
        _drop_earlier_packages(session, draft, keep=name, by=by)
        _check_size(session, draft_id, name, len(data), settings)
        item_id = _store(session, draft, name, data, "application/zip", by=by, origin="package")
        _sync_delivery(session, draft, settings, by=by)
        return item_id


def _drop_earlier_packages(session: Session, draft: Draft, *, keep: str, by: str) -> None:
    """Remove the draft's packages under any other name than ``keep`` (and their links)."""
    for old in attachments_of(session, draft.id or -1):
        if old.origin == "package" and old.filename != keep:
            _remove_item(session, draft, old, by=by, reason="replaced by a package under another name")
    session.flush()


def require_promised(session: Session, draft: Draft) -> None:
    """A letter that says a file is attached is not approved without that file (issue 17)."""
    case = session.get(Case, draft.case_id)
    name = promised_name(draft, case.reference if case else "")
    if name is None or draft.id is None:
        return
    if not any(a.filename == name for a in attachments_of(session, draft.id)):
        raise AttachmentRefused(
            f"draft {draft.id} promises {name} but has no such attachment",
            f"Deze brief noemt de bijlage ‘{name}’, maar die hangt er niet aan. Maak het pakket "
            "(of voeg het bestand toe) en keur de brief dan goed.",
        )
