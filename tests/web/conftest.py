"""Web fixtures: a migrated SQLite database seeded through the real pipeline (with a fast
keyword classifier instead of the trained model), staff accounts, a TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from webseed import PASSWORDS, KeywordClassifier, make_web_settings, seed

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.triage.settings import Settings
from avgdesk.web.app import create_app
from avgdesk.web.config import WebSettings


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return make_web_settings(tmp_path)


@pytest.fixture
def web_engine(web_settings: Settings) -> Iterator[Engine]:
    eng = make_engine(web_settings.effective_database_url)
    upgrade(eng)
    seed(eng, web_settings)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def app_factory(web_settings: Settings, web_engine: Engine) -> Any:
    def factory(**web_overrides: Any) -> Any:
        web = WebSettings.from_settings(web_settings, **web_overrides)
        return create_app(web_settings, web_engine, web, classifier_factory=KeywordClassifier)

    return factory


@pytest.fixture
def client(app_factory: Any) -> Iterator[TestClient]:
    with TestClient(app_factory(), base_url="http://testserver", follow_redirects=False) as c:
        yield c


def do_login(client: TestClient, username: str, password: str | None = None) -> TestClient:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": password or PASSWORDS[username],
            "csrf_token": token.group(1),
        },
    )
    assert r.status_code == 303, r.text
    return client


def get_csrf(client: TestClient, path: str = "/") -> str:
    page = client.get(path)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text
    return m.group(1)


@pytest.fixture
def login() -> Any:
    """login(client, username[, password]): logs in through the form, asserts success."""
    return do_login


@pytest.fixture
def csrf_of() -> Any:
    """csrf_of(client[, path]): the CSRF token of a logged-in page."""
    return get_csrf


@pytest.fixture
def two_per_page(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The three seeded cases, two rows per page, on the database of ``db_url``."""
    settings = make_web_settings(tmp_path, db_url)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    seed(engine, settings)
    web = WebSettings.from_settings(settings, page_rows=2, dashboard_rows=1)
    app = create_app(settings, engine, web, classifier_factory=KeywordClassifier)
    try:
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
            do_login(client, "goedkeurder")
            yield client
    finally:
        engine.dispose()
