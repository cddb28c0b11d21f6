from __future__ import annotations

from avgdesk.classifiers.clauses import CUE_NAMES, MAX_CLAUSES, article_cues, clauses
from avgdesk.classifiers.text import prepare, prepare_parts


def _cited(text: str) -> set[str]:
    return {name for name, hit in zip(CUE_NAMES, article_cues(prepare("", text)), strict=True) if hit}


def test_sentences_keep_article_numbers() -> None:
    text = prepare(
        "Verzoek", "Graag inzage op grond van art. 15 AVG. Daarna wil ik dat u alles wist; dank u."
    )
    parts = clauses(text)
    # a clause needs a dozen characters: a one-word subject is read with the whole text only
    assert parts == ["graag inzage op grond van art. 15 avg.", "daarna wil ik dat u alles wist;"]
    assert len(clauses(". ".join(["een zin met woorden"] * 40))) == MAX_CLAUSES
    assert clauses("kort") == ["kort"]


def test_article_cues_in_three_languages() -> None:
    assert _cited("Hierbij doe ik een beroep op de artikelen 15, 17 en 21 van de AVG.") == {
        "access",
        "erasure",
        "objection",
    }
    assert _cited("Auskunft gemäß Art. 15 Abs. 1 und 3 DSGVO sowie Löschung nach § 35 BDSG.") == {
        "access",
        "erasure",
    }
    assert _cited("I object under Article 21(2) GDPR and will complain (Art. 77 GDPR).") == {
        "objection",
        "complaint",
    }
    assert _cited("Old law: artikel 35 Wbp.") == {"access"}
    # an article number without a privacy law is not a cue (a manual, a contract clause)
    assert _cited("Zie artikel 15 van de algemene voorwaarden.") == set()


def test_quoted_mail_is_kept_apart_as_context() -> None:
    body = (
        "Dit is nu de derde keer dat ik mail en ik krijg nog steeds jullie nieuwsbrief. Mijn gegevens "
        "staan er dus gewoon nog in, dat vind ik echt belachelijk en onprofessioneel.\n\n"
        "Op 2 april 2024 om 09:12 schreef Marco <marco@example.nl>:\n"
        "> Willen jullie mijn gegevens verwijderen?"
    )
    text, context = prepare_parts("Re: verwijderen", body)
    assert "verwijderen?" not in text and "derde keer" in text
    assert "mijn gegevens verwijderen" in context
    # a short reply that points below reads the quoted request as its own text
    text, context = prepare_parts(
        "Re: afmelden", "Zie mijn mail hieronder.\n> Graag afmelden voor de nieuwsbrief."
    )
    assert "afmelden voor de nieuwsbrief" in text and context == ""


def test_article_cues_need_a_number() -> None:
    # no digit at all: no article can be cited, however much the text speaks of articles and laws
    assert _cited("Over het artikel in de krant: de AVG geldt ook voor jullie, toch?") == set()
    assert _cited("Artikel fünfzehn DSGVO") == set()
    assert _cited("artikel 17 avg") == {"erasure"}
