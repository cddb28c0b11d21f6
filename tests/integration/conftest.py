"""Integration fixtures: the OAuth stand-ins (tests/support/oauth_fixtures.py) and the one set of
browser fixtures every Playwright test uses.

Browser fixtures (module scope where they are expensive, so each test module gets its own
server and data):

* ``live`` — the web UI on uvicorn over a seeded SQLite database, with an SMTP sink:
  ``{"url", "engine", "settings", "sink", "passwords"}``;
* ``browser`` (and its alias ``phone_browser``) — Debian's Chromium through Playwright;
* ``page`` — a fresh 1280 px Dutch page per test; dialogs are dismissed and recorded in
  ``page.dialogs``, every request URL in ``page.requests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import ARGS, CHROMIUM
from oauth_fixtures import oauth, oauth_dovecot, oauth_session

__all__ = ["browser", "live", "oauth", "oauth_dovecot", "oauth_session", "page", "phone_browser"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import webseed
    from servers import SmtpSink

    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage.settings import load_settings
    from avgdesk.web.plugin import background_server

    tmp = tmp_path_factory.mktemp("browser")
    sink = SmtpSink()
    settings = load_settings(
        None,
        data_dir=tmp / "data",
        database_url=f"sqlite:///{tmp / 'web.sqlite3'}",
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_security="none",
        smtp_timeout_s=10.0,
    )
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    webseed.seed(engine, settings)
    try:
        with background_server(
            settings,
            engine,
            port=0,  # bound by the server itself: no race with a concurrent run
            classifier_factory=webseed.KeywordClassifier,
            warm_classifier=False,
        ) as url:
            yield {
                "url": url,
                "engine": engine,
                "settings": settings,
                "sink": sink,
                "passwords": webseed.PASSWORDS,
            }
    finally:
        sink.stop()
        engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def phone_browser(browser: Any) -> Any:
    """The same browser; the phone tests open their own contexts at 1280 and 390 px."""
    return browser


@pytest.fixture
def page(browser: Any, live: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    dialogs: list[str] = []
    requests: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: requests.append(r.url))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    pg.requests = requests  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        context.close()
