"""What a message says sentence by sentence: clauses, cited articles and quoted context.

Why: a whole-message score finds the strongest right in a letter; a second right that
takes one sentence of a long complaint ("... and delete my account afterwards") is
diluted by everything around it. Scoring every clause with the same linear model and
taking the maximum per label lets one clear sentence count. Cited articles are the
strongest cue a template letter gives (Art. 15 DSGVO, artikel 17 AVG, Article 21 GDPR),
so they become features of their own. Quoted or forwarded earlier mail is kept apart
as context: a reminder's new text complains, the quoted text says which right is
still wanted, but a quoted newsletter must not make the reply an objection.

All functions take text already normalised by text.prepare (lower case, no diacritics).
"""

from __future__ import annotations

import re

MAX_CLAUSES = 8  # letters state their requests early; this bounds prediction cost
CLAUSE_HEAD_CHARS = 1500  # ... and so does reading clauses only from the first part of the text
MIN_CLAUSE_CHARS = 12
# Sentence ends, semicolons and line breaks; "art. 15" and "lid 1. " keep their numbers.
# (The leading look-ahead changes no match; it lets the engine skip ahead to a blank.)
CLAUSE_SPLIT = re.compile(r"(?=\s)(?:(?<=[.!?;])\s+(?![0-9(])|\n+)")

CUE_NAMES = ("access", "rectification", "erasure", "restriction", "portability", "objection", "complaint")
# The article numbers of the GDPR (AVG, DSGVO) per right; Art. 77 is the right to complain.
_GDPR = {15: "access", 16: "rectification", 17: "erasure", 18: "restriction", 20: "portability"}
_GDPR |= {21: "objection", 77: "complaint"}
_WBP = {35: "access", 36: "rectification", 40: "objection", 41: "objection"}  # old Dutch law
_BDSG = {34: "access", 35: "erasure", 36: "objection"}  # German federal law, next to the DSGVO
# The leading look-aheads (the first letters of the branches) change no match; they let the
# engine skip the other letters.
_ARTICLE = re.compile(r"(?=[a§])(?:\b(?:art|artt|artikel|artikelen|article|articles|artikels)\b\.?|§§?)\s*")
_NUMBER = re.compile(r"\d{1,2}\b")
_WORD4 = re.compile(r"[a-z]{4,}")
_LAW = re.compile(
    r"(?=[agdbwuvr])\b(avg|gdpr|dsgvo|bdsg|wbp|uavg|ds-gvo|verordening|regulation|grundverordnung|datenschutz\w*)\b"
)
_CONNECTORS = frozenset(["lid", "abs", "sub", "and", "und", "van", "der", "des", "the", "jo"])


def clauses(text: str) -> list[str]:
    """The sentences of a prepared text (at most MAX_CLAUSES); the text itself when it has one."""
    parts = [p.strip() for p in CLAUSE_SPLIT.split(text[:CLAUSE_HEAD_CHARS])]
    out = [p for p in parts if len(p) >= MIN_CLAUSE_CHARS][:MAX_CLAUSES]
    return out or [text]


def _numbers_after(text: str, start: int) -> list[int]:
    """The article numbers listed after "art." up to the first real word ("15, 17 en 21 avg")."""
    window = text[start : start + 40]
    word = next((m for m in _WORD4.finditer(window) if m.group(0) not in _CONNECTORS), None)
    if word is not None:
        window = window[: word.start()]
    return [int(n) for n in _NUMBER.findall(window)]


def article_cues(text: str) -> list[float]:
    """One 0/1 per CUE_NAMES entry: does the text cite that right's article of a privacy law?"""
    hit = dict.fromkeys(CUE_NAMES, 0.0)
    if "art" not in text and "§" not in text:
        return list(hit.values())
    if text.isascii() and not any(digit in text for digit in "0123456789"):
        return list(hit.values())  # no article number at all (ten fast scans, not the law regex)
    # "art" mostly sits inside a word ("start", "kaart"): look for an article first, the law after.
    articles = list(_ARTICLE.finditer(text))
    if not articles or _LAW.search(text) is None:
        return list(hit.values())
    table = dict(_GDPR)
    if "wbp" in text:
        table |= _WBP
    if "bdsg" in text:
        table |= _BDSG
    for m in articles:
        for number in _numbers_after(text, m.end()):
            right = table.get(number)
            if right is not None:
                hit[right] = 1.0
    return list(hit.values())
