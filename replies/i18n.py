"""Language tables for replies: month names, names of rights, subjects.

Dates are formatted from these tables, never through the OS locale, so a server
without a Dutch locale still writes "5 maart 2026". Every table has one entry per
language of ``LANGUAGES`` (tests/replies/test_golden_de.py checks that none is missing).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from avgdesk.models.vocabulary import LABEL_NL, MONTHS_DE, MONTHS_EN, MONTHS_NL, REPLY_LANGUAGES
from avgdesk.models.vocabulary import RIGHTS as RIGHTS

LANGUAGES = REPLY_LANGUAGES

#: Fixed grounds for an extension (EDPB 01/2022 §162-164): key -> language -> the clause
#: the letter puts after "De reden is dat" / "The reason is that" / "Der Grund ist, dass".
#: Workload ("drukte") is deliberately absent: it is no reason.
EXTENSION_GROUNDS: Mapping[str, Mapping[str, str]] = {
    "volume": {
        "nl": "het om een grote hoeveelheid gegevens over u gaat",
        "en": "a large amount of data about you is involved",
        "de": "es um eine große Menge an Daten über Sie geht",
    },
    "spread": {
        "nl": "uw gegevens in verschillende systemen en bij verschillende afdelingen staan",
        "en": "your data are held in several systems and departments",
        "de": "Ihre Daten in verschiedenen Systemen und bei verschiedenen Abteilungen gespeichert sind",
    },
    "redaction": {
        "nl": "in de gegevens ook gegevens van anderen staan, die wij eerst moeten afschermen",
        "en": "the data also contain data of other people, which we must first redact",
        "de": "die Daten auch Daten anderer Personen enthalten, die wir zuerst unkenntlich machen müssen",
    },
    "intelligibility": {
        "nl": "de gegevens eerst begrijpelijk moeten worden gemaakt voordat wij ze u kunnen geven",
        "en": "the data must first be made intelligible before we can give them to you",
        "de": "die Daten zuerst verständlich aufbereitet werden müssen, bevor wir sie Ihnen geben können",
    },
    "several_requests": {
        "nl": "u meerdere verzoeken heeft gedaan die wij samen moeten uitzoeken",
        "en": "you made several requests that we must look into together",
        "de": "Sie mehrere Anträge gestellt haben, die wir zusammen prüfen müssen",
    },
}


RIGHT_ARTICLES = {
    "access": "15",
    "rectification": "16",
    "erasure": "17",
    "restriction": "18",
    "portability": "20",
    "objection": "21",
}

RIGHT_NAMES = {
    "nl": {label: LABEL_NL[label] for label in (*RIGHTS, "complaint")},
    "en": {
        "access": "access",
        "rectification": "rectification",
        "erasure": "erasure",
        "restriction": "restriction",
        "portability": "portability",
        "objection": "objection",
        "complaint": "complaint",
    },
    "de": {
        "access": "Auskunft",
        "rectification": "Berichtigung",
        "erasure": "Löschung",
        "restriction": "Einschränkung der Verarbeitung",
        "portability": "Datenübertragbarkeit",
        "objection": "Widerspruch",
        "complaint": "Beschwerde",
    },
}

MONTHS = {"nl": MONTHS_NL, "en": MONTHS_EN, "de": MONTHS_DE}


def format_date(value: date, language: str) -> str:
    """``5 maart 2026`` (nl), ``5 March 2026`` (en), ``5. März 2026`` (de), independent of
    the OS locale."""
    months = MONTHS.get(language, MONTHS["nl"])
    day = f"{value.day}." if language == "de" else str(value.day)
    return f"{day} {months[value.month - 1]} {value.year}"


_AND = {"nl": " en ", "en": " and ", "de": " und "}


def join_words(words: list[str], language: str) -> str:
    """``a, b en c`` / ``a, b and c`` / ``a, b und c`` (no serial comma in any of them)."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + _AND.get(language, " en ") + words[-1]


#: What the customer sent, in the case the letters need it (the object of "received"):
#: request with the rights in brackets, complaint, and the word for a bare message.
_PHRASES = {
    "nl": ("uw privacyverzoek", "uw klacht", "uw bericht"),
    "en": ("your privacy request", "your complaint", "your message"),
    "de": ("Ihren Antrag nach der DSGVO", "Ihre Beschwerde", "Ihre Nachricht"),
}


