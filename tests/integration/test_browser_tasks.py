"""Issue 17 in a real browser (Chromium through Playwright, uvicorn): the task checklist on
the case page (not applicable needs a note, done, reopen), then the access answer — its
approval waits for the tasks, a file uploaded on the draft page and the package go out
with it, and the SMTP sink receives the exact bytes."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from browser_support import requires_chromium
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, CaseTask, InboundMessage
from avgdesk.triage.cases import drafts

pytest.importorskip("playwright.sync_api")
pytestmark = [requires_chromium, pytest.mark.integration]

SCAN = b"%PDF-1.4\n" + bytes(range(256)) * 64


def _login(page: Any, live: dict[str, Any], user: str) -> None:
    page.context.clear_cookies()
    page.goto(live["url"] + "/login")
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(live["passwords"][user])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live["url"] + "/")


def _access_case(live: dict[str, Any]) -> tuple[str, list[int]]:
    with Session(live["engine"]) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == "Inzageverzoek")).one()
        case = s.get(Case, msg.case_id)
        assert case is not None
        ids = [
            t.id or 0
            for t in s.exec(select(CaseTask).where(CaseTask.case_id == case.id).order_by(col(CaseTask.id)))
        ]
        return case.reference, ids


def _send_outbox(live: dict[str, Any]) -> int:
    from avgdesk.replies import outbox
    from avgdesk.triage.worker.runner import smtp_mailer

    mailer = smtp_mailer(live["settings"])
    assert mailer is not None
    with ThreadPoolExecutor(1) as pool:
        return int(
            pool.submit(asyncio.run, outbox.drain(live["engine"], mailer, "browser-test")).result().sent
        )


def test_checklist_then_answer_with_package(page: Any, live: dict[str, Any], tmp_path: Path) -> None:
    reference, task_ids = _access_case(live)
    _login(page, live, "goedkeurder")
    page.goto(f"{live['url']}/cases/{reference}")
    assert "(5 open)" in page.locator("#h-tasks").inner_text()
    crm = page.locator(f"#taak-{task_ids[0]}")
    assert "Zoek gegevens in CRM" in crm.inner_text()
    crm.get_by_role("button", name="Niet van toepassing").click()
    assert "notitie" in page.locator(".notice.error").inner_text()
    page.goto(f"{live['url']}/cases/{reference}")
    page.get_by_label("Notitie bij Zoek gegevens in CRM").fill("Geen klant in het CRM.")
    page.locator(f"#taak-{task_ids[0]}").get_by_role("button", name="Niet van toepassing").click()
    page.wait_for_url(re.compile(rf".*/cases/{reference}#taken$"))
    assert "(4 open)" in page.locator("#h-tasks").inner_text()
    assert page.locator(f"#taak-{task_ids[0]}").get_attribute("data-status") == "not_applicable"

    draft_id = drafts.create(live["engine"], live["settings"], reference, "access", by="goedkeurder").draft_id
    page.goto(f"{live['url']}/drafts/{draft_id}")
    page.get_by_label("Ik heb deze versie gelezen").check()
    page.get_by_role("button", name="Goedkeuren en versturen").click()
    assert "taken open" in page.content()  # refused: the tasks come first

    for task_id in task_ids[1:]:
        page.goto(f"{live['url']}/cases/{reference}")
        page.locator(f"#taak-{task_id}").get_by_role("button", name="Gedaan").click()
        page.wait_for_url(re.compile(r".*#taken$"))
    assert "(0 open)" in page.locator("#h-tasks").inner_text()

    scan = tmp_path / "scan-boekhouding.pdf"
    scan.write_bytes(SCAN)
    page.goto(f"{live['url']}/drafts/{draft_id}")
    page.get_by_label("Bestand toevoegen").set_input_files(str(scan))
    page.get_by_role("button", name="Toevoegen", exact=True).click()
    page.wait_for_url(re.compile(rf".*/drafts/{draft_id}#bijlagen$"))
    page.get_by_role("button", name="Pakket maken").click()
    page.wait_for_url(re.compile(rf".*/drafts/{draft_id}#bijlagen$"))
    assert f"inzage-{reference}.zip" in page.locator("#bijlagen").inner_text()
    page.get_by_label("Ik heb deze versie gelezen").check()
    page.get_by_role("button", name="Goedkeuren en versturen").click()
    page.wait_for_url(re.compile(rf".*/drafts/{draft_id}$"))
    assert _send_outbox(live) >= 1
    sent = [email.message_from_bytes(raw, policy=email.policy.default) for raw in live["sink"].messages]
    answer = next(m for m in sent if any(p.get_filename() for p in m.iter_attachments()))
    files = {p.get_filename(): p.get_content() for p in answer.iter_attachments()}
    assert files["scan-boekhouding.pdf"] == SCAN and f"inzage-{reference}.zip" in files
