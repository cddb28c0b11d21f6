from __future__ import annotations

import pytest

from avgdesk.classifiers import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Ik wil graag weten welke gegevens jullie van mij hebben.", "nl"),
        ("graag mn gegevens verwijderen aub", "nl"),
        ("Wij hebben uw bericht ontvangen", "nl"),
        ("Please delete my account and all my data.", "en"),
        ("I am out of the office until Monday", "en"),
        ("Sehr geehrte Damen und Herren, bitte löschen Sie meine Daten", "en"),
        ("", "nl"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
