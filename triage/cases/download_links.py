"""Download links for replies too large to attach (issue 17).

A reply whose files together exceed ``mail_attachment_limit_bytes`` cannot go by mail. At
approval, :func:`prepare` mints one link per file on avgdesk's own site: a random token
(only its sha256 is stored), an expiry (``download_link_days``) and a maximum number of
downloads (``download_link_max_downloads``). The letter carries the marker
:data:`MARKER` where the links belong (the access and portability templates write it when
the ``download_link`` field is set, which the attachment use cases do for staff); the
marker becomes the links in the approved text, and the outbox leaves those files out of
the mail (:func:`avgdesk.replies.attachments.add_attachments`).

:func:`fetch` is the public side: the token alone opens the file, once per allowed
download, each download audited. A link is dead when it expired, was revoked (a new
approval, or the approval revoked), was used up, or when retention deleted the case.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.errors import AttachmentRefused, NotFoundError
from avgdesk.models.tables import Case, DownloadLink, Draft, DraftAttachment
from avgdesk.models.types import utcnow
from avgdesk.replies.attachments import attachments_of
from avgdesk.replies.drafting import html_part
from avgdesk.replies.i18n import format_date
from avgdesk.triage.cases import audit
from avgdesk.triage.cases.actions import unit_of_work
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.settings import Settings

__all__ = [
    "MARKER",
    "LinkDead",
    "Served",
    "fetch",
    "needs_link",
    "prepare",
    "restore_marker",
    "revoke_for_draft",
]

log = logging.getLogger(__name__)

MARKER = "[downloadlink]"
"""Where the letter's text names the download links; replaced by them at approval."""

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
"""secrets.token_urlsafe(32): 256 random bits, 43 characters."""


class LinkDead(NotFoundError):
    """No live link for this token (unknown, expired, revoked, used up, or deleted)."""


@dataclass(frozen=True)
class Served:
    filename: str
    content_type: str
    data: bytes


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def total_bytes(session: Session, draft_id: int) -> int:
    return sum(a.size_bytes for a in attachments_of(session, draft_id))


def needs_link(session: Session, draft_id: int, settings: Settings) -> bool:
    """Whether this reply's files together are too large for the mail."""
    return total_bytes(session, draft_id) > settings.mail_attachment_limit_bytes


