"""Issue 17 end to end against real servers: an access request on SQLite and PostgreSQL,
the requester's rows read from a sample CRM in that database, every task closed, the
package built and a staff scan uploaded, the answer approved — and at the aiosmtpd sink
the mail arrives with both files, byte for byte as approved, holding none of the other
customer's rows."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from typing import Any

import pytest
from crm import create_crm
from draft_files import access_case, close_all_tasks
from sqlmodel import Session, select

from avgdesk.mailbox.smtp import SmtpMailer, SmtpParams
from avgdesk.models.tables import DraftAttachment
from avgdesk.replies import outbox
from avgdesk.triage.cases import attachments, collect, drafts
from avgdesk.triage.drafting_config import outbox_policy

pytestmark = pytest.mark.integration

SCAN = b"%PDF-1.7\n" + bytes(range(256)) * 4000  # about 1 MB: the largest file of the tests


async def test_access_answer_arrives_with_its_package(
    engine: Any, make_settings: Any, db_url: str, smtp_sink: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_crm(db_url, extra_contracts=50)
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", db_url)
    settings = make_settings()
    reference = access_case(engine, settings, body="#access Ik wil inzage in mijn gegevens.")
    [crm] = collect.collect(engine, settings, reference, by="anna")
    assert crm.rows == 1 + 52 and crm.error is None
    close_all_tasks(engine, note="Gezocht.")
    draft_id = drafts.create(engine, settings, reference, "access", by="anna").draft_id
    attachments.add(engine, settings, draft_id, "scan-boekhouding.pdf", SCAN, by="anna")
    attachments.build_package(engine, settings, draft_id, by="anna")
    drafts.approve(engine, settings, draft_id, by="anna")

    mailer = SmtpMailer(SmtpParams(host="127.0.0.1", port=smtp_sink.port, security="none", timeout_s=10))
    result = await outbox.drain(engine, mailer, "w1", outbox_policy(settings))
    assert result.sent == 1 and len(smtp_sink.messages) == 1

    received = email.message_from_bytes(smtp_sink.messages[0], policy=email.policy.default)
    assert received["To"].addresses[0].addr_spec == "jan.devries@example.nl"
    files = {p.get_filename(): p.get_content() for p in received.iter_attachments()}
    with Session(engine) as s:
        stored = {a.filename: a.data for a in s.exec(select(DraftAttachment))}
    assert files == stored and files["scan-boekhouding.pdf"] == SCAN
    package = zipfile.ZipFile(io.BytesIO(files[f"inzage-{reference}.zip"]))
    assert package.testzip() is None
    contracts = package.read("crm/contracten.csv").decode("utf-8-sig")
    assert contracts.count("\n") == 1 + 52 and "C-601" not in contracts  # not Anna de Vries's
    assert b"Anna" not in package.read("crm/klantgegevens.json")
    body = received.get_body(preferencelist=("plain",))
    assert body is not None and f"inzage-{reference}.zip" in body.get_content()
    print(f"\n[issue 17] largest attachment sent: {len(SCAN)} bytes; mail {len(smtp_sink.messages[0])} bytes")
