"""Issue 14's case work in a real browser (Debian's Chromium through Playwright, uvicorn):
the editor keeps every keystroke, an extension shows as requested until its notice is
sent, closing follows the letters and can be undone with a reason, search and sort,
saved filters and views, the Dutch timeline, internal notes, bulk approval.

The tests of this module share one server and database and run in file order. Screenshots
at 1280 px go to artifacts/screenshots/casework-*.png.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from browser_support import SHOTS, requires_chromium
from sqlmodel import Session, col, select

from avgdesk.models.tables import AuditEvent, Case, Draft, DraftState, InboundMessage

pytest.importorskip("playwright.sync_api")

HASH = re.compile(r"\b[0-9a-f]{12,}\b")

pytestmark = requires_chromium


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"casework-{name}.png"), full_page=True)


def _login(page: Any, live: dict[str, Any], user: str) -> None:
    page.goto(live["url"] + "/login")
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(live["passwords"][user])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live["url"] + "/")


def _case_of(live: dict[str, Any], subject: str) -> Case:
    with Session(live["engine"]) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.subject == subject)).one()
        case = s.get(Case, msg.case_id)
        assert case is not None
        return case


def _draft(live: dict[str, Any], draft_id: int) -> Draft:
    with Session(live["engine"]) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        return d


def _send_outbox(live: dict[str, Any]) -> int:
    """What the worker does: the outbox pass, then what sent letters change on their cases."""
    from avgdesk.replies import outbox
    from avgdesk.triage.cases.actions import letters_sent
    from avgdesk.triage.worker.runner import smtp_mailer

    mailer = smtp_mailer(live["settings"])
    assert mailer is not None
    # Playwright's sync API keeps an event loop in this thread: the drain gets its own.
    with ThreadPoolExecutor(1) as pool:
        sent = pool.submit(asyncio.run, outbox.drain(live["engine"], mailer, "browser-test")).result().sent
    letters_sent(live["engine"], live["settings"])
    return int(sent)


def test_editor_keeps_every_keystroke_and_warns_before_a_rebuild(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "goedkeurder")
    case = _case_of(live, "Inzageverzoek")
    with Session(live["engine"]) as s:
        ack = s.exec(select(Draft).where(Draft.case_id == case.id, Draft.kind == "acknowledgement")).one()
    page.goto(f"{live['url']}/drafts/{ack.id}")
    body = page.get_by_label("Tekst", exact=True)
    typed = body.input_value() + "\nPS: deze zin mag nooit verdwijnen."
    body.fill(typed)
    page.locator("form[action$='/text']").get_by_role("button", name="Voorbeeld bekijken").click()
    page.wait_for_load_state("domcontentloaded")
    # The preview shows the box's text, and the box still holds it.
    assert "PS: deze zin mag nooit verdwijnen." in page.locator("#voorbeeld .mail-text").inner_text()
    assert page.get_by_label("Tekst", exact=True).input_value() == typed
    assert "nog niet opgeslagen" in page.locator("main").inner_text()
    assert "deze zin" not in _draft(live, ack.id or 0).body_text  # a preview saves nothing
    _shot(page, "editor-preview-keeps-text")
    page.get_by_role("button", name="Tekst opslaan").click()
    page.wait_for_url(re.compile(rf".*/drafts/{ack.id}(#voorbeeld)?$"))
    saved = _draft(live, ack.id or 0)
    assert saved.body_text == typed.replace("\r\n", "\n") and saved.version == 2
    paragraph = max(saved.body_text.split("\n\n"), key=len).split("\n")
    assert len(paragraph) > 1 and " ".join(line.strip() for line in paragraph[:2]) in (saved.body_html or "")
    # Every version is kept, the difference shown.
    versions = page.locator("#versies")
    assert "+ PS: deze zin mag nooit verdwijnen." in versions.locator("details[open] pre.diff").inner_text()
    # Rebuilding from the fields would throw the edit away: the page asks first.
    assert page.locator("#rebuild-warning").is_visible()
    page.get_by_role("button", name="Toepassen (tekst opnieuw opbouwen)").click()
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.querySelector('input[name=confirm_rebuild]').validity.valueMissing")
    assert "deze zin" in _draft(live, ack.id or 0).body_text  # the browser did not submit
    _shot(page, "editor-rebuild-warning")
    page.get_by_label("Ja, tekst opnieuw opbouwen").check()
    page.get_by_role("button", name="Toepassen (tekst opnieuw opbouwen)").click()
    page.wait_for_url(re.compile(rf".*/drafts/{ack.id}(#voorbeeld)?$"))
    rebuilt = _draft(live, ack.id or 0)
    assert "deze zin" not in rebuilt.body_text and rebuilt.version == 3
    versions_text = page.locator("#versies").inner_text()
    assert "Versie 3" in versions_text and "Versie 2" in versions_text  # the edit is still there
    _shot(page, "editor-versions")


def test_extension_shows_as_requested_until_the_notice_is_sent(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "goedkeurder")
    case = _case_of(live, "Verwijder mijn account")
    original = case.due_date
    page.goto(f"{live['url']}/cases/{case.reference}")
    page.locator("#ext-ground").select_option("spread")
    page.locator("#ext-reason").fill("Uw gegevens staan in vijf verschillende systemen.")
    page.get_by_role("button", name="Verlengen en bericht opstellen").click()
    page.wait_for_url(re.compile(r".*/drafts/\d+$"))
    notice_id = int(page.url.rsplit("/", 1)[1])
    page.goto(f"{live['url']}/cases/{case.reference}")
    notice = page.locator(".notice.warn", has_text="Verlenging aangevraagd")
    assert notice.is_visible() and "nog niet verzonden" in notice.inner_text()
    assert original is not None
    assert page.locator("#termijn strong").inner_text().endswith(str(original.year))
    with Session(live["engine"]) as s:
        stored = s.exec(select(Case).where(Case.reference == case.reference)).one()
    assert stored.due_date == original and stored.extended_deadline and stored.extended_deadline > original
    _shot(page, "extension-requested")
    page.goto(f"{live['url']}/cases")
    row = page.locator("table.queue tbody tr", has_text=case.reference)
    assert "verlenging aangevraagd" in row.inner_text()
    # Approve the notice (with the confirmation), the outbox sends it: now the new date binds.
    page.goto(f"{live['url']}/drafts/{notice_id}")
    page.get_by_label("Ik heb deze versie gelezen").check()
    page.get_by_role("button", name="Goedkeuren en versturen").click()
    page.wait_for_url(re.compile(rf".*/drafts/{notice_id}$"))
    assert _send_outbox(live) == 1
    page.goto(f"{live['url']}/cases/{case.reference}")
    assert page.locator(".notice.warn", has_text="Verlenging aangevraagd").count() == 0
    with Session(live["engine"]) as s:
        stored = s.exec(select(Case).where(Case.reference == case.reference)).one()
    assert stored.due_date == stored.extended_deadline
    assert "Verlengd tot" in page.locator("main").inner_text()
    assert "Verlengingsbericht verzonden" in page.locator(".timeline").inner_text()
    _shot(page, "extension-sent")


def test_closing_follows_the_letters_and_reopening_needs_a_reason(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "mw")
    case = _case_of(live, "Klacht over nieuwsbrief")
    page.goto(f"{live['url']}/cases/{case.reference}")
    close_form = page.locator("form[action$='/close']")
    close_form.get_by_label("Uitkomst").select_option("answered")
    close_form.get_by_role("button", name="Sluiten").click()
    page.wait_for_timeout(300)
    assert page.evaluate(
        "() => document.querySelector('form[action$=\"/close\"] input[name=confirm]').validity.valueMissing"
    )
    close_form.get_by_label("Ik wil deze zaak sluiten").check()
    close_form.get_by_role("button", name="Sluiten").click()
    page.wait_for_load_state("domcontentloaded")
    alert = page.get_by_role("alert")
    assert "Er is nog geen inhoudelijk antwoord verzonden voor: bezwaar, klacht" in alert.inner_text()
    _shot(page, "close-refused")
    close_form = page.locator("form[action$='/close']")
    close_form.get_by_label("Uitkomst").select_option("answered")
    close_form.get_by_label("Toch sluiten als beantwoord").fill("Telefonisch beantwoord op 12 november.")
    close_form.get_by_label("Ik wil deze zaak sluiten").check()
    close_form.get_by_role("button", name="Sluiten").click()
    page.wait_for_url(re.compile(rf".*/cases/{case.reference}$"))
    assert "beantwoord" in page.locator("h1 .state").inner_text()
    timeline = page.locator(".timeline").inner_text()
    assert "Gesloten zonder verzonden antwoord, reden: Telefonisch beantwoord op 12 november." in timeline
    page.get_by_label("Reden (verplicht; komt in de tijdlijn)").fill("De klant belde terug met een vraag.")
    page.get_by_role("button", name="Heropenen").click()
    page.wait_for_url(re.compile(rf".*/cases/{case.reference}$"))
    assert page.locator("h1 .state").inner_text() == "in behandeling"
    assert (
        "Zaak heropend: status gewijzigd van beantwoord naar in behandeling"
        in page.locator(".timeline").inner_text()
    )
    _shot(page, "reopened")


def test_queue_search_sort_saved_filters_and_views(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "mw")
    page.goto(live["url"] + "/cases")
    rows = page.locator("table.queue tbody tr")
    search = page.get_by_label("Zoek op naam, e-mailadres, kenmerk of onderwerp")
    jan = _case_of(live, "Inzageverzoek")
    for term, expected in (("Fatima", "Verwijder"), (jan.reference[-4:], None), ("nieuwsbrief", "Klacht")):
        search.fill(term)
        page.get_by_role("button", name="Toon").click()
        page.wait_for_load_state("domcontentloaded")
        assert rows.count() == 1, term
        if expected is None:
            assert jan.reference in rows.first.inner_text()
    page.goto(live["url"] + "/cases")
    page.get_by_role("link", name="Kenmerk").click()
    page.wait_for_load_state("domcontentloaded")
    refs = _refs(page)
    assert refs == sorted(refs) and len(refs) == 3
    assert page.locator("th[aria-sort=ascending]").inner_text().lower().startswith("kenmerk")
    page.get_by_role("link", name="Kenmerk").click()
    page.wait_for_load_state("domcontentloaded")
    desc = _refs(page)
    assert desc == sorted(refs, reverse=True)
    _shot(page, "queue-sorted")
    page.get_by_role("link", name="Te laat").click()
    page.wait_for_load_state("domcontentloaded")
    assert all("te laat" in r for r in rows.all_inner_texts())
    page.get_by_label("Deze weergave bewaren als").fill("Mijn te-laat-lijst")
    page.get_by_role("button", name="Bewaren").click()
    page.wait_for_load_state("domcontentloaded")
    page.goto(live["url"] + "/cases")
    page.get_by_role("link", name="Mijn te-laat-lijst").click()
    page.wait_for_load_state("domcontentloaded")
    assert "due=overdue" in page.url
    page.get_by_role("link", name="Wacht op goedkeuring").click()
    page.wait_for_load_state("domcontentloaded")
    assert rows.count() >= 1
    _shot(page, "queue-saved-views")


def _refs(page: Any) -> list[str]:
    cells = page.locator("table.queue tbody td[data-label=Kenmerk]").all_inner_texts()
    return [re.search(r"AVG-\d{4}-\d{4}", c).group(0) for c in cells]  # type: ignore[union-attr]


def test_notes_and_the_dutch_timeline(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "mw")
    case = _case_of(live, "Verwijder mijn account")
    page.goto(f"{live['url']}/cases/{case.reference}")
    page.get_by_label("Nieuwe notitie").fill("Klant belde: liever per post. Niet in de brief!")
    page.get_by_role("button", name="Notitie toevoegen").click()
    page.wait_for_url(re.compile(rf".*/cases/{case.reference}#notities$"))
    assert "Klant belde: liever per post." in page.locator("#notities").inner_text()
    timeline = page.locator(".timeline").inner_text()
    assert "Interne notitie toegevoegd" in timeline and "liever per post" not in timeline
    assert "Zaak geopend (wissen)" in timeline
    assert "Brief opgesteld: ontvangstbevestiging" in timeline
    assert not HASH.search(timeline), timeline  # no hashes or ids
    for raw in ("kind:", "mail.sent", "state:", "acknowledgement", "pending"):
        assert raw not in timeline
    _shot(page, "notes-timeline")


def test_bulk_approval_of_acknowledgements(page: Any, live: dict[str, Any]) -> None:
    _login(page, live, "goedkeurder")
    with Session(live["engine"]) as s:
        waiting = list(
            s.exec(select(Draft).where(Draft.kind == "acknowledgement", Draft.state == DraftState.DRAFT))
        )
    assert len(waiting) >= 2
    page.goto(live["url"] + "/drafts")
    bulk = page.locator("#bulk")
    assert bulk.locator("input[name=draft_ids]").count() == len(waiting)
    _shot(page, "bulk-before")
    bulk.get_by_role("button", name="Gekozen bevestigingen goedkeuren").click()
    page.wait_for_timeout(300)
    assert page.url.endswith("/drafts")  # the confirmation checkbox is required
    bulk.get_by_label("Ik keur de gekozen ontvangstbevestigingen goed").check()
    bulk.get_by_role("button", name="Gekozen bevestigingen goedkeuren").click()
    page.wait_for_url(re.compile(r".*/drafts/approve-acknowledgements$"))
    assert f"{len(waiting)} van {len(waiting)} goedgekeurd" in page.locator("main").inner_text()
    _shot(page, "bulk-done")
    with Session(live["engine"]) as s:
        approved = list(
            s.exec(
                select(AuditEvent).where(
                    AuditEvent.action == "draft.approved", col(AuditEvent.actor) == "goedkeurder"
                )
            )
        )
        states = [s.get(Draft, d.id).state for d in waiting]  # type: ignore[union-attr]
    ids = {e.detail["draft_id"] for e in approved}
    assert {d.id for d in waiting} <= ids  # one audit event per approval
    assert all(st is DraftState.APPROVED for st in states)