def revoke_for_draft(session: Session, draft_id: int, *, by: str, now: datetime | None = None) -> int:
    """Kill the live links of this draft (a new approval mints new ones)."""
    now = now or utcnow()
    result = session.execute(
        update(DownloadLink)
        .where(col(DownloadLink.draft_id) == draft_id, col(DownloadLink.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        draft = session.get(Draft, draft_id)
        audit.record(
            session,
            actor=by,
            action="download_link.revoked",
            case_id=draft.case_id if draft else None,
            draft_id=draft_id,
            links=count,
        )
    return count


def _link_lines(links: list[tuple[str, str]], expires: datetime, settings: Settings, language: str) -> str:
    day = format_date(expires.astimezone(settings.tz).date(), language)
    lines = [f"{name}: {url}" for name, url in links]
    most = settings.download_link_max_downloads
    plural = "" if most == 1 else "s"  # "keer" is the same in the singular
    if language == "en":
        lines.append(f"The link works until {day} and for at most {most} download{plural}.")
    elif language == "de":
        lines.append(
            f"Der Link funktioniert bis einschließlich {day} und für höchstens {most} Download{plural}."
        )
    else:
        lines.append(f"De link werkt tot en met {day} en hoogstens {most} keer.")
    return "\n".join(lines)


def prepare(
    session: Session, draft: Draft, settings: Settings, *, by: str, now: datetime | None = None
) -> int:
    """At approval, in its transaction: mint the links of a reply whose files go by link and
    put them where the letter names them. Returns the number of links (0: files attached).

    Files go by link when they are too large for the mail or when the letter names the link
    itself. A letter too large for the mail that does not name the link is not approved."""
    assert draft.id is not None
    revoke_for_draft(session, draft.id, by=by, now=now)
    restore_marker(draft, settings)
    files = attachments_of(session, draft.id)
    if MARKER not in draft.body_text:
        if needs_link(session, draft.id, settings):
            raise AttachmentRefused(
                f"draft {draft.id}: attachments over the mail limit and no {MARKER} in the text",
                f"De bijlagen zijn samen te groot voor e-mail (meer dan "
                f"{settings.mail_attachment_limit_bytes // 1_000_000} MB). Zet {MARKER} in de brief waar "
                "de downloadlink moet komen (bij een inzage- of overdrachtsbrief: vink "
                "‘download_link’ aan), dan maakt avgdesk bij de goedkeuring de link.",
            )
        return 0
    if not files:
        raise AttachmentRefused(
            f"draft {draft.id} names a download link but has no files",
            "De brief noemt een downloadlink, maar er hangt geen bestand aan.",
        )
    if draft.body_html is None:
        # A worker's draft has no stored HTML yet: make it now, so both parts get the links.
        draft.body_html = html_part(draft, session.get(Case, draft.case_id), drafting_context(settings))
    now = now or utcnow()
    expires = now + timedelta(days=settings.download_link_days)
    base = settings.web_base_url.rstrip("/")
    most = settings.download_link_max_downloads
    links = [(f.filename, f"{base}/download/{_mint(session, draft, f, expires, most, by=by)}") for f in files]
    text = _link_lines(links, expires, settings, draft.language)
    draft.body_text = draft.body_text.replace(MARKER, text)
    if draft.body_html:
        shown = "<br>".join(_html_line(line) for line in text.splitlines())
        draft.body_html = draft.body_html.replace(MARKER, shown)
    audit.record(
        session,
        actor=by,
        action="download_link.created",
        case_id=draft.case_id,
        draft_id=draft.id,
        files=[name for name, _ in links],
        expires_at=expires.isoformat(),
        max_downloads=settings.download_link_max_downloads,
    )
    return len(links)


def restore_marker(draft: Draft, settings: Settings) -> None:
    """Put the marker back where an earlier approval (since revoked) wrote its links, so a
    new approval mints new ones; the old ones are revoked and must not stay in the text."""
    base = settings.web_base_url.rstrip("/")
    pattern = re.compile(
        rf"(?:^[^\n]*: {re.escape(base)}/download/[A-Za-z0-9_-]{{43}}\n)+"
        r"^(?:De link werkt tot en met|The link works until) [^\n]*$",
        re.MULTILINE,
    )
    text, found = pattern.subn(MARKER, draft.body_text)
    if found:
        draft.body_text = text
        draft.body_html = None  # made again from the text with the marker


def _html_line(line: str) -> str:
    """One line of the links block: the URL clickable, the rest escaped."""
    name, sep, url = line.partition(": ")
    if sep and url.startswith(("http://", "https://")) and " " not in url:
        return f'{html.escape(name)}: <a href="{html.escape(url)}">{html.escape(url)}</a>'
    return html.escape(line)


def _mint(
    session: Session, draft: Draft, item: DraftAttachment, expires: datetime, most: int, *, by: str
) -> str:
    """A new random token for one file; only its sha256 is stored."""
    assert draft.id is not None and item.id is not None
    token = secrets.token_urlsafe(32)
    session.add(
        DownloadLink(
            token_sha256=_digest(token),
            case_id=draft.case_id,
            draft_id=draft.id,
            attachment_id=item.id,
            expires_at=expires,
            max_downloads=most,
            created_by=by,
        )
    )
    return token


def fetch(engine: Engine, token: str, *, now: datetime | None = None) -> Served:
    """The file behind a live link, counting this download (in its own transaction)."""
    if not _TOKEN.fullmatch(token):
        raise LinkDead("malformed download token")
    digest = _digest(token)
    now = now or utcnow()
    with unit_of_work(engine) as session:
        link = session.exec(select(DownloadLink).where(DownloadLink.token_sha256 == digest)).first()
        # The lookup is by digest; compare in constant time all the same (no early exit).
        if link is None or not hmac.compare_digest(link.token_sha256, digest):
            log.warning("download with an unknown token refused")
            raise LinkDead("unknown download token")
        before = link.downloads
        reason = _dead_reason(link, now)
        if reason is None:
            reason = _count(session, link, now)
        if reason is not None:
            audit.record(
                session,
                actor="public:download",
                action="download_link.refused",
                case_id=link.case_id,
                link_id=link.id,
                reason=reason,
            )
            session.commit()  # the refusal is audited; the caller only sees the error
            raise LinkDead(f"download link {link.id} is {reason}")
        item = session.get(DraftAttachment, link.attachment_id)
        assert item is not None  # the foreign key: the link goes with its file
        audit.record(
            session,
            actor="public:download",
            action="download_link.downloaded",
            case_id=link.case_id,
            link_id=link.id,
            name=item.filename,
            sha256=item.sha256,
            download=before + 1,
            max_downloads=link.max_downloads,
        )
        return Served(item.filename, item.content_type, item.data)


def _dead_reason(link: DownloadLink, now: datetime) -> str | None:
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if link.downloads >= link.max_downloads:
        return "used_up"
    return None


def _count(session: Session, link: DownloadLink, now: datetime) -> str | None:
    """Count this download, or say why not: one guarded UPDATE, so two downloads at once
    cannot both take the last allowed one."""
    result = session.execute(
        update(DownloadLink)
        .where(
            col(DownloadLink.id) == link.id,
            col(DownloadLink.downloads) < col(DownloadLink.max_downloads),
            col(DownloadLink.revoked_at).is_(None),
            col(DownloadLink.expires_at) > now,
        )
        .values(downloads=col(DownloadLink.downloads) + 1)
    )
    return None if getattr(result, "rowcount", 0) == 1 else "used_up"
