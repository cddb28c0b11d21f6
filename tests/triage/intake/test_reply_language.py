"""Issue 15: a German message opens a German case, and its first letter is German.

Before German letters existed, a German writer's case was stored as "en" and got an English
acknowledgement; a case opened then keeps its stored language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import mail
from sqlmodel import Session, select

from avgdesk.models.tables import Case, Draft
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


class LabelsInLanguage:
    """A classifier stand-in: the labels marked in the text, in a fixed detected language."""

    version = "fixed"

    def __init__(self, language: str) -> None:
        self.language = language

    def predict(self, docs: Any) -> Any:
        from avgdesk.classifiers import Prediction

        out = []
        for d in docs:
            text = f"{d.subject} {d.text}".lower()
            labels = [lab for lab in ("access", "erasure") if f"#{lab}" in text]
            scores = {lab: 0.9 for lab in labels}
            out.append(Prediction(labels or ["question"], scores, False, self.language, {}, "fixed"))
        return out


@pytest.mark.parametrize(
    ("detected", "stored", "greeting", "subject"),
    [
        ("de", "de", "Guten Tag Klant,", "Eingangsbestätigung Ihres Antrags nach der DSGVO"),
        ("en", "en", "Dear Klant,", "Acknowledgement of your privacy request"),
        ("nl", "nl", "Geachte Klant,", "Ontvangstbevestiging van uw privacyverzoek"),
    ],
)
def test_the_case_and_its_acknowledgement_take_the_writers_language(
    engine: Any, make_settings: Any, detected: str, stored: str, greeting: str, subject: str
) -> None:
    store_local_message(
        engine, mail(1, subject="Auskunft", body="#access Bitte um Auskunft"), received_at=RECEIVED
    )
    Processor(engine, make_settings(), classifier=LabelsInLanguage(detected)).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        draft = s.exec(select(Draft)).one()
    assert case.language == stored
    assert draft.kind == "acknowledgement" and draft.language == stored
    assert draft.subject.endswith(subject)
    assert greeting in draft.body_text


def test_a_profile_without_german_gives_german_writers_english_letters(
    engine: Any, make_settings: Any, tmp_path: Any
) -> None:
    """An organisation's profile from before German letters (no German texts) keeps working: the
    case is German, its letters English, as they were; nothing stops and no letter mixes languages."""
    from avgdesk.replies.profile import default_profile_path

    profile = tmp_path / "controller.toml"
    text = default_profile_path().read_text(encoding="utf-8")
    profile.write_text(text.replace(', de = "Niederlande"', "", 1), encoding="utf-8")
    assert profile.read_text(encoding="utf-8") != text
    store_local_message(
        engine, mail(1, subject="Auskunft", body="#access Bitte um Auskunft"), received_at=RECEIVED
    )
    settings = make_settings(controller_profile=profile)
    Processor(engine, settings, classifier=LabelsInLanguage("de")).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        draft = s.exec(select(Draft)).one()
    assert case.language == "de"
    assert draft.language == "en" and "Dear Klant," in draft.body_text and draft.render_error is None
