"""German golden files (issue 15): every letter kind and each variant the Dutch goldens have,
as a customer who wrote in German reads it. Staff write free text in the customer's language,
so the samples' Dutch free-text fields are given in German here; everything else is the
shared sample. The Dutch letters are the reviewed originals the German ones follow.

Rewrite after a reviewed change with AVGDESK_UPDATE_EXPECTED=1 and read the diff.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from replies_samples import check_golden, sample_context, translated_cases

from avgdesk.models.vocabulary import MONTHS_EN, MONTHS_NL
from avgdesk.replies import DraftKind, ReplyContext
from avgdesk.replies.i18n import RIGHT_NAMES
from avgdesk.replies.profile import load_profile
from avgdesk.replies.rendering import TEMPLATE_DIR, render

EXPECTED = Path(__file__).parent / "expected" / "de"
PROFILE = load_profile()

DE_TEXT: dict[DraftKind, dict[str, Any]] = {
    DraftKind.IDENTITY_REQUEST: {"verification_detail": "der Postleitzahl Ihrer Rechnungsanschrift"},
    DraftKind.ACCESS: {"attachment_name": "auskunft-AVG-2026-0001.pdf"},
    DraftKind.RECTIFICATION: {
        "corrections": [
            "Ihre Anschrift wurde in Dorpsstraat 12, 6901 AB Zevenaar geändert",
            "Ihre Telefonnummer wurde ergänzt",
        ]
    },
    DraftKind.ERASURE: {
        "erased_items": [
            "Ihr Konto für das Kundenportal",
            "Ihre Daten für den Newsletter",
            "Ihre Supportanfragen",
        ],
        "retained": [
            {
                "item": "Ihre Rechnungen aus dem Jahr 2025",
                "ground": "legal_obligation",
                "period": "bis einschließlich 31. Dezember 2032",
            }
        ],
    },
    DraftKind.RESTRICTION: {"restricted_data": "Ihre Adressdaten"},
    DraftKind.PORTABILITY: {"attachment_name": "daten-AVG-2026-0001.json"},
    DraftKind.OBJECTION: {"marketing_channels": ["E-Mail-Newsletter", "Telefonaktionen"]},
    DraftKind.EXTENSION: {
        "extension_reason": "Es geht um zehn Jahre an Tickets, Rechnungen und Lizenzdaten, die wir"
        " sorgfältig zusammentragen und prüfen müssen.",
        "new_deadline": date(2026, 6, 5),
    },
    DraftKind.REFUSAL: {
        "refusal_reasons": [
            "Sie haben in den letzten drei Wochen fünfmal denselben Antrag gestellt, und wir haben Ihnen"
            " bereits am 12. Februar 2026 eine vollständige Kopie gesendet (Art. 12 Abs. 5 DSGVO)"
        ]
    },
    DraftKind.COMPLAINT: {
        "complaint_summary": "Sie haben unseren Newsletter weiterhin erhalten, nachdem Sie sich davon"
        " abgemeldet hatten.",
        "findings": [
            "Ihre Abmeldung vom 2. Februar 2026 wurde wegen eines Fehlers in unserer Versandsoftware"
            " nicht verarbeitet",
            "Sie haben danach noch zwei Newsletter erhalten",
        ],
        "measures": [
            "wir haben Ihre E-Mail-Adresse aus dem Verteiler entfernt",
            "wir haben den Fehler in der Abmeldefunktion behoben und geprüft, ob auch andere"
            " Abmeldungen übersehen wurden",
        ],
    },
    DraftKind.OBJECTION_ANSWER: {
        "processing": "die Aufbewahrung Ihrer Gesprächshistorie mit unserem Helpdesk",
        "compelling_grounds": [
            "wir benötigen die Gespräche, um einen laufenden Streit über Ihre Lizenz beizulegen"
        ],
    },
    DraftKind.NO_DATA: {
        "searched": ["unsere Kundenverwaltung", "unser Ticketsystem", "unsere Verteilerlisten"]
    },
    DraftKind.WITHHELD: {
        "withheld": ["die Namen und Telefonnummern von Mitarbeitern Ihres Arbeitgebers in zwei E-Mails"]
    },
}
DE_VARIANTS: dict[str, dict[str, Any]] = {
    "identity_request_id_copy": {
        "id_copy_reason": "Ihr Antrag von einer E-Mail-Adresse kommt, die uns nicht bekannt ist, und Sie"
        " keine Kundennummer haben"
    },
    "refusal_partial": {
        "granted": "Wir haben Ihr Konto und Ihre Daten für den Newsletter gelöscht.",
        "refusal_reasons": [
            "Ihre Rechnungen müssen wir aufgrund der steuerlichen Aufbewahrungspflicht noch 7 Jahre"
            " aufbewahren (Art. 17 Abs. 3 Buchst. b DSGVO)"
        ],
    },
}
NAME = "Frau De Vries"


def german_cases() -> dict[str, tuple[DraftKind, ReplyContext]]:
    return translated_cases("de", DE_TEXT, DE_VARIANTS, NAME)


@pytest.mark.parametrize("name", sorted(german_cases()))
@pytest.mark.parametrize("part", ["txt", "html"])
def test_german_rendering_matches_reviewed_expected_file(name: str, part: str) -> None:
    kind, ctx = german_cases()[name]
    check_golden(EXPECTED / f"{name}.{part}", render(kind, ctx, PROFILE), part)


def test_every_kind_and_variant_has_a_german_golden_file() -> None:
    names = {p.stem for p in EXPECTED.glob("*.txt")}
    assert set(german_cases()) == names == {p.stem for p in (EXPECTED.parent / "nl").glob("*.txt")}


def test_every_dutch_template_has_a_german_one() -> None:
    dutch = {p.name for p in (TEMPLATE_DIR / "nl").glob("*.j2")}
    assert dutch and dutch == {p.name for p in (TEMPLATE_DIR / "de").glob("*.j2")}


# Words of the Dutch and English frames, headings and tables; none may reach a German letter.
# Proper names stay (Autoriteit Persoonsgegevens, Uitvoeringswet AVG, rechtbank, Hoge Raad,
# the address lines), so they are cut out before looking.
_PROPER_NAMES = re.compile(
    r"Autoriteit Persoonsgegevens|Uitvoeringswet AVG|Hoge Raad der Nederlanden|\(verzoekschrift\)"
    r"|\(rechtbank\)|\(Rijksoverheid\)|Algemene wet inzake rijksbelastingen|Voorbeeld [A-Za-z]+(?: B\.V\.)?"
    r"|\(demonaam, vervangen\)|autoriteitpersoonsgegevens\.nl|Mallemoolen|Den Haag|Postbus"
    r"|[\w-]*AVG-\d{4}-\d{4}[\w.]*|\S+@\S+|https://\S+"
)
# fmt: off
_FOREIGN_WORDS = {
    "Geachte", "groet", "kenmerk", "uw", "wij", "verzoek", "artikel", "privacyteam", "AVG", "lid",
    "onder", "Dear", "regards", "reference", "your", "we", "request", "Article", "GDPR", "privacy",
    "team", "the", "and", "of", "for", "data", "en", "van", "de", "het",
}
# fmt: on


_GERMAN_TOO = {"wissen"}
"""Dutch right names that are German words too ("Sie möchten wissen, ob ...")."""


@pytest.mark.parametrize("name", sorted(german_cases()))
def test_german_letters_carry_no_dutch_or_english(name: str) -> None:
    kind, ctx = german_cases()[name]
    reply = render(kind, ctx, PROFILE)
    for part in (reply.subject, reply.text):
        text = _PROPER_NAMES.sub(" ", part)
        words = set(re.findall(r"[^\W\d_]+", text))
        assert not words & _FOREIGN_WORDS, f"{name}: {sorted(words & _FOREIGN_WORDS)}"
        for month in (*MONTHS_NL, *MONTHS_EN):
            if month not in ("april", "April", "september", "September", "augustus", "August"):
                assert month not in words, f"{name}: month {month!r}"
        for language in ("nl", "en"):
            for right in set(RIGHT_NAMES[language].values()) - _GERMAN_TOO:
                assert not re.search(rf"\b{re.escape(right)}\b", text), f"{name}: {right!r}"


def test_german_dates_and_rights_read_german() -> None:
    kind, ctx = german_cases()["acknowledgement"]
    reply = render(kind, ctx, PROFILE)
    text = " ".join(reply.text.split())
    assert "am 5. März 2026 erhalten" in text
    assert "spätestens am 7. April 2026" in text
    assert "Ihren Antrag nach der DSGVO (Auskunft und Löschung)" in text
    assert reply.subject == "[AVG-2026-0001] Eingangsbestätigung Ihres Antrags nach der DSGVO"
    assert reply.text.startswith("Guten Tag Frau De Vries,")
    assert "Mit freundlichen Grüßen" in text and "Unser Zeichen: AVG-2026-0001" in text


def test_every_language_table_covers_every_reply_language() -> None:
    from avgdesk.replies import i18n
    from avgdesk.replies.package import _TEXTS

    assert i18n.LANGUAGES == ("nl", "en", "de")
    for table in (i18n.RIGHT_NAMES, i18n.MONTHS, i18n.SUBJECTS, _TEXTS):
        assert set(table) == set(i18n.LANGUAGES)
    assert set(i18n.SUBJECTS["de"]) == set(i18n.SUBJECTS["nl"])
    assert set(_TEXTS["de"]) == set(_TEXTS["nl"])
    for wording in i18n.EXTENSION_GROUNDS.values():
        assert set(wording) == set(i18n.LANGUAGES)


@pytest.mark.parametrize("ground", ["volume", "spread", "redaction", "intelligibility", "several_requests"])
def test_every_extension_ground_is_said_in_german(ground: str) -> None:
    from avgdesk.replies.i18n import EXTENSION_GROUNDS

    ctx = sample_context(
        DraftKind.EXTENSION, "de", extra={**DE_TEXT[DraftKind.EXTENSION], "extension_ground": ground}
    )
    text = " ".join(render(DraftKind.EXTENSION, ctx, PROFILE).text.split())
    assert f"Der Grund ist, dass {EXTENSION_GROUNDS[ground]['de']}." in text
