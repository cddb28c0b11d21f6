"""Draft attachments as MIME parts of the outgoing reply (issue 17).

Called by :func:`avgdesk.replies.drafting.build_message` when the mail is built at
approval: the files then stored for the draft become part of the exact bytes the approver
approved (and whose sha256 is recorded), so a file changed later cannot go out unseen.
A file with a live download link (a reply too large for the mail, issue 17) stays out of
the mail: the letter names its link instead.
"""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from avgdesk.models.tables import DownloadLink, Draft, DraftAttachment

__all__ = ["add_attachments", "attachments_of", "linked_ids"]


def attachments_of(session: OrmSession, draft_id: int) -> list[DraftAttachment]:
    query = (
        select(DraftAttachment).where(DraftAttachment.draft_id == draft_id).order_by(col(DraftAttachment.id))
    )
    return list(session.scalars(query))


def linked_ids(session: OrmSession, draft_id: int) -> set[int]:
    """The draft's files that go by download link (links not revoked; minted at approval)."""
    query = select(DownloadLink.attachment_id).where(
        DownloadLink.draft_id == draft_id, col(DownloadLink.revoked_at).is_(None)
    )
    return set(session.scalars(query))


def add_attachments(msg: EmailMessage, draft: Draft) -> None:
    """Attach the draft's files (base64 parts, in upload order) to ``msg``, except those
    the letter names a download link for."""
    session = Session.object_session(draft)
    if session is None or draft.id is None:
        return
    by_link = linked_ids(session, draft.id)
    for item in attachments_of(session, draft.id):
        if item.id in by_link:
            continue
        maintype, _, subtype = item.content_type.partition("/")
        msg.add_attachment(
            item.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
