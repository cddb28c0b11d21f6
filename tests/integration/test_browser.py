"""The UI in a real browser (Debian's Chromium through Playwright) against uvicorn.

Also proves, in the browser, that hostile customer HTML runs nothing and loads nothing:
no dialog opens and no request leaves for the remote host. Screenshots of the main pages
go to artifacts/screenshots/.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from browser_support import SHOTS, requires_chromium
from sqlmodel import Session, col, select

from avgdesk.models.tables import Draft, DraftState, InboundMessage

pytest.importorskip("playwright.sync_api")


pytestmark = requires_chromium


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page: Any, live: dict[str, Any], user: str) -> None:
    page.goto(live["url"] + "/")
    assert page.url.startswith(live["url"] + "/login")
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(live["passwords"][user])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live["url"] + "/")


def _hostile_message(live: dict[str, Any]) -> InboundMessage:
    with Session(live["engine"]) as s:
        return s.exec(select(InboundMessage).where(col(InboundMessage.html).is_not(None))).one()


def test_hostile_html_runs_nothing_and_loads_nothing(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "mw")
    msg = _hostile_message(live)
    from avgdesk.models.tables import Case

    with Session(live["engine"]) as s:
        ref = s.get(Case, msg.case_id).reference  # type: ignore[union-attr]
    page.goto(f"{live['url']}/cases/{ref}")
    page.locator("details.mail-html-wrap summary").click()
    shown = page.locator(".mail-html")
    assert shown.is_visible()
    assert "Ik wil graag inzage" in shown.inner_text()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert page.dialogs == []  # type: ignore[attr-defined]
    leaked = [u for u in page.requests if "evil.invalid" in u]  # type: ignore[attr-defined]
    assert leaked == []
    assert all(u.startswith(live["url"]) for u in page.requests), page.requests  # type: ignore[attr-defined]
    # The link to a real site stays, marked; the javascript: link is inert.
    link = shown.locator("a[href]")
    assert link.count() == 1 and link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert (
        page.evaluate("() => document.querySelectorAll('.mail-html [onerror], .mail-html script').length")
        == 0
    )
    _shot(page, "case-hostile-html")


def test_staff_flow_queue_case_draft_approve_and_send(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "goedkeurder")
    assert page.get_by_role("heading", name="Overzicht").is_visible()
    _shot(page, "dashboard")

    page.get_by_role("link", name="Wachtrij").click()
    page.wait_for_url(re.compile(r".*/cases$"))
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 3
    _shot(page, "queue")

    page.get_by_label("Zoek op naam, e-mailadres, kenmerk of onderwerp").fill("jan.devries@example.nl")
    page.get_by_role("button", name="Toon").click()
    assert rows.count() == 1
    rows.first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/cases/AVG-\d{4}-\d{4}$"))
    ref = page.url.rsplit("/", 1)[1]
    assert page.get_by_role("heading", name=re.compile(f"Zaak {ref}")).is_visible()
    _shot(page, "case")

    # The worker's acknowledgement draft, edited and approved.
    with Session(live["engine"]) as s:
        from avgdesk.models.tables import Case

        case = s.exec(select(Case).where(Case.reference == ref)).one()
        ack = s.exec(select(Draft).where(Draft.case_id == case.id, Draft.kind == "acknowledgement")).first()
    if ack is not None:
        page.goto(f"{live['url']}/drafts/{ack.id}")
    else:  # no automatic draft in this build: start one from the case page
        page.get_by_role("link", name="Nieuwe brief opstellen").click()
        page.get_by_label("Soort brief").select_option("acknowledgement")
        page.get_by_role("button", name="Opstellen").click()
    page.wait_for_url(re.compile(r".*/drafts/\d+$"))
    draft_id = int(page.url.rsplit("/", 1)[1])
    body = page.get_by_label("Tekst", exact=True)
    body.fill(body.input_value() + "\nPS: Goedgekeurd in de browsertest.")
    page.get_by_role("button", name="Tekst opslaan").click()
    page.wait_for_url(re.compile(rf".*/drafts/{draft_id}(#voorbeeld)?$"))
    assert "PS: Goedgekeurd in de browsertest." in page.locator("#voorbeeld .mail-text").inner_text()
    _shot(page, "draft-editor")
    page.get_by_label("Ik heb deze versie gelezen").check()
    page.get_by_role("button", name="Goedkeuren en versturen").click()
    page.wait_for_url(re.compile(rf".*/drafts/{draft_id}$"))
    assert "goedgekeurd door goedkeurder" in page.locator(".meta").inner_text()
    with Session(live["engine"]) as s:
        assert s.get(Draft, draft_id).state is DraftState.APPROVED  # type: ignore[union-attr]

    # The worker's outbox sends it to the SMTP sink.
    from avgdesk.replies import outbox
    from avgdesk.triage.worker.runner import smtp_mailer

    mailer = smtp_mailer(live["settings"])
    assert mailer is not None
    # Playwright's sync API keeps an event loop in this thread: the drain gets its own.
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, outbox.drain(live["engine"], mailer, "browser-test")).result()
    assert result.sent == 1
    received = live["sink"].messages
    assert len(received) == 1 and b"PS: Goedgekeurd in de browsertest." in received[0]
    assert ref.encode() in received[0]
    page.reload()
    assert "verzonden" in page.locator("h1").inner_text()


def test_contact_form_makes_a_case_that_staff_find(page: Any, live: dict[str, Any]) -> None:
    page.goto(live["url"] + "/contact")
    assert page.evaluate("() => document.scripts.length") == 0  # works without JavaScript
    page.get_by_label("Naam").fill("Els Visser")
    page.get_by_label("E-mailadres").fill("els.visser@example.nl")
    page.get_by_label("Waar gaat het over?").select_option("wissen")
    page.get_by_label("Onderwerp").fill("Account opheffen")
    page.get_by_label("Uw bericht").fill("Wilt u al mijn gegevens verwijderen? Dank u.")
    page.get_by_role("button", name="Versturen").click()
    page.wait_for_url(re.compile(r".*/contact/ontvangen\?t=.*"))
    ref = page.locator("#kenmerk").inner_text()
    assert re.fullmatch(r"AVG-\d{4}-\d{4}", ref)
    _shot(page, "contact-confirmation")

    _login(page, live, "mw")
    page.goto(live["url"] + "/cases")
    page.get_by_label("Zoek op naam, e-mailadres, kenmerk of onderwerp").fill(ref)
    page.get_by_role("button", name="Toon").click()
    page.get_by_role("link", name=ref).click()
    assert "els.visser@example.nl" in page.locator("main").inner_text()
    assert "contactformulier" in page.locator("main").inner_text()
