"""Issue 14 item 8: every staff page fits a 390 px phone without sideways scrolling.

Screenshots at 1280 and 390 px go to artifacts/screenshots/phone-*.png for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest
from browser_support import SHOTS, requires_chromium
from sqlmodel import Session, col, select

from avgdesk.models.tables import Case, Draft

pytest.importorskip("playwright.sync_api")

pytestmark = requires_chromium


def _pages(live: dict[str, Any]) -> dict[str, str]:
    with Session(live["engine"]) as s:
        case = s.exec(select(Case).order_by(col(Case.id))).first()
        draft = s.exec(select(Draft).order_by(col(Draft.id))).first()
    assert case is not None and draft is not None, "the seed makes cases and drafts"
    return {
        "dashboard": "/",
        "queue": "/cases",
        "case": f"/cases/{case.reference}",
        "drafts": "/drafts",
        "editor": f"/drafts/{draft.id}",
    }


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_the_width(phone_browser: Any, live: dict[str, Any], width: int) -> None:
    context = phone_browser.new_context(viewport={"width": width, "height": 844}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live["url"] + "/login")
        page.get_by_label("Gebruikersnaam").fill("beheer")
        page.get_by_label("Wachtwoord").fill(live["passwords"]["beheer"])
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(live["url"] + "/")
        too_wide = {}
        SHOTS.mkdir(parents=True, exist_ok=True)
        for name, path in _pages(live).items():
            page.goto(live["url"] + path)
            page.screenshot(path=str(SHOTS / f"phone-{name}-{width}.png"), full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide[name] = scroll_width
        assert not too_wide, f"pages wider than {width} px: {too_wide}"
    finally:
        context.close()
