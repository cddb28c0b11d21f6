"""Language tables for replies: month names, names of rights, subjects.

Dates are formatted from these tables, never through the OS locale, so a server
without a Dutch locale still writes "5 maart 2026".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from avgdesk.models.vocabulary import LABEL_NL, MONTHS_EN, MONTHS_NL
from avgdesk.models.vocabulary import RIGHTS as RIGHTS

LANGUAGES = ("nl", "en")

#: Fixed grounds for an extension (EDPB 01/2022 §162-164): key -> (Dutch, English) as the
#: letter says it (a clause after "De reden is dat"). Workload ("drukte") is deliberately
#: absent: it is no reason.
EXTENSION_GROUNDS: Mapping[str, tuple[str, str]] = {
    "volume": (
        "het om een grote hoeveelheid gegevens over u gaat",
        "a large amount of data about you is involved",
    ),
    "spread": (
        "uw gegevens in verschillende systemen en bij verschillende afdelingen staan",
        "your data are held in several systems and departments",
    ),
    "redaction": (
        "in de gegevens ook gegevens van anderen staan, die wij eerst moeten afschermen",
        "the data also contain data of other people, which we must first redact",
    ),
    "intelligibility": (
        "de gegevens eerst begrijpelijk moeten worden gemaakt voordat wij ze u kunnen geven",
        "the data must first be made intelligible before we can give them to you",
    ),
    "several_requests": (
        "u meerdere verzoeken heeft gedaan die wij samen moeten uitzoeken",
        "you made several requests that we must look into together",
    ),
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
}

MONTHS = {"nl": MONTHS_NL, "en": MONTHS_EN}


def format_date(value: date, language: str) -> str:
    """``5 maart 2026`` (nl) or ``5 March 2026`` (en), independent of the OS locale."""
    months = MONTHS.get(language, MONTHS["nl"])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def join_words(words: list[str], language: str) -> str:
    """``a, b en c`` / ``a, b and c``."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    last = " en " if language == "nl" else " and "
    return ", ".join(words[:-1]) + last + words[-1]


def request_phrase(rights: tuple[str, ...], is_complaint: bool, language: str) -> str:
    """What the customer sent, as a noun phrase: ``uw privacyverzoek (inzage en wissen)``."""
    names = join_words([RIGHT_NAMES[language][r] for r in rights], language)
    if language == "nl":
        request = f"uw privacyverzoek ({names})" if rights else ""
        complaint, fallback, both = "uw klacht", "uw bericht", " en "
    else:
        request = f"your privacy request ({names})" if rights else ""
        complaint, fallback, both = "your complaint", "your message", " and "
    if request and is_complaint:
        return request + both + complaint
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
}
