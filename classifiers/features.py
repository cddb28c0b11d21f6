"""Feature extraction: word n-grams with negation marks, plus character n-grams.

Why both: word uni- and bigrams are the readable evidence shown to staff ("mijn
gegevens verwijderen", "uitschrijven"), while character n-grams survive typos,
compounds and missing diacritics ("inzageverzoek", "verwijdren", "afmelen").
Negation matters for this mailbox ("ik wil mijn account NIET opzeggen, alleen mijn
adres wijzigen"), so words in the scope of a negation also emit a "not_" feature;
the scope ends at punctuation or at a contrast word ("maar", "alleen", "but", "only").
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from avgdesk.classifiers.clauses import CLAUSE_HEAD_CHARS, CLAUSE_SPLIT, MAX_CLAUSES, MIN_CLAUSE_CHARS

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


_PUNCT = frozenset(".!?;:,\n()")


def word_analyzer(text: str) -> list[str]:
    """Unigrams, bigrams (not across punctuation, not of two function words) and "not_" marks.

    Most mail has no negation: its n-grams come from two comprehensions, several times
    faster than the token loop that tracks a negation's scope (same n-grams, other order).
    """
    tokens = _TOKEN.findall(text.replace("n't", "nt"))
    if not _NEGATORS.isdisjoint(tokens):
        return _negated_analyzer(tokens)
    stop, punct = _STOP_UNIGRAMS, _PUNCT
    out = [tok for tok in tokens if tok not in stop and tok not in punct]
    # "this is", "is a", "van de": pairs of function words say nothing about a request
    # and made any English text ("this is a test message") look like a complaint.
    out += [
        a + " " + b
        for a, b in itertools.pairwise(tokens)
        if a not in punct and b not in punct and not (a in stop and b in stop)
    ]
    return out


def _negated_analyzer(tokens: list[str]) -> list[str]:
    """word_analyzer's n-grams plus "not_" marks for the words in a negation's scope."""
    out: list[str] = []
    prev = ""
    negated = 0
    for tok in tokens:
        if tok in _PUNCT:
            prev = ""
            negated = 0
            continue
        if tok not in _STOP_UNIGRAMS:
            out.append(tok)
        if prev and not (prev in _STOP_UNIGRAMS and tok in _STOP_UNIGRAMS):
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


# Characters seen by the char n-grams: enough for the gist, bounded cost. The same head as the
# clauses', so that one reading of it serves both.
CHAR_HEAD = CLAUSE_HEAD_CHARS
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


def char_words(text: str) -> list[str]:
    """The words whose char n-grams are read: those of the head, contractions joined ("dont")."""
    return _WORDS.findall(text[:CHAR_HEAD].replace("n't", "nt"))


def char_analyzer(text: str) -> list[str]:
    """Character 3-5-grams inside word boundaries, once per distinct word of the text.

    Same n-grams as scikit-learn's "char_wb", but computed per distinct word and cached,
    which makes prediction several times faster on long mail; repeated words add nothing
    (the TF-IDF is sublinear anyway, so little is lost).
    """
    out: list[str] = []
    cache = _GRAM_CACHE
    for word in dict.fromkeys(char_words(text)):
        grams = cache.get(word)
        if grams is None:
            if len(cache) > _GRAM_CACHE_MAX:
                cache.clear()
            grams = cache[word] = _word_grams(word)
        out.extend(grams)
    return out


def _flatten(rows: list[list[int]]) -> tuple[list[int], list[int]]:
    """CSR indices and row pointers of rows of column ids."""
    indices = [i for row in rows for i in row]
    indptr = [0]
    total = 0
    for row in rows:
        total += len(row)
        indptr.append(total)
    return indices, indptr


def _rows_matrix(rows: list[list[int]], n_cols: int, binary: bool = False) -> sp.csr_matrix:
    """A float32 count matrix with one row per list of column ids (repeats add up)."""
    indices, indptr = _flatten(rows)
    m = sp.csr_matrix(
        (
            np.ones(len(indices), dtype=np.float32),
            np.asarray(indices, dtype=np.int32),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=(len(rows), n_cols),
    )
    m.sum_duplicates()
    if binary:
        m.data[:] = 1.0
    return m


class _Batch:
    """The pieces of a batch of texts and which pieces make each whole text and clause."""

    def __init__(self) -> None:
        self.piece_w: list[list[int]] = []  # word-vocabulary columns of each piece
        self.piece_c: list[list[int]] = []  # the piece's words, as numbers in self.words
        self.words: dict[str, int] = {}  # the batch's distinct words
        self.whole_word: list[list[int]] = []  # per text: the pieces its word n-grams sum
        self.whole_char: list[list[int]] = []  # per text: the pieces its char n-grams read
        self.clause_word: list[list[int]] = []
        self.clause_char: list[list[int]] = []


# Words, punctuation, and the breaks between clauses (clauses.CLAUSE_SPLIT) as tokens of their own.
_PIECE_TOKEN = re.compile(r"[a-z0-9]+|[.!?;:,()]|(?<=[.!?;])\s+(?![0-9(])|\n+")
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_MARKS = frozenset(".!?;:,()")  # punctuation tokens; any other non-word token is a clause break


def _read_tokens(tokens: list[str], batch: _Batch, vocab: dict[str, int]) -> int:
    """word_analyzer over a text's tokens in one loop, cut into pieces at the clause breaks.

    Adds each piece's word-vocabulary columns and words to batch; returns the number of pieces.
    One loop over the tokens instead of a tokeniser per clause: this is prediction's hot path.
    """
    get, stop, known = vocab.get, _STOP_UNIGRAMS, batch.words
    ids: list[int] = []
    words: list[int] = []
    pieces = 0
    prev = ""
    negated = 0
    for tok in tokens:
        if tok[0] not in _WORD_START:
            prev, negated = "", 0
            if tok in _MARKS:
                continue
            batch.piece_w.append(ids)  # a clause break
            batch.piece_c.append(words)
            ids, words, pieces = [], [], pieces + 1
            continue
        words.append(known.setdefault(tok, len(known)))
        if tok not in stop and (k := get(tok)) is not None:
            ids.append(k)
        if prev and not (prev in stop and tok in stop) and (k := get(prev + " " + tok)) is not None:
            ids.append(k)
        if tok in _SCOPE_END:
            negated = 0
        elif negated:
            negated -= 1
            if (k := get("not_" + tok)) is not None:
                ids.append(k)
        if tok in _NEGATORS:
            negated = _NEG_WINDOW
        prev = tok
    batch.piece_w.append(ids)
    batch.piece_c.append(words)
    return pieces + 1


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
        """Same result as the fitted vectorisers' transform, with cached vocabulary look-ups."""
        return self.transform_with_clauses(texts)[0]

    def transform_with_clauses(self, texts: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix, list[int]]:
        """(whole texts, their clauses, the clause row where each text starts) from one reading.

        Why: the clauses are pieces of the text, and clause boundaries fall where the word
        analyser starts afresh anyway (after . ! ? ; and at line breaks), so the whole text's
        n-grams are the sum of its pieces'. Each piece is tokenised once; the whole and the
        clause rows are sparse sums of piece rows, and the char n-grams come from a
        word-to-n-gram matrix of the batch's distinct words. The result equals
        transform(texts) and transform(clauses(text)) exactly (tests/classifiers/test_features.py).
        """
        batch = _Batch()
        starts: list[int] = []
        for text in texts:
            starts.append(len(batch.clause_word))
            self._read_pieces(text, batch)
        piece_w = _rows_matrix(batch.piece_w, len(self.word.vocabulary_))
        piece_c = _rows_matrix(batch.piece_c, len(batch.words), binary=True)
        grams = self._gram_matrix(list(batch.words))
        n_pieces = len(batch.piece_w)
        word_sel = [_rows_matrix(rows, n_pieces) for rows in (batch.whole_word, batch.clause_word)]
        char_sel = [_rows_matrix(rows, n_pieces) for rows in (batch.whole_char, batch.clause_char)]
        out = []
        for w_sel, c_sel in zip(word_sel, char_sel, strict=True):
            incidence = (c_sel @ piece_c).tocsr()
            incidence.data[:] = 1.0  # char n-grams are read once per distinct word
            xw = self.word._tfidf.transform(w_sel @ piece_w, copy=False)
            xc = self.char._tfidf.transform(incidence @ grams, copy=False) * self.char_weight
            out.append(sp.hstack([xw, xc], format="csr"))
        return out[0], out[1], starts

    def _read_pieces(self, text: str, batch: _Batch) -> None:
        """Add one text's pieces and its whole/clause rows (as lists of piece numbers) to batch."""
        head = text[:CLAUSE_HEAD_CHARS]
        parts = CLAUSE_SPLIT.split(head)
        first = len(batch.piece_w)
        vocab = self.word.vocabulary_
        if _read_tokens(_PIECE_TOKEN.findall(head.replace("n't", "nt")), batch, vocab) != len(parts):
            raise AssertionError("clause pieces and token pieces disagree")  # tests hold them equal
        head_rows = list(range(first, first + len(parts)))
        whole_word = head_rows
        if len(text) > len(head):
            # The last piece was cut at CLAUSE_HEAD_CHARS; the whole text reads on from its start.
            tail = text[len(head) - len(parts[-1]) :].replace("n't", "nt")
            added = _read_tokens(_PIECE_TOKEN.findall(tail), batch, vocab)
            whole_word = [*head_rows[:-1], *range(len(batch.piece_w) - added, len(batch.piece_w))]
        batch.whole_word.append(whole_word)
        batch.whole_char.append(head_rows)
        chosen = [first + k for k, part in enumerate(parts) if len(part.strip()) >= MIN_CLAUSE_CHARS]
        for row in chosen[:MAX_CLAUSES]:
            batch.clause_word.append([row])
            batch.clause_char.append([row])
        if not chosen:  # clauses() falls back to the whole text
            batch.clause_word.append(whole_word)
            batch.clause_char.append(head_rows)

    def _gram_matrix(self, words: list[str]) -> sp.csr_matrix:
        """(words, char vocabulary) counts of each word's char n-grams (see char_analyzer)."""
        return _rows_matrix([self._char_columns(word) for word in words], len(self.char.vocabulary_))

    def _char_columns(self, word: str) -> list[int]:
        cache = self.__dict__.setdefault("_columns", {})
        cols: list[int] | None = cache.get(word)
        if cols is None:
            if len(cache) > _GRAM_CACHE_MAX:
                cache.clear()
            vocab: dict[str, int] = self.char.vocabulary_
            cols = cache[word] = [vocab[g] for g in _word_grams(word) if g in vocab]
        return cols

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
        """Same result as self.char.transform (kept for the equivalence test)."""
        rows = [[self._char_columns(w) for w in dict.fromkeys(char_words(t))] for t in texts]
        flat = [[col for cols in row for col in cols] for row in rows]
        indices, indptr = _flatten(flat)
        return self._tfidf(self.char, indices, indptr, len(texts))

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_columns", None)  # a prediction-time cache, not part of the model
        return state

    def feature_names(self) -> list[str]:
        words = [str(n) for n in self.word.get_feature_names_out()]
        chars = [str(n) for n in self.char.get_feature_names_out()]
        return words + chars
