"""Offline language guess (Dutch or English) for choosing the reply language.

Why our own scorer: a privacy desk must not depend on downloads at run time, and
the two languages we answer in are told apart reliably by their function words.
Scores are counts of frequent function words plus a few character patterns that
are typical of Dutch spelling ("ij", "oe", "sch", "-tje"). German and other
languages fall back to English, the reply language for everyone who did not
write Dutch. Ties (no evidence at all) go to Dutch, the mailbox's home language.
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
_GERMAN = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "ich",
        "sie",
        "nicht",
        "ist",
        "mit",
        "auf",
        "für",
        "ein",
        "eine",
        "mein",
        "meine",
        "bitte",
        "daten",
        "sehr",
        "geehrte",
        "freundlichen",
        "grüßen",
        "ihre",
        "ihren",
        "zu",
        "von",
        "den",
        "dem",
        "wir",
    ]
)
_WORD = re.compile(r"[a-zäöüßéèëïij]+")
_DUTCH_CHARS = re.compile(r"ij|oe[^s]|sch|tje\b|aa|uu|ee[^dn]")


def language_scores(text: str, normalised: bool = False) -> dict[str, float]:
    """Evidence per language: function-word hits, plus Dutch spelling patterns.

    `normalised` says the text is already lower case without diacritics (text.prepare).
    """
    lowered = text[:2500] if normalised else text[:2500].lower()
    words = _WORD.findall(lowered)[:400]
    folded = words if normalised else _WORD.findall(strip_diacritics(lowered))[:400]
    nl = sum(map(_DUTCH.__contains__, folded))
    en = sum(map(_ENGLISH.__contains__, folded))
    de = sum(map(_GERMAN.__contains__, words))
    nl_chars = len(_DUTCH_CHARS.findall(lowered))
    return {"nl": nl + 0.15 * nl_chars, "en": float(en), "de": float(de)}


def detect_language(text: str, normalised: bool = False) -> str:
    """Best guess between "nl" and "en" (other languages map to "en")."""
    scores = language_scores(text, normalised)
    if scores["nl"] >= scores["en"] and scores["nl"] >= scores["de"]:
        return "nl"
    return "en"
