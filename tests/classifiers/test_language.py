from __future__ import annotations

import pytest

from avgdesk.classifiers import detect_language
from avgdesk.classifiers.language import language_scores
from avgdesk.classifiers.text import prepare
from avgdesk.classifiers.trainingdata import read_corpus


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


def _by_scores(text: str) -> str:
    """detect_language's rule over the full scores (before the spelling patterns were skipped)."""
    scores = language_scores(text)
    if scores["nl"] >= scores["en"] and scores["nl"] >= scores["de"]:
        return "nl"
    return "de" if scores["de"] > scores["en"] else "en"


def test_skipping_the_spelling_patterns_changes_no_answer() -> None:
    texts = [
        "the tut lull gulch of the tall cult",  # many letters a German pattern could start with
        "mit dem Antrag auf Löschung: Achtung, Zeitung, plötzlich",
        "de the der ung ung ung",
        "ik en the und",
        "eeij aaa uuu oes schtje the and of",  # overlapping Dutch letter pairs
        "the need to see the zoo: aa ee oe ij",
        "lichtung gesetzt; sitzung",
        "",
    ]
    texts += [ex.body for ex, _ in read_corpus()][::25]
    for text in texts:
        assert detect_language(text) == _by_scores(text), text


def test_bavarian_and_swiss_everyday_german_is_german() -> None:
    # check sets 50 and 51: "i" (ich) counted as English, so Bavarian letters were answered in English.
    for text in (
        "Servus,\n\ni mog koa E-Mail mehr vo eich. Bitte hearts auf damit.\n\nPfiat eich\nSepp",
        "Servus, i mog gern wissn, wos Ihr ois über mi gspeichert habts. Schickts bittschön a Liste.",
        "Grüezi mitenand, i ha koa Luscht meh uf eui Werbig, bitte nüm schicke.",
    ):
        assert detect_language(text) == "de", text
    assert detect_language("I would like a copy of my data, please.") == "en"
