"""Issue 14 item 8: every staff page fits a 390 px phone without sideways scrolling.

Screenshots at 1280 and 390 px go to artifacts/screenshots/phone-*.png for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import Case, Draft
from avgdesk.triage.settings import load_settings

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import webseed

    from avgdesk.web.plugin import background_server, free_port

    tmp = tmp_path_factory.mktemp("phone")
    settings = load_settings(None, data_dir=tmp / "data", database_url=f"sqlite:///{tmp / 'web.sqlite3'}")
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    webseed.seed(engine, settings)
    try:
        with background_server(
            settings,
            engine,
            port=free_port(),
            classifier_factory=webseed.KeywordClassifier,
            warm_classifier=False,
        ) as url:
            yield {"url": url, "engine": engine, "passwords": webseed.PASSWORDS}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def phone_browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


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
