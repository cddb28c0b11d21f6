"""German and English letters go to people outside the Netherlands (reviewer's findings on
issue 15): the remedies name the reader's own supervisory authority and courts besides the
Dutch ones (Art. 77(1), 79(2) GDPR), the ID-copy advice fits a German identity card, the
'abandoned' letter does not suggest the request was dealt with, and the package is named in
the letter's language. The Dutch letters keep their Dutch-only remedies (readers in NL)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from replies_samples import sample_context

from avgdesk.replies import DraftKind, load_profile, render
from avgdesk.replies.package import package_name

PROFILE = load_profile()

DECISIONS = [
    DraftKind.ABANDONED,
    DraftKind.ERASURE,
    DraftKind.NO_DATA,
    DraftKind.OBJECTION_ANSWER,
    DraftKind.PORTABILITY,
    DraftKind.REFUSAL,
    DraftKind.WITHHELD,
]
AUTHORITY = {
    "de": "an die Datenschutzaufsichtsbehörde des Mitgliedstaats Ihres gewöhnlichen Aufenthalts,"
    " Ihres Arbeitsplatzes oder des mutmaßlichen Verstoßes wenden (Art. 77 Abs. 1 DSGVO)",
    "en": "the supervisory authority in the member state of your habitual residence, your place of"
    " work or the alleged infringement (Article 77(1) GDPR)",
}
COURTS = {
    "de": "an die Gerichte des Mitgliedstaats, in dem Sie Ihren gewöhnlichen Aufenthalt haben"
    " (Art. 79 Abs. 2 DSGVO)",
    "en": "the courts of the member state where you habitually reside (Article 79(2) GDPR)",
}
SIX_WEEKS = {"de": "innerhalb von sechs Wochen", "en": "within six weeks"}


def _text(kind: DraftKind, language: str, **extra: object) -> str:
    ctx = sample_context(kind, language, extra=dict(extra) or None)
    return " ".join(render(kind, ctx, PROFILE).text.split())


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", DECISIONS, ids=lambda k: k.value)
def test_decisions_name_the_readers_own_authority_and_courts(kind: DraftKind, language: str) -> None:
    # A portability answer is a decision (with remedies) only when it leaves data out.
    extra = {"out_of_scope": ["x"]} if kind is DraftKind.PORTABILITY else {}
    text = _text(kind, language, **extra)
    assert AUTHORITY[language] in text and COURTS[language] in text
    assert "Autoriteit Persoonsgegevens" in text and SIX_WEEKS[language] in text
    # The six weeks belong to the Dutch court option, said after the reader's own courts.
    assert text.index(COURTS[language]) < text.index(SIX_WEEKS[language])


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("kind", [DraftKind.COMPLAINT, DraftKind.EXTENSION, DraftKind.ACCESS], ids=str)
def test_other_letters_naming_the_authority_name_the_readers_own_too(kind: DraftKind, language: str) -> None:
    text = _text(kind, language)
    assert AUTHORITY[language] in text
    assert (COURTS[language] in text) is (kind is DraftKind.COMPLAINT)


@pytest.mark.parametrize("kind", [*DECISIONS, DraftKind.COMPLAINT, DraftKind.EXTENSION, DraftKind.ACCESS])
def test_dutch_letters_keep_the_dutch_remedies(kind: DraftKind) -> None:
    text = _text(kind, "nl")
    assert "artikel 77" not in text and "artikel 79" not in text and "lidstaat" not in text


def test_german_id_copy_advice_fits_a_german_identity_card() -> None:
    text = _text(
        DraftKind.IDENTITY_REQUEST,
        "de",
        id_copy_requested=True,
        id_copy_reason="Ihr Antrag von einer unbekannten Adresse kommt",
    )
    assert "Personalausweis" in text and "Zugangsnummer (CAN)" in text and "Ausweisnummer" in text
    assert "Lichtbild" in text and "„Kopie“" in text and "§ 20 Abs. 2 PAuswG" in text
    assert "Bürgerservicenummer (BSN)" in text  # still right for a Dutch document


def test_abandoned_german_letter_stops_the_handling_rather_than_closing_it() -> None:
    reply = render(DraftKind.ABANDONED, sample_context(DraftKind.ABANDONED, "de"), PROFILE)
    text = " ".join(reply.text.split())
    assert reply.subject.endswith("Wir stellen die Bearbeitung Ihres Antrags nach der DSGVO ein")
    assert "Deshalb stellen wir die Bearbeitung Ihres Antrags ein." in text
    assert "Möchten Sie Ihr Anliegen weiterverfolgen?" in text
    assert "schließen" not in text and "trotzdem stellen" not in text


@pytest.mark.parametrize(
    ("language", "access", "portability"),
    [
        ("nl", "inzage-AVG-2026-0001.zip", "overdracht-AVG-2026-0001.zip"),
        ("en", "access-AVG-2026-0001.zip", "portability-AVG-2026-0001.zip"),
        ("de", "auskunft-AVG-2026-0001.zip", "datenuebertragung-AVG-2026-0001.zip"),
    ],
)
def test_the_default_attachment_is_the_package_named_in_the_letters_language(
    language: str, access: str, portability: str
) -> None:
    assert package_name("AVG-2026-0001", language=language) == access
    assert package_name("AVG-2026-0001", language=language, portability=True) == portability
    for kind, name in ((DraftKind.ACCESS, access), (DraftKind.PORTABILITY, portability)):
        ctx = sample_context(kind, language)
        fields = {k: v for k, v in ctx.fields.items() if k != "attachment_name"}
        text = render(kind, replace(ctx, fields=fields), PROFILE).text
        assert name in " ".join(text.split())


def test_a_paragraph_citation_is_never_split_at_the_end_of_a_line() -> None:
    from avgdesk.replies.rendering import _wrap

    for width in range(50, 72):
        lines = _wrap("x" * width + " Kopie (§ 20 Abs. 2 PAuswG) y").splitlines()
        assert all("§" not in line or "PAuswG" in line for line in lines), lines
