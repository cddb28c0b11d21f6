"""Issue 11 in a real browser (Debian's Chromium through Playwright, uvicorn): staff link a
message to a case by hand ("Koppel aan deze zaak" for a suggested message, "Koppelen" to
move one); a stranger's message never joins a case by itself. Issue 13: the access facts
and the direct-marketing flag on the same page. Screenshot: artifacts/screenshots/linking-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import SHOTS, requires_chromium
from sqlmodel import Session, select

from avgdesk.models.tables import AuditEvent, Case, InboundMessage

# live, browser and page: the shared browser fixtures of tests/integration/conftest.py.
pytest.importorskip("playwright.sync_api")

pytestmark = requires_chromium


def _login(page: Any, live: dict[str, Any], user: str) -> None:
    page.goto(live["url"] + "/login")
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(live["passwords"][user])
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live["url"] + "/")


def test_staff_link_a_suggested_message_in_the_browser(page: Any, live: dict[str, Any]) -> None:
    engine = live["engine"]
    with Session(engine) as s:
        cases = list(s.exec(select(Case).order_by(Case.id)))
        target_id, target_ref, other_id = cases[0].id, cases[0].reference, cases[1].id
        last_id, last_ref = cases[2].id, cases[2].reference
        message = s.exec(select(InboundMessage).where(InboundMessage.case_id == other_id)).first()
        assert message is not None and message.id is not None
        message.suggested_case_id = target_id  # as threading does for a stranger naming the case
        pk = message.id
        s.commit()
    _login(page, live, "mw")
    page.goto(f"{live['url']}/cases/{target_ref}")
    suggestion = page.locator(f"#voorstel-{pk}")
    suggestion.get_by_role("button", name="Koppel aan deze zaak").click()
    page.wait_for_url(f"{live['url']}/cases/{target_ref}#bericht-{pk}")
    assert page.locator(f"#bericht-{pk}").is_visible()  # now one of this case's messages
    assert page.locator(f"#voorstel-{pk}").count() == 0
    # Moving it on to a third case through the per-message form.
    page.locator("#koppelen summary").click()
    page.locator(f"#koppel-{pk}").fill(last_ref.lower())
    page.locator(f"#koppel-{pk}").locator("xpath=..").get_by_role("button", name="Koppelen").click()
    page.wait_for_url(f"{live['url']}/cases/{last_ref}#bericht-{pk}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "linking-case.png"), full_page=True)
    with Session(engine) as s:
        moved = s.get(InboundMessage, pk)
        assert moved is not None and moved.case_id == last_id
        actors = [
            e.actor
            for e in s.exec(select(AuditEvent).where(AuditEvent.message_pk == pk))
            if e.action == "message.attached"
        ]
    assert actors == ["mw", "mw"]
    # An unknown reference: the rule's Dutch message, nothing moved.
    page.goto(f"{live['url']}/cases/{last_ref}")
    page.locator("#koppelen summary").click()
    page.locator(f"#koppel-{pk}").fill("AVG-1999-0001")
    page.locator(f"#koppel-{pk}").locator("xpath=..").get_by_role("button", name="Koppelen").click()
    assert page.get_by_role("alert").is_visible()
