from __future__ import annotations

import pytest

from avgdesk.classifiers import detect_language
from avgdesk.classifiers.text import prepare


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ik wil graag weten welke gegevens jullie van mij hebben.", "nl"),
        ("Please delete my account and all the data you hold about me.", "en"),
        ("Hiermit beantrage ich Auskunft über meine gespeicherten Daten gemäß Art. 15 DSGVO.", "de"),
        ("Bitte löschen Sie mein Konto und alle Daten, ich nutze es nicht mehr.", "de"),
        ("Sehr geehrte Damen und Herren, ich widerspreche der Nutzung meiner Daten für Werbung.", "de"),
        ("Goedendag, ik wil dat jullie mijn gegevens weg halen. Bedankt.", "nl"),
        ("graag mn gegevens verwijderen aub", "nl"),
        ("Wij hebben uw bericht ontvangen", "nl"),
        ("I am out of the office until Monday", "en"),
        ("", "nl"),  # no evidence: the mailbox's home language
    ],
)
def test_detects_dutch_english_and_german(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    # the model calls it on prepared text (lower case, no diacritics): same answer
    assert detect_language(prepare("", text), normalised=True) == expected