def request_phrase(rights: tuple[str, ...], is_complaint: bool, language: str) -> str:
    """What the customer sent, as a noun phrase: ``uw privacyverzoek (inzage en wissen)``."""
    names = join_words([RIGHT_NAMES[language][r] for r in rights], language)
    request_word, complaint, fallback = _PHRASES[language]
    request = f"{request_word} ({names})" if rights else ""
    if request and is_complaint:
        return request + _AND[language] + complaint
    if request:
        return request
    if is_complaint:
        return complaint
    return fallback


SUBJECTS = {
    "nl": {
        "acknowledgement": "Ontvangstbevestiging van uw privacyverzoek",
        "acknowledgement_complaint": "Ontvangstbevestiging van uw klacht",
        "identity_request": "Bevestiging van uw identiteit voor uw privacyverzoek",
        "clarification_request": "Vraag over uw privacyverzoek",
        "access": "Reactie op uw verzoek om inzage",
        "rectification": "Reactie op uw verzoek om rectificatie",
        "erasure": "Reactie op uw verzoek om uw gegevens te wissen",
        "restriction": "Reactie op uw verzoek om beperking van de verwerking",
        "portability": "Uw gegevens voor overdracht (dataportabiliteit)",
        "objection": "Reactie op uw bezwaar tegen direct marketing",
        "extension": "Verlenging van de termijn voor uw privacyverzoek",
        "refusal": "Beslissing op uw privacyverzoek",
        "objection_answer": "Beslissing op uw bezwaar",
        "no_data": "Reactie op uw verzoek om inzage: geen gegevens",
        "withheld": "Gegevens die wij niet hebben verstrekt",
        "abandoned": "Wij sluiten uw privacyverzoek",
        "complaint": "Reactie op uw klacht",
    },
    "en": {
        "acknowledgement": "Acknowledgement of your privacy request",
        "acknowledgement_complaint": "Acknowledgement of your complaint",
        "identity_request": "Confirming your identity for your privacy request",
        "clarification_request": "A question about your privacy request",
        "access": "Reply to your access request",
        "rectification": "Reply to your request for rectification",
        "erasure": "Reply to your request to erase your data",
        "restriction": "Reply to your request to restrict processing",
        "portability": "Your data for transfer (data portability)",
        "objection": "Reply to your objection to direct marketing",
        "extension": "Extension of the time limit for your privacy request",
        "refusal": "Decision on your privacy request",
        "objection_answer": "Decision on your objection",
        "no_data": "Reply to your access request: no data",
        "withheld": "Data we did not provide",
        "abandoned": "We are closing your privacy request",
        "complaint": "Reply to your complaint",
    },
    "de": {
        "acknowledgement": "Eingangsbestätigung Ihres Antrags nach der DSGVO",
        "acknowledgement_complaint": "Eingangsbestätigung Ihrer Beschwerde",
        "identity_request": "Bestätigung Ihrer Identität für Ihren Antrag nach der DSGVO",
        "clarification_request": "Rückfrage zu Ihrem Antrag nach der DSGVO",
        "access": "Antwort auf Ihren Antrag auf Auskunft",
        "rectification": "Antwort auf Ihren Antrag auf Berichtigung",
        "erasure": "Antwort auf Ihren Antrag auf Löschung Ihrer Daten",
        "restriction": "Antwort auf Ihren Antrag auf Einschränkung der Verarbeitung",
        "portability": "Ihre Daten zur Übermittlung (Datenübertragbarkeit)",
        "objection": "Antwort auf Ihren Widerspruch gegen Direktwerbung",
        "extension": "Verlängerung der Frist für Ihren Antrag nach der DSGVO",
        "refusal": "Entscheidung über Ihren Antrag nach der DSGVO",
        "objection_answer": "Entscheidung über Ihren Widerspruch",
        "no_data": "Antwort auf Ihren Antrag auf Auskunft: keine Daten",
        "withheld": "Daten, die wir Ihnen nicht herausgegeben haben",
        "abandoned": "Wir stellen die Bearbeitung Ihres Antrags nach der DSGVO ein",
        "complaint": "Antwort auf Ihre Beschwerde",
    },
}
