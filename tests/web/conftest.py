"""Web fixtures: a migrated SQLite database seeded through the real pipeline (with a fast
keyword classifier instead of the trained model), staff accounts, a TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from avgdesk.classifiers import Document, Prediction
from avgdesk.models import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.triage.local_intake import store_local_message
from avgdesk.triage.processing import Processor
from avgdesk.triage.settings import Settings, load_settings
from avgdesk.web.app import create_app
from avgdesk.web.config import WebSettings
from avgdesk.web.users import add_user

PASSWORDS = {
    "mw": "medewerker-wachtwoord",
    "goedkeurder": "goedkeurder-wachtwoord",
    "beheer": "beheerder-wachtwoord",
}

_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("access", re.compile(r"inzage|welke gegevens|kopie van mijn gegevens", re.I), "inzage"),
    ("erasure", re.compile(r"verwijder|wissen|vergeten", re.I), "verwijder"),
    ("rectification", re.compile(r"corrig|onjuist|verbeter", re.I), "corrigeer"),
    ("objection", re.compile(r"bezwaar|nieuwsbrief", re.I), "bezwaar"),
    ("complaint", re.compile(r"klacht", re.I), "klacht"),
]


class KeywordClassifier:
    """A deterministic stand-in for the trained model (which takes ~45 s to train)."""

    version = "test-keywords"

    def predict(self, docs: Sequence[Document]) -> list[Prediction]:
        out = []
        for d in docs:
            text = f"{d.subject}\n{d.text}"
            labels = [label for label, rx, _ in _RULES if rx.search(text)]
            scores = {label: (0.91 if label in labels else 0.04) for label, _, _ in _RULES}
            explanations = {label: [word] for label, rx, word in _RULES if label in labels}
            if not labels:
                labels = ["question"]
                scores["question"] = 0.8
                explanations["question"] = ["vraag"]
            lang = "en" if re.search(r"\b(the|my|please)\b", text, re.I) else "nl"
            out.append(
                Prediction(
                    labels=labels,
                    scores=scores,
                    needs_review=False,
                    language=lang,
                    explanations=explanations,
                    model_version=self.version,
                )
            )
        return out


def raw_mail(
    *,
    sender: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachment: tuple[str, bytes, str] | None = None,
    when: datetime | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "privacy@nhmbsoftware.nl"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="example.nl")
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    if attachment is not None:
        name, data, ctype = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


HOSTILE_HTML = """<html><head>
<base href="http://evil.invalid/">
<meta http-equiv="refresh" content="0;url=http://evil.invalid/meta">
<link rel="stylesheet" href="http://evil.invalid/style.css">
<style>body { background: url(http://evil.invalid/bg.png) } @import url(http://evil.invalid/imp.css);</style>
<script>alert('script')</script>
</head><body>
<p onclick="alert('click')">Ik wil graag inzage in mijn gegevens.</p>
<img src="http://evil.invalid/pixel.png" onerror="alert('onerror')">
<img src="x" onerror="alert('onerror2')">
<img srcset="http://evil.invalid/srcset.png 1x" alt="srcset">
<a href="javascript:alert('js')">klik hier</a>
<a href="https://example.nl/echte-link">mijn website</a>
<div style="background-image:url(http://evil.invalid/div.png)">stijl</div>
<svg><image href="http://evil.invalid/svg.png"></image><script>alert('svg')</script></svg>
<iframe src="http://evil.invalid/frame"></iframe>
<video poster="http://evil.invalid/poster.png"></video>
<form action="http://evil.invalid/phish"><input name="pw"></form>
<object data="http://evil.invalid/obj"></object>
</body></html>"""


def make_web_settings(tmp_path: Path, db_url: str | None = None) -> Settings:
    return load_settings(
        None,
        data_dir=tmp_path / "data",
        database_url=db_url or f"sqlite:///{tmp_path / 'web.sqlite3'}",
    )


def seed(engine: Engine, settings: Settings) -> dict[str, Any]:
    """Three customer mails (one with hostile HTML and an attachment), processed into cases."""
    now = datetime.now(UTC)
    mails = [
        raw_mail(
            sender="Jan de Vries <jan.devries@example.nl>",
            subject="Inzageverzoek",
            text="Ik wil graag inzage in welke gegevens u van mij verwerkt.",
            when=now - timedelta(days=20),
        ),
        raw_mail(
            sender="Fatima el Amrani <fatima@example.nl>",
            subject="Verwijder mijn account",
            text="Wilt u mijn gegevens verwijderen? Ik ben klant nr 4411.",
            html=HOSTILE_HTML,
            attachment=("../../etc/passwd<script>.pdf", b"%PDF-1.4 fake pdf", "application/pdf"),
            when=now - timedelta(days=3),
        ),
        raw_mail(
            sender="Piet Bakker <piet@example.nl>",
            subject="Klacht over nieuwsbrief",
            text="Ik maak bezwaar tegen uw nieuwsbrief en dien een klacht in.",
            when=now - timedelta(days=1),
        ),
    ]
    for raw in mails:
        store_local_message(engine, raw, source="imap", received_at=None)
    Processor(engine, settings, classifier=KeywordClassifier()).drain()
    with Session(engine) as session:
        for name, role in (("mw", "medewerker"), ("goedkeurder", "approver"), ("beheer", "admin")):
            add_user(session, name, role, PASSWORDS[name], by="test")
        session.commit()
    return {}


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
