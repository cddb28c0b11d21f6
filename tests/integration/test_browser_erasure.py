"""Issue 17 in a real browser (Chromium through Playwright, uvicorn): an erasure request from
Jan de Vries of the sample CRM — staff record his customer number and collect, the approver
sees exactly his rows, cannot submit without ticking the confirmation, runs the erasure, and
Jan's rows are gone while Anna de Vries (same surname) keeps hers."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from browser_support import requires_chromium
from crm import create_crm
from sqlmodel import Session, select

from avgdesk.models.tables import Case, InboundMessage

pytest.importorskip("playwright.sync_api")
pytestmark = [requires_chromium, pytest.mark.integration]


def _login(page: Any, live: dict[str, Any], user: str) -> None:
    page.context.clear_cookies()
    page.goto(live["url"] + "/login")
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(live["passwords"][user])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live["url"] + "/")


def _erasure_case(live: dict[str, Any]) -> str:
    with Session(live["engine"]) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == "Verwijder mijn account")).one()
        case = s.get(Case, msg.case_id)
        assert case is not None
        case.requester_email = "jan.devries@example.nl"
        case.identity_verified_at = datetime.now(UTC)
        s.add(case)
        s.commit()
        return case.reference


def test_approver_erases_one_person_in_the_browser(
    page: Any, live: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm = tmp_path / "crm.sqlite3"
    create_crm(f"sqlite:///{crm}")
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_URL", f"sqlite:///{crm}")
    monkeypatch.setenv("AVGDESK_SYSTEM_CRM_ERASE_URL", f"sqlite:///{crm}")
    reference = _erasure_case(live)
    _login(page, live, "goedkeurder")
    page.goto(f"{live['url']}/cases/{reference}")
    page.get_by_label("Klantnummer").fill("K-1001")
    page.get_by_role("button", name="Sleutels opslaan").click()
    page.wait_for_url(re.compile(rf".*/cases/{reference}#taken$"))
    page.get_by_role("button", name="Gegevens ophalen uit gekoppelde systemen").click()
    page.wait_for_url(re.compile(rf".*/cases/{reference}#taken$"))
    preview = page.locator("#wissen-crm")
    assert "klantgegevens: 1 rij" in preview.inner_text() and "Jan de Vries" in preview.inner_text()
    assert "Anna" not in preview.inner_text()
    button = preview.get_by_role("button", name="Wissen in CRM uitvoeren")
    button.click()  # not ticked: the browser does not submit the form
    assert page.url.endswith(f"/cases/{reference}#taken")
    with sqlite3.connect(crm) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone() == (2,)
    preview.get_by_label("Ik heb gecontroleerd dat dit alleen gegevens van deze verzoeker zijn").check()
    with page.expect_navigation():
        button.click()
    assert (
        "Gewist door goedkeurder: contracten_wissen: 2 rijen, klant_wissen: 1 rij"
        in page.locator("#wissen-crm").inner_text()
    )
    with sqlite3.connect(crm) as conn:
        assert conn.execute("SELECT customer_number FROM customers").fetchall() == [("K-1002",)]
        assert conn.execute("SELECT contract_number FROM contracts").fetchall() == [("C-601",)]
