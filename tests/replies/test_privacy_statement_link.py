"""Issue 14 item 10: "privacyverklaring" is a link to the profile's privacy statement when
the profile gives one (letters, both parts and languages; the contact form), and is not
mentioned as a link when it does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from replies_samples import sample_context

from avgdesk.replies.profile import load_profile
from avgdesk.replies.rendering import DraftKind, render

URL = "https://www.nhmbsoftware.nl/privacyverklaring"


def _with_url() -> Any:
    profile = load_profile()
    return profile.model_copy(
        update={"controller": profile.controller.model_copy(update={"privacy_statement_url": URL})}
    )


@pytest.mark.parametrize("kind", [DraftKind.ACKNOWLEDGEMENT, DraftKind.ACCESS, DraftKind.OBJECTION])
def test_letters_link_the_privacy_statement(kind: DraftKind) -> None:
    nl = render(kind, sample_context(kind, "nl"), _with_url())
    assert f"privacyverklaring ({URL})" in " ".join(nl.text.split())
    assert f'<a href="{URL}">privacyverklaring</a>' in nl.html
    en = render(kind, sample_context(kind, "en"), _with_url())
    assert f'<a href="{URL}">privacy statement</a>' in en.html and f"privacy statement ({URL})" in " ".join(
        en.text.split()
    )


def test_without_a_url_no_sentence_promises_a_link() -> None:
    reply = render(DraftKind.ACKNOWLEDGEMENT, sample_context(DraftKind.ACKNOWLEDGEMENT, "nl"), load_profile())
    assert (
        "privacyverklaring" not in reply.text
        and '<a href="https://www.nhmbsoftware.nl/priv' not in reply.html
    )


def test_contact_form_links_the_privacy_statement(tmp_path: Path) -> None:
    from webseed import KeywordClassifier, make_web_settings

    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.web.app import create_app
    from avgdesk.web.config import WebSettings

    source = (Path(__file__).resolve().parents[2] / "replies" / "controller.toml").read_text(encoding="utf-8")
    toml = tmp_path / "controller.toml"
    toml.write_text(source.replace("[controller]\n", f'[controller]\nprivacy_statement_url = "{URL}"\n', 1))
    settings = make_web_settings(tmp_path).model_copy(update={"controller_profile": toml})
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    app = create_app(
        settings, engine, WebSettings.from_settings(settings), classifier_factory=KeywordClassifier
    )
    with TestClient(app, base_url="http://testserver") as client:
        page = client.get("/contact").text
    engine.dispose()
    assert f'zie onze <a href="{URL}">privacyverklaring</a>.' in page
