"""Offline language guess: Dutch, English or German.

Why our own scorer: a privacy desk must not depend on downloads at run time, and
these three languages are told apart reliably by their function words. Scores are
counts of frequent function words plus a few character patterns typical of Dutch
spelling ("ij", "oe", "-tje") and of German ("ß", umlauts, "-ung", "sch" before a
consonant cluster). The result is the language the sender wrote in; which language
the reply is written in is decided where the templates are (there are no German
templates: a German letter is answered in English). Other languages come out as
whichever of the three they resemble most, usually English. Ties (no evidence at all)
go to Dutch, the mailbox's home language.
"""

from __future__ import annotations

import re

from avgdesk.classifiers.text import strip_diacritics

_DUTCH = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "van",
        "ik",
        "je",
        "jij",
        "u",
        "uw",
        "mijn",
        "mij",
        "me",
        "wij",
        "we",
        "jullie",
        "zij",
        "ze",
        "is",
        "zijn",
        "was",
        "waren",
        "niet",
        "geen",
        "wel",
        "ook",
        "maar",
        "of",
        "dat",
        "die",
        "dit",
        "deze",
        "er",
        "hier",
        "daar",
        "naar",
        "bij",
        "voor",
        "met",
        "op",
        "aan",
        "uit",
        "om",
        "te",
        "tot",
        "door",
        "over",
        "als",
        "dan",
        "nog",
        "al",
        "graag",
        "hebben",
        "heb",
        "heeft",
        "kan",
        "kunnen",
        "wil",
        "wilt",
        "willen",
        "moet",
        "moeten",
        "zou",
        "zouden",
        "wordt",
        "worden",
        "werd",
        "gegevens",
        "bedankt",
        "alvast",
        "groet",
        "vriendelijke",
        "beste",
        "geachte",
        "hoi",
        "hallo",
        "dank",
        "alstublieft",
        "alsjeblieft",
        "omdat",
        "want",
        "welke",
        "wat",
        "waarom",
        "hoe",
        "wanneer",
        "waar",
        "sinds",
        "zonder",
        "tegen",
        "ben",
        "bent",
        "hun",
        "haar",
        "hem",
        "hen",
        "ons",
        "onze",
    ]
)
_ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "of",
        "i",
        "you",
        "your",
        "my",
        "me",
        "we",
        "us",
        "our",
        "they",
        "them",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "not",
        "no",
        "but",
        "or",
        "that",
        "this",
        "these",
        "those",
        "there",
        "here",
        "to",
        "for",
        "with",
        "on",
        "at",
        "from",
        "by",
        "about",
        "as",
        "than",
        "still",
        "please",
        "have",
        "has",
        "had",
        "can",
        "could",
        "would",
        "should",
        "will",
        "want",
        "wish",
        "do",
        "does",
        "did",
        "thanks",
        "thank",
        "regards",
        "dear",
        "hi",
        "hello",
        "data",
        "which",
        "what",
        "why",
        "how",
        "when",
        "where",
        "since",
        "without",
        "against",
        "am",
        "it",
        "its",
        "their",
        "his",
        "her",
        "him",
        "any",
        "all",
        "some",
        "into",
        "out",
        "if",
        "so",
    ]
)
# German function words, written both with and without diacritics (prepared text has none).
_GERMAN = frozenset(
    [
        "der",
        "das",
        "und",
        "ich",
        "sie",
        "nicht",
        "ist",
        "mit",
        "auf",
        "fur",
        "für",
        "ein",
        "eine",
        "einen",
        "einer",
        "eines",
        "mein",
        "meine",
        "meiner",
        "meinen",
        "meines",
        "bitte",
        "daten",
        "sehr",
        "geehrte",
        "geehrter",
        "freundlichen",
        "grussen",
        "grüßen",
        "grüssen",
        "ihre",
        "ihren",
        "ihrer",
        "ihnen",
        "zu",
        "von",
        "den",
        "dem",
        "wir",
        "uns",
        "sich",
        "auch",
        "noch",
        "nach",
        "aus",
        "wie",
        "wer",
        "wenn",
        "dass",
        "daß",
        "oder",
        "aber",
        "haben",
        "habe",
        "hat",
        "sind",
        "wird",
        "werden",
        "wurde",
        "wurden",
        "kann",
        "konnen",
        "können",
        "mochte",
        "möchte",
        "mochten",
        "möchten",
        "wurde",
        "würde",
        "gemass",
        "gemäß",
        "uber",
        "über",
        "dieser",
        "diese",
        "dieses",
        "keine",
        "kein",
        "keinen",
        "nur",
        "schon",
        "hier",
        "mir",
        "mich",
        "sowie",
        "bzw",
        "danke",
        "vielen",
        "gruss",
        "gruß",
        "hallo",
        "liebe",
        "lieber",
        "guten",
        "tag",
        "damen",
        "herren",
        "anfrage",
        "antrag",
        "loschung",
        "löschung",
        "auskunft",
        "widerspruch",
        "berichtigung",
        "einschrankung",
        "einschränkung",
        "beschwerde",
        "gespeicherten",
        "personenbezogenen",
        "unverzuglich",
        "unverzüglich",
        "hiermit",
        "bezuglich",
        "bezüglich",
        "zur",
        "zum",
        "beim",
        "vom",
        "ins",
        # Bavarian, Austrian and Swiss everyday words: their "i" (ich) counted as English
        # ("i mog koa E-Mail mehr vo eich", check sets 50 and 51).
        "servus",
        "pfiat",
        "pfiad",
        "griass",
        "gruezi",
        "grüezi",
        "koa",
        "koane",
        "hob",
        "mog",
        "eich",
        "bittschon",
        "bittschön",
        "scho",
        "ois",
        "wos",
        "ned",
        "gspeichert",
        "habts",
        "hobts",
        "bissl",
    ]
)
# The leading look-ahead (every first letter of the branches) changes no match; it lets
# the engine skip the letters no branch starts with.
_GERMAN_CHARS = re.compile(r"(?=[ßäöüugtcl])(?:ß|[äöü]|ung\b|ungen\b|\bge\w+t\b|tz|chen\b|lich\b)")
_WORD = re.compile(r"[a-zäöüßéèëïij]+")
_DUTCH_CHARS = re.compile(r"ij|oe[^s]|sch|tje\b|aa|uu|ee[^dn]")


