"""Feature extraction: word n-grams with negation marks, plus character n-grams.

Why both: word uni- and bigrams are the readable evidence shown to staff ("mijn
gegevens verwijderen", "uitschrijven"), while character n-grams survive typos,
compounds and missing diacritics ("inzageverzoek", "verwijdren", "afmelen").
Negation matters for this mailbox ("ik wil mijn account NIET opzeggen, alleen mijn
adres wijzigen"), so words in the scope of a negation also emit a "not_" feature;
the scope ends at punctuation or at a contrast word ("maar", "alleen", "but", "only").
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

_TOKEN = re.compile(r"[a-z0-9]+|[.!?;:,\n()]")
_NEGATORS = frozenset(
    [
        "niet",
        "geen",
        "nooit",
        "noch",
        "not",
        "no",
        "never",
        "dont",
        "doesnt",
        "didnt",
        "wont",
        "cannot",
        "cant",
        "isnt",
        "arent",
        "wasnt",
        "shouldnt",
        "nor",
        "without",
        "zonder",
    ]
)
_SCOPE_END = frozenset(
    ["maar", "alleen", "enkel", "slechts", "wel", "but", "only", "just", "instead", "however"]
)
_NEG_WINDOW = 4
# Function words are kept inside bigrams ("mij verwijderen", "my data") but not as unigrams:
# alone they only say how long and narrative a mail is, which the model would over-learn.
_STOP_UNIGRAMS = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "of",
        "dat",
        "die",
        "dit",
        "deze",
        "is",
        "was",
        "zijn",
        "ben",
        "bent",
        "heb",
        "hebt",
        "heeft",
        "had",
        "hadden",
        "ik",
        "je",
        "jij",
        "u",
        "we",
        "wij",
        "ze",
        "zij",
        "hij",
        "het",
        "er",
        "te",
        "van",
        "in",
        "op",
        "aan",
        "met",
        "voor",
        "bij",
        "om",
        "tot",
        "als",
        "dan",
        "ook",
        "nog",
        "al",
        "wel",
        "maar",
        "toen",
        "want",
        "dus",
        "zo",
        "wat",
        "the",
        "a",
        "an",
        "and",
        "or",
        "that",
        "this",
        "these",
        "is",
        "was",
        "were",
        "be",
        "been",
        "am",
        "are",
        "have",
        "has",
        "had",
        "i",
        "you",
        "we",
        "they",
        "he",
        "she",
        "it",
        "there",
        "to",
        "of",
        "in",
        "on",
        "at",
        "with",
        "for",
        "by",
        "as",
        "then",
        "also",
        "so",
        "but",
    ]
)


def word_analyzer(text: str) -> list[str]:
    """Unigrams, bigrams (not across punctuation, not of two function words) and "not_" marks."""
    tokens = _TOKEN.findall(text.replace("n't", "nt"))
    out: list[str] = []
    prev = ""
    negated = 0
    for tok in tokens:
        if not tok[0].isalnum():
            prev = ""
            negated = 0
            continue
        if tok not in _STOP_UNIGRAMS:
            out.append(tok)
        if prev and not (prev in _STOP_UNIGRAMS and tok in _STOP_UNIGRAMS):
            # "this is", "is a", "van de": pairs of function words say nothing about a request
            # and made any English text ("this is a test message") look like a complaint.
            out.append(prev + " " + tok)
        if tok in _SCOPE_END:
            negated = 0
        elif negated:
            out.append("not_" + tok)
            negated -= 1
        if tok in _NEGATORS:
            negated = _NEG_WINDOW
        prev = tok
    return out


CHAR_HEAD = 1500  # characters seen by the char n-grams: enough for the gist, bounded cost
_WORDS = re.compile(r"[a-z0-9]+")
_GRAM_CACHE: dict[str, list[str]] = {}
_GRAM_CACHE_MAX = 200_000


def _word_grams(word: str) -> list[str]:
    padded = f" {word} "
    grams: list[str] = []
    for n in (3, 4, 5):
        if len(padded) < n:
            break
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def char_analyzer(text: str) -> list[str]:
    """Character 3-5-grams inside word boundaries, once per distinct word of the text.

    Same n-grams as scikit-learn's "char_wb", but computed per distinct word and cached,
    which makes prediction several times faster on long mail; repeated words add nothing
    (the TF-IDF is sublinear anyway, so little is lost).
    """
    out: list[str] = []
    cache = _GRAM_CACHE
    for word in dict.fromkeys(_WORDS.findall(text[:CHAR_HEAD])):
        grams = cache.get(word)
        if grams is None:
            if len(cache) > _GRAM_CACHE_MAX:
                cache.clear()
            grams = cache[word] = _word_grams(word)
        out.extend(grams)
    return out


class FeatureSpace:
    """Word and character TF-IDF side by side; remembers which columns are words."""

    def __init__(self) -> None:
        self.word = TfidfVectorizer(analyzer=word_analyzer, min_df=2, sublinear_tf=True, dtype=np.float32)
        self.char = TfidfVectorizer(
            analyzer=char_analyzer,
            min_df=3,
            sublinear_tf=True,
            max_features=120_000,
            dtype=np.float32,
        )
        self.char_weight = 0.8
        self.n_word = 0

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        xw = self.word.fit_transform(texts)
        xc = self.char.fit_transform(texts) * self.char_weight
        self.n_word = xw.shape[1]
        return sp.hstack([xw, xc], format="csr")

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        xw = self.word.transform(texts)
        xc = self._char_transform(texts) * self.char_weight
        return sp.hstack([xw, xc], format="csr")

    @staticmethod
    def _tfidf(
        vectorizer: TfidfVectorizer, indices: list[int], indptr: list[int], n_docs: int
    ) -> sp.csr_matrix:
        counts = sp.csr_matrix(
            (
                np.ones(len(indices), dtype=np.float32),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(n_docs, len(vectorizer.vocabulary_)),
        )
        counts.sum_duplicates()
        return vectorizer._tfidf.transform(counts, copy=False)

    def _char_transform(self, texts: list[str]) -> sp.csr_matrix:
        """Same result as self.char.transform, but with vocabulary columns cached per word.

        Prediction speed is dominated by character n-grams; a word's columns never change
        for a fitted vocabulary, so they are looked up once per distinct word.
        """
        vocab: dict[str, int] = self.char.vocabulary_
        cache = self.__dict__.setdefault("_columns", {})
        if len(cache) > _GRAM_CACHE_MAX:
            cache.clear()
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            for word in dict.fromkeys(_WORDS.findall(text[:CHAR_HEAD])):
                cols = cache.get(word)
                if cols is None:
                    cols = cache[word] = [vocab[g] for g in _word_grams(word) if g in vocab]
                indices.extend(cols)
            indptr.append(len(indices))
        return self._tfidf(self.char, indices, indptr, len(texts))

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_columns", None)  # a prediction-time cache, not part of the model
        return state

    def feature_names(self) -> list[str]:
        words = [str(n) for n in self.word.get_feature_names_out()]
        chars = [str(n) for n in self.char.get_feature_names_out()]
        return words + chars
