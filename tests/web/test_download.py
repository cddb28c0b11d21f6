"""Issue 17: the public download of a reply's file by its link, through HTTP — no login,
the token alone; served as an attachment with nosniff; a wrong, used-up or expired token
gets the same 404 page; every download is audited."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

from draft_files import seeded_access_draft
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from avgdesk.models.tables import AuditEvent, DownloadLink, OutboxItem
from avgdesk.triage.cases import attachments, drafts

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
LINK = re.compile(r"https://avg\.nhmb\.example/download/([A-Za-z0-9_-]{43})")


def _approved_by_link(engine: Any, settings: Any) -> tuple[str, str]:
    """An access answer whose files are over the mail limit, approved: (reference, token of scan.pdf)."""
    reference, draft_id = seeded_access_draft(engine, settings)
    attachments.add(engine, settings, draft_id, "scan.pdf", PDF, by="mw")
    attachments.build_package(engine, settings, draft_id, by="mw")
    approved = drafts.approve(engine, settings, draft_id, by="goedkeurder")
    with Session(engine) as s:
        item = s.get(OutboxItem, approved.outbox_id)
        assert item is not None
    message = email.message_from_bytes(item.raw, policy=email.policy.SMTP)
    assert list(message.iter_attachments()) == []  # type: ignore[attr-defined]
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    line = next(line for line in text.splitlines() if line.startswith("scan.pdf: "))
    found = LINK.search(line)
    assert found is not None
    return reference, found.group(1)


def test_link_downloads_without_login_until_used_up(
    client: TestClient, web_engine: Any, web_settings: Any
) -> None:
    settings = web_settings.model_copy(
        update={
            "mail_attachment_limit_bytes": 1_000,
            "download_link_max_downloads": 1,
            "web_base_url": "https://avg.nhmb.example/",
        }
    )
    reference, token = _approved_by_link(web_engine, settings)
    assert reference not in token
    r = client.get(f"/download/{token}")  # no session: the token is the key
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-disposition"] == 'attachment; filename="scan.pdf"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-security-policy"] == "sandbox" and r.headers["cache-control"] == "no-store"
    used_up = client.get(f"/download/{token}")
    wrong = client.get(f"/download/{token[::-1]}")
    garbage = client.get("/download/AVG-2026-0001")
    for refused in (used_up, wrong, garbage):
        assert refused.status_code == 404 and "werkt niet (meer)" in refused.text
        assert "scan.pdf" not in refused.text
    with Session(web_engine) as s:
        link = s.exec(select(DownloadLink).where(DownloadLink.attachment_id.is_not(None))).first()  # type: ignore[union-attr]
        actions = [e.action for e in s.exec(select(AuditEvent)) if e.action.startswith("download_link.")]
    assert link is not None and link.downloads == 1
    assert actions == ["download_link.created", "download_link.downloaded", "download_link.refused"]


def test_the_access_log_never_holds_a_download_token() -> None:
    import logging

    from avgdesk.web.security import NoQueryStringFilter

    token = "A" * 43
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/download/{token}?x=1", "1.1", 200),
        None,
    )
    assert NoQueryStringFilter().filter(record)
    assert token not in record.getMessage() and "GET /download/… HTTP/1.1" in record.getMessage()


def test_a_token_guesser_is_slowed_and_a_live_link_is_not(
    client: TestClient, web_engine: Any, web_settings: Any
) -> None:
    settings = web_settings.model_copy(
        update={"mail_attachment_limit_bytes": 1_000, "web_base_url": "https://avg.nhmb.example/"}
    )
    _, token = _approved_by_link(web_engine, settings)
    limit = client.app.state.ctx.web.download_max_failures_per_ip  # type: ignore[attr-defined]
    assert client.get(f"/download/{token}").status_code == 200  # a live link counts nothing
    for i in range(limit):
        assert client.get(f"/download/{'B' * 42}{i % 10}").status_code == 404
    blocked = client.get(f"/download/{'C' * 43}")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert client.get(f"/download/{token}").status_code == 429  # the guesser's address waits too