def language_scores(text: str, normalised: bool = False) -> dict[str, float]:
    """Evidence per language: function-word hits, plus Dutch spelling patterns.

    `normalised` says the text is already lower case without diacritics (text.prepare).
    """
    lowered, nl, en, de = _word_evidence(text, normalised)
    nl_chars = len(_DUTCH_CHARS.findall(lowered))
    de_chars = len(_GERMAN_CHARS.findall(lowered))
    return {"nl": nl + 0.15 * nl_chars, "en": float(en), "de": de + 0.1 * de_chars}


def _word_evidence(text: str, normalised: bool) -> tuple[str, int, int, int]:
    """(the text read, Dutch, English and German function words): the scores without the
    spelling patterns, which detect_language scans only when they could change its answer."""
    lowered = text[:2500] if normalised else text[:2500].lower()
    words = _WORD.findall(lowered)[:400]
    folded = words if normalised else _WORD.findall(strip_diacritics(lowered))[:400]
    nl = sum(map(_DUTCH.__contains__, folded))
    en = sum(map(_ENGLISH.__contains__, folded))
    de = sum(map(_GERMAN.__contains__, words))
    return lowered, nl, en, de


LANGUAGES = ("nl", "en", "de")
_GERMAN_FIRST = "ßäöüugtcl"  # every match of _GERMAN_CHARS starts with one of these letters
_DUTCH_FIRST = ("ij", "oe", "sch", "tje", "aa", "uu", "ee")  # ... of _DUTCH_CHARS with one of these


def detect_language(text: str, normalised: bool = False) -> str:
    """The language the text is written in: "nl", "en" or "de" (ties go to Dutch).

    The same answer as the rule over language_scores, but the spelling patterns are scanned
    only when they could change it: the matches of each cannot outnumber the occurrences of
    the letters they start with, so the scores lie between known bounds, and those often decide.
    """
    lowered, nl_words, en_words, de_words = _word_evidence(text, normalised)
    en = float(en_words)
    nl_most = nl_words + 0.15 * sum(map(lowered.count, _DUTCH_FIRST))
    de_most = de_words + 0.1 * sum(map(lowered.count, _GERMAN_FIRST))
    if nl_words >= en and nl_words >= de_most:
        return "nl"
    if nl_most < en and de_most <= en:
        return "en"
    nl = nl_words + 0.15 * len(_DUTCH_CHARS.findall(lowered))
    de = de_words + 0.1 * len(_GERMAN_CHARS.findall(lowered))
    if nl >= en and nl >= de:
        return "nl"
    return "de" if de > en else "en"
