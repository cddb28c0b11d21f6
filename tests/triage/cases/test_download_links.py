"""Issue 17: a reply too large for the mail goes out with download links on avgdesk's own
site — the letter names the links instead of attaching the files, only the token's sha256
is stored, and the link dies when it expires, is used up, is revoked, or when retention
deletes the case — on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from draft_files import PDF, access_draft, close_all_tasks
from sqlmodel import Session, select

from avgdesk.models.errors import AttachmentRefused
from avgdesk.models.tables import AuditEvent, Case, DownloadLink, Draft, InboundMessage, OutboxItem
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import attachments, download_links, drafts, retention
from avgdesk.triage.cases.download_links import MARKER, LinkDead

BASE = "https://privacy.nhmb.example"
LINK = re.compile(re.escape(BASE) + r"/download/([A-Za-z0-9_-]{43})")


def _settings(make_settings: Any, **extra: Any) -> Any:
    values = {
        "mail_attachment_limit_bytes": 8_000,
        "web_base_url": BASE,
        "download_link_max_downloads": 2,
        "download_link_days": 7,
    }
    return make_settings(**{**values, **extra})


def _approved_with_link(engine: Any, settings: Any) -> tuple[int, str, email.message.EmailMessage]:
    _, draft_id = access_draft(engine, settings)
    close_all_tasks(engine)
    attachments.add(engine, settings, draft_id, "scan.pdf", PDF, by="anna")  # 10 kB > 8 kB
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None and draft.fields["download_link"] is True
        assert MARKER in draft.body_text and "te groot voor e-mail" in " ".join(draft.body_text.split()), (
            draft.body_text
        )
    attachments.build_package(engine, settings, draft_id, by="anna")
    approved = drafts.approve(engine, settings, draft_id, by="anna")
    with Session(engine) as s:
        item = s.get(OutboxItem, approved.outbox_id)
        assert item is not None
        message = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
    assert isinstance(message, email.message.EmailMessage)
    return draft_id, approved.message_id, message


def _tokens(message: email.message.EmailMessage) -> dict[str, str]:
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert MARKER not in text
    return {
        line.split(": ", 1)[0]: LINK.search(line).group(1) for line in text.splitlines() if LINK.search(line)
    }  # type: ignore[union-attr]


def test_large_reply_names_links_instead_of_attaching(engine: Any, make_settings: Any) -> None:
    settings = _settings(make_settings)
    _, _, message = _approved_with_link(engine, settings)
    assert list(message.iter_attachments()) == []
    tokens = _tokens(message)
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        links = list(s.exec(select(DownloadLink)))
        html_part = message.get_body(("html",))
        assert html_part is not None and MARKER not in html_part.get_content()
    assert set(tokens) == {"scan.pdf", f"inzage-{case.reference}.zip"}
    # Only digests are stored; the URL holds nothing but the token.
    assert {link.token_sha256 for link in links} == {
        hashlib.sha256(t.encode()).hexdigest() for t in tokens.values()
    }
    assert all(case.reference not in t for t in tokens.values())
    served = download_links.fetch(engine, tokens["scan.pdf"])
    assert served.data == PDF and served.filename == "scan.pdf"
    with Session(engine) as s:
        events = [e for e in s.exec(select(AuditEvent)) if e.action.startswith("download_link.")]
    assert [e.action for e in events] == ["download_link.created", "download_link.downloaded"]
    assert events[1].case_id == case.id and events[1].detail["download"] == 1


def test_wrong_token_count_exhausted_and_expiry(engine: Any, make_settings: Any) -> None:
    settings = _settings(make_settings)
    _, _, message = _approved_with_link(engine, settings)
    token = _tokens(message)["scan.pdf"]
    with pytest.raises(LinkDead):
        download_links.fetch(engine, token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(LinkDead):
        download_links.fetch(engine, "../../etc/passwd")
    assert download_links.fetch(engine, token).data == PDF
    with pytest.raises(LinkDead):
        download_links.fetch(engine, token, now=utcnow() + timedelta(days=7, seconds=1))
    assert download_links.fetch(engine, token).data == PDF  # the second of two
    with pytest.raises(LinkDead, match="used_up"):
        download_links.fetch(engine, token)
    with Session(engine) as s:
        link = s.exec(
            select(DownloadLink).where(
                DownloadLink.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
            )
        ).one()
        refused = [
            e.detail["reason"] for e in s.exec(select(AuditEvent)) if e.action == "download_link.refused"
        ]
    assert link.downloads == 2 and refused == ["expired", "used_up"]


def test_changed_file_revokes_links_and_new_approval_mints_new_ones(engine: Any, make_settings: Any) -> None:
    settings = _settings(make_settings, download_link_max_downloads=5)
    draft_id, _, message = _approved_with_link(engine, settings)
    first = _tokens(message)
    old = first["scan.pdf"]
    package_token = next(t for name, t in first.items() if name != "scan.pdf")
    attachments.add(engine, settings, draft_id, "scan.pdf", PDF + b"v2", by="anna")
    with pytest.raises(LinkDead, match="unknown"):
        download_links.fetch(engine, old)  # the replaced file's link went with it
    with pytest.raises(LinkDead, match="revoked"):
        download_links.fetch(engine, package_token)  # the approval that made it is revoked
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None and old not in draft.body_text and MARKER in draft.body_text
    again = drafts.approve(engine, settings, draft_id, by="anna")
    with Session(engine) as s:
        item = s.get(OutboxItem, again.outbox_id)
        assert item is not None
        new_message = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
    assert isinstance(new_message, email.message.EmailMessage)
    new = _tokens(new_message)["scan.pdf"]
    assert new != old and download_links.fetch(engine, new).data == PDF + b"v2"


def test_too_large_letter_without_the_marker_is_not_approved(engine: Any, make_settings: Any) -> None:
    settings = _settings(make_settings)
    _, draft_id = access_draft(engine, settings)
    close_all_tasks(engine)
    attachments.add(engine, settings, draft_id, "scan.pdf", PDF, by="anna")
    attachments.build_package(engine, settings, draft_id, by="anna")
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None
        text = draft.body_text.replace(MARKER, "")
    drafts.edit(engine, settings, draft_id, by="anna", body_text=text)
    with pytest.raises(AttachmentRefused) as refused:
        drafts.approve(engine, settings, draft_id, by="anna")
    assert MARKER in refused.value.staff_message


def test_small_reply_keeps_its_attachments(engine: Any, make_settings: Any) -> None:
    settings = _settings(make_settings, mail_attachment_limit_bytes=10_000_000)
    _, draft_id = access_draft(engine, settings)
    close_all_tasks(engine)
    attachments.build_package(engine, settings, draft_id, by="anna")
    approved = drafts.approve(engine, settings, draft_id, by="anna")
    with Session(engine) as s:
        item = s.get(OutboxItem, approved.outbox_id)
        assert item is not None and s.exec(select(DownloadLink)).first() is None
        draft = s.get(Draft, draft_id)
        assert draft is not None and not draft.fields.get("download_link")
    message = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
    assert [p.get_filename() for p in message.iter_attachments()] != []  # type: ignore[attr-defined]


def test_retention_kills_the_link(engine: Any, make_settings: Any) -> None:
    settings = _settings(make_settings)
    _, _, message = _approved_with_link(engine, settings)
    token = _tokens(message)["scan.pdf"]
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        retention._delete_messages(s, [m.id or 0 for m in s.exec(select(InboundMessage))])
        retention._delete_cases(s, [case.id or 0])
        s.commit()
        assert s.exec(select(DownloadLink)).first() is None
    with pytest.raises(LinkDead, match="unknown"):
        download_links.fetch(engine, token)


def test_a_hand_edited_letter_keeps_its_words_when_the_files_outgrow_the_mail(
    engine: Any, make_settings: Any
) -> None:
    settings = _settings(make_settings)
    _, draft_id = access_draft(engine, settings)
    close_all_tasks(engine)
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None
        text = draft.body_text + "\nMet een persoonlijke toelichting van Anna.\n"
    drafts.edit(engine, settings, draft_id, by="anna", body_text=text)
    attachments.add(engine, settings, draft_id, "scan.pdf", PDF, by="anna")  # now too large to attach
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None
        assert draft.body_text == text.replace("\r\n", "\n") and MARKER not in draft.body_text
    attachments.build_package(engine, settings, draft_id, by="anna")
    with pytest.raises(AttachmentRefused) as refused:
        drafts.approve(engine, settings, draft_id, by="anna")
    assert MARKER in refused.value.staff_message


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "Der Link funktioniert bis einschließlich 5. März 2026 und für höchstens"),
        ("en", "The link works until 5 March 2026 and for at most"),
        ("nl", "De link werkt tot en met 5 maart 2026 en hoogstens"),
    ],
)
def test_the_link_line_speaks_the_letters_language(make_settings: Any, language: str, expected: str) -> None:
    """Issue 15: a German letter's link line is German too."""
    from datetime import UTC, datetime

    settings = _settings(make_settings)
    expires = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    text = download_links._link_lines([("inzage.zip", "https://x/d/abc")], expires, settings, language)
    assert text.startswith("inzage.zip: https://x/d/abc\n") and expected in text


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("de", "für höchstens 1 Download.", "für höchstens 2 Downloads."),
        ("en", "for at most 1 download.", "for at most 2 downloads."),
        ("nl", "hoogstens 1 keer.", "hoogstens 2 keer."),
    ],
)
def test_the_link_line_counts_one_download_in_the_singular(
    make_settings: Any, language: str, one: str, two: str
) -> None:
    """Reviewer (issue 15): 'für höchstens 1 Downloads', 'at most 1 downloads'."""
    from datetime import UTC, datetime

    expires = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    for limit, expected in ((1, one), (2, two)):
        settings = _settings(make_settings, download_link_max_downloads=limit)
        text = download_links._link_lines([("a.zip", "https://x/d/abc")], expires, settings, language)
        assert text.endswith(expected), text
