"""Issue 17 end to end against real servers: an access answer whose files are over the mail
limit arrives at the aiosmtpd sink without them, naming one link per file; the links are
fetched from the web UI on a real uvicorn without a login and give the exact bytes, the
allowed number of times."""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

import httpx
import pytest
from draft_files import seeded_access_draft

from avgdesk.mailbox.smtp import SmtpMailer, SmtpParams
from avgdesk.replies import outbox
from avgdesk.triage.cases import attachments, drafts
from avgdesk.triage.drafting_config import outbox_policy

pytestmark = pytest.mark.integration

SCAN = b"%PDF-1.7\n" + bytes(range(256)) * 12_000  # about 3 MB, over the 1 MB limit below


async def test_large_answer_goes_as_links_served_by_uvicorn(live: dict[str, Any]) -> None:
    engine = live["engine"]
    settings = live["settings"].model_copy(
        update={
            "mail_attachment_limit_bytes": 1_000_000,
            "download_link_max_downloads": 2,
            "web_base_url": live["url"],
        }
    )
    _, draft_id = seeded_access_draft(engine, settings)
    attachments.add(engine, settings, draft_id, "scan.pdf", SCAN, by="mw")
    attachments.build_package(engine, settings, draft_id, by="mw")
    drafts.approve(engine, settings, draft_id, by="goedkeurder")
    mailer = SmtpMailer(SmtpParams(host="127.0.0.1", port=live["sink"].port, security="none", timeout_s=10))
    result = await outbox.drain(engine, mailer, "w1", outbox_policy(settings))
    assert result.sent == 1
    raw = live["sink"].messages[-1]
    received = email.message_from_bytes(raw, policy=email.policy.default)
    assert list(received.iter_attachments()) == [] and len(raw) < 100_000  # type: ignore[attr-defined]
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    pattern = re.escape(live["url"].rstrip("/")) + r"/download/[A-Za-z0-9_-]{43}"
    links = dict(re.findall(rf"^(\S+): ({pattern})\s*$", text, re.MULTILINE))
    assert "scan.pdf" in links and any(n.startswith("inzage-") for n in links), text
    async with httpx.AsyncClient(timeout=30) as anonymous:
        first = await anonymous.get(links["scan.pdf"])
        second = await anonymous.get(links["scan.pdf"])
        third = await anonymous.get(links["scan.pdf"])
    assert first.status_code == 200 and first.content == SCAN and second.content == SCAN
    assert first.headers["content-disposition"] == 'attachment; filename="scan.pdf"'
    assert first.headers["x-content-type-options"] == "nosniff"
    assert third.status_code == 404 and "werkt niet (meer)" in third.text
    print(f"\n[issue 17] sent by link: {len(SCAN)} bytes; mail {len(raw)} bytes")
