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
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
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
        "niks",
        # German: "bitte NICHT löschen, nur die Adresse ändern" read as erasure without these.
        "nicht",
        "kein",
        "keine",
        "keinen",
        "keinesfalls",
        "nie",
        "niemals",
        "ohne",
        "nichts",
    ]
)
_SCOPE_END = frozenset(
    ["maar", "alleen", "enkel", "slechts", "wel", "but", "only", "just", "instead", "however"]
)
# German ("nicht löschen, sondern nur die Adresse ändern")
_SCOPE_END |= frozenset(["sondern", "nur", "lediglich", "aber", "jedoch"])
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
    before_final = _before_final_negator(tokens)
    for at, tok in enumerate(tokens):
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
        elif negated or at in before_final:
            out.append("not_" + tok)
            negated = max(negated - 1, 0)
        if tok in _NEGATORS:
            negated = _NEG_WINDOW
        prev = tok
    return out


def _before_final_negator(tokens: list[str]) -> set[int]:
    """Places of the words a clause-final negator negates.

    Why: Dutch and German put "niet"/"nicht" after the verb ("Bitte löschen Sie mein Konto
    NICHT!", "verwijder mijn account niet"), so the forward scope alone read those as erasure.
    A negator right before punctuation or the end negates up to _NEG_WINDOW words before it,
    back to punctuation or a contrast word.
    """
    marked: set[int] = set()
    for end, tok in enumerate(tokens):
        if tok not in _NEGATORS or (end + 1 < len(tokens) and tokens[end + 1] not in _PUNCT):
            continue
        for at in range(end - 1, max(end - _NEG_WINDOW, 0) - 1, -1):
            if tokens[at] in _PUNCT or tokens[at] in _SCOPE_END:
                break
            marked.add(at)
    return marked


# Characters seen by the char n-grams: enough for the gist, bounded cost. The same head as the
# clauses', so that one reading of it serves both.
CHAR_HEAD = CLAUSE_HEAD_CHARS
_WORDS = re.compile(r"[a-z0-9]+")
_GRAM_CACHE: dict[str, list[str]] = {}
_GRAM_CACHE_MAX = 200_000
IntArray = npt.NDArray[np.int64]


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


def _pairs_matrix(
    rows: IntArray, cols: IntArray, shape: tuple[int, int], binary: bool = False
) -> sp.csr_matrix:
    """A float32 count matrix from (row, column) pairs (repeats add up, or count once)."""
    m = sp.coo_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=shape).tocsr()
    m.sum_duplicates()
    if binary:
        m.data[:] = 1.0
    return m


# Words, punctuation, and the breaks between clauses (clauses.CLAUSE_SPLIT) as tokens of their own.
_PIECE_TOKEN = re.compile(r"[a-z0-9]+|[.!?;:,()]|(?<=[.!?;])\s+(?![0-9(])|\n+")
_WORD_START = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_MARKS = frozenset(".!?;:,()")  # punctuation tokens; any other non-word token is a clause break


class _TokenTable:
    """Every token of the word vocabulary as a number, with what the analyser does with it.

    Why: word_analyzer's loop ran once per token in Python; with numbers, a whole batch's
    unigrams, bigrams and negation scopes are a few numpy operations. Tokens the vocabulary
    does not know (and punctuation, clause breaks) get numbers of their own, so that their
    character n-grams can still be read; they never form a word feature.
    """

    def __init__(self, vocab: dict[str, int]) -> None:
        names: dict[str, int] = {}
        uni: list[tuple[int, int]] = []
        bi: list[tuple[int, int, int]] = []
        neg: list[tuple[int, int]] = []
        for feature, col in vocab.items():
            if feature.startswith("not_"):
                neg.append((names.setdefault(feature[4:], len(names)), col))
            elif " " in feature:
                first, second = feature.split(" ")
                a = names.setdefault(first, len(names))
                bi.append((a, names.setdefault(second, len(names)), col))
            else:
                uni.append((names.setdefault(feature, len(names)), col))
        for word in sorted(_NEGATORS | _SCOPE_END):
            names.setdefault(word, len(names))
        n = len(names)
        # Numbers after the known words: punctuation, clause break, and "a word we do not know".
        self.mark, self.brk, self.unknown = n, n + 1, n + 2
        self.width = n + 3
        names.update(dict.fromkeys(_MARKS, self.mark))
        self.static = dict(names)
        self.names = names
        self.words = [*sorted(self.static, key=self.static.__getitem__)[:n], "", "", ""]
        self.n_static_words = len(self.words)
        self.uni_col = np.full(self.width, -1, dtype=np.int64)
        self.not_col = np.full(self.width, -1, dtype=np.int64)
        for table, pairs in ((self.uni_col, uni), (self.not_col, neg)):
            for tok, col in pairs:
                table[tok] = col
        keys = np.asarray([a * self.width + b for a, b, _ in bi], dtype=np.int64)
        order = np.argsort(keys)
        self.bi_keys = keys[order]
        self.bi_col = np.asarray([col for _, _, col in bi], dtype=np.int64)[order]
        # Which tokens start or end any bigram: only such pairs are looked up.
        self.bi_first = np.zeros(self.width, dtype=bool)
        self.bi_second = np.zeros(self.width, dtype=bool)
        self.bi_first[[a for a, _, _ in bi]] = True
        self.bi_second[[b for _, b, _ in bi]] = True
        self.lock = threading.Lock()
        self.negator = np.zeros(self.width, dtype=bool)
        self.negator[[names[w] for w in _NEGATORS]] = True
        self.scope_end = np.zeros(self.width, dtype=bool)
        self.scope_end[[names[w] for w in _SCOPE_END]] = True

    def numbers(self, tokens: list[str]) -> list[int]:
        """The number of each token; a new word gets a new number, any clause break the same one."""
        ids: list[int | None] = list(map(self.names.get, tokens))
        if None not in ids:
            return ids  # type: ignore[return-value]
        names, words = self.names, self.words
        # Numbered in the order first met (as the batch always numbered them), then all at once.
        for tok in [tok for tok in dict.fromkeys(tokens) if tok not in names]:
            if tok[0] in _WORD_START:
                names[tok] = len(words)
                words.append(tok)
            else:
                names[tok] = self.brk
        return list(map(names.__getitem__, tokens))

    def forget_new_words(self) -> None:
        """Bound the memory of words met in mail (called between batches only)."""
        if len(self.words) - self.n_static_words > _GRAM_CACHE_MAX:
            self.names = dict(self.static)
            del self.words[self.n_static_words :]


class _Batch:
    """The token numbers of a batch of texts and which pieces make each whole text and clause.

    Every stream of tokens read ends with a clause break, so piece k is the text between the
    k-th and (k+1)-th break of ids.
    """

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.n_pieces = 0
        self.whole_word: list[list[int]] = []  # per text: the pieces its word n-grams sum
        self.whole_char: list[list[int]] = []  # per text: the pieces its char n-grams read
        self.clause_word: list[list[int]] = []
        self.clause_char: list[list[int]] = []

    def read(self, table: _TokenTable, text: str) -> int:
        """Add one stream of tokens; return how many pieces it had."""
        ids = table.numbers(_PIECE_TOKEN.findall(text.replace("n't", "nt")))
        ids.append(table.brk)
        self.ids += ids
        pieces = ids.count(table.brk)
        self.n_pieces += pieces
        return pieces


def _word_pairs(table: _TokenTable, ids: IntArray, piece: IntArray) -> tuple[IntArray, IntArray]:
    """(piece, word-vocabulary column) of every unigram, bigram and "not_" mark of the batch.

    The same n-grams as word_analyzer: a stop word has no unigram column and two stop
    words form no bigram of the vocabulary; punctuation and breaks sit between tokens
    and so end every bigram and every negation's scope.
    """
    c = np.minimum(ids, table.unknown)
    uni = table.uni_col[c]
    has_uni = uni >= 0
    pairs = np.flatnonzero(table.bi_first[c[:-1]] & table.bi_second[c[1:]])
    keys = c[pairs] * table.width + c[pairs + 1]
    pos = np.minimum(np.searchsorted(table.bi_keys, keys), max(len(table.bi_keys) - 1, 0))
    found = table.bi_keys[pos] == keys if len(table.bi_keys) else np.zeros(len(keys), dtype=bool)
    # A word is in a negation's scope when a negator came at most _NEG_WINDOW words before it
    # with no punctuation, clause break or contrast word ("maar", "but") since.
    at = np.arange(len(c))
    word = (c != table.mark) & (c != table.brk)
    last_negator = np.maximum.accumulate(np.where(table.negator[c], at, -1))
    before = np.concatenate([[-1], last_negator[:-1]])
    reset = ~word | table.scope_end[c]
    last_reset = np.maximum.accumulate(np.where(reset, at, -1))
    scoped = word & (before >= 0) & (at - before <= _NEG_WINDOW) & (last_reset < before)
    # _before_final_negator's marks: a negator followed by a break or punctuation negates the
    # words before it, back to the nearest reset.
    final = table.negator[c] & np.concatenate([~word[1:], [True]])
    big = len(c) + _NEG_WINDOW + 1
    next_final = np.minimum.accumulate(np.where(final, at, big)[::-1])[::-1]
    after = np.concatenate([next_final[1:], [big]])
    next_reset = np.minimum.accumulate(np.where(reset, at, big)[::-1])[::-1]
    scoped |= word & (after - at <= _NEG_WINDOW) & (next_reset > after)
    marks = table.not_col[c]
    has_not = scoped & (marks >= 0)
    rows = np.concatenate([piece[has_uni], piece[pairs[found]], piece[has_not]])
    cols = np.concatenate([uni[has_uni], table.bi_col[pos[found]], marks[has_not]])
    return rows, cols


@dataclass
class Reading:
    """Feature rows of a batch: whole texts, their clauses (starting at starts), extra texts;
    clauses and extra as (word columns, char columns) blocks."""

    whole: sp.csr_matrix | None
    clauses: tuple[sp.csr_matrix, sp.csr_matrix] | None
    starts: list[int]
    extra: tuple[sp.csr_matrix, sp.csr_matrix] | None
    whole_blocks: tuple[sp.csr_matrix, sp.csr_matrix] | None = None  # whole as blocks, when asked


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
        whole = self.read(texts, clauses=False).whole
        assert whole is not None
        return whole

    def transform_with_clauses(self, texts: list[str]) -> tuple[sp.csr_matrix, sp.csr_matrix, list[int]]:
        """(whole texts, their clauses, the clause row where each text starts) from one reading."""
        read = self.read(texts)
        assert read.whole is not None and read.clauses is not None
        return read.whole, sp.hstack(read.clauses, format="csr"), read.starts

    def read(
        self,
        texts: list[str],
        extra: Sequence[str] = (),
        whole: bool = True,
        clauses: bool = True,
        join_whole: bool = True,
    ) -> Reading:
        """The feature rows of texts (whole, and clause by clause) and of extra texts (whole only).

        Why one reading: the clauses are pieces of the text, and clause boundaries fall where
        the word analyser starts afresh anyway (after . ! ? ; and at line breaks), so the
        whole text's n-grams are the sum of its pieces'. Each piece is tokenised once into
        numbers (_TokenTable); the n-grams of the whole batch come from a few numpy
        operations, the whole and clause rows are sparse sums of piece rows, and the char
        n-grams come from a word-to-n-gram matrix of the batch's distinct words. The result
        equals transform(texts) and transform(clauses(text)) of scikit-learn exactly
        (tests/classifiers/test_features.py). The extra texts (quoted mail) share the reading.
        Clause and extra rows come as (word, char) blocks: their scores need no joined matrix;
        the whole rows too, in whole_blocks, and joined in whole unless join_whole is False.
        """
        table = self._table()
        # The numbers of new words are shared by every batch of this process (the web UI may
        # classify in several threads): one batch at a time numbers words and reads them back.
        with table.lock:
            table.forget_new_words()
            batch = _Batch()
            starts: list[int] = []
            for text in texts:
                starts.append(len(batch.clause_word))
                self._read_pieces(text, batch, table, with_clauses=True)
            for text in extra:
                self._read_pieces(text, batch, table, with_clauses=False)
            ids = np.asarray(batch.ids, dtype=np.int64)
            is_break = ids == table.brk
            piece = np.cumsum(is_break) - is_break
            shape = (batch.n_pieces, len(self.word.vocabulary_))
            pieces = (
                _pairs_matrix(*_word_pairs(table, ids, piece), shape),
                *self._char_pieces(table, ids, piece),
            )
        n = len(texts)
        read = Reading(None, None, starts, None)
        if whole:
            read.whole_blocks = self._rows(batch.whole_word[:n], batch.whole_char[:n], *pieces)
            if join_whole:
                read.whole = sp.hstack(read.whole_blocks, format="csr")
        if extra:
            read.extra = self._rows(batch.whole_word[n:], batch.whole_char[n:], *pieces)
        if clauses:
            read.clauses = self._rows(batch.clause_word, batch.clause_char, *pieces)
        return read

    def _rows(
        self,
        word_rows: list[list[int]],
        char_rows: list[list[int]],
        piece_w: sp.csr_matrix,
        piece_c: sp.csr_matrix,
        grams: sp.csr_matrix,
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(word, char) TF-IDF rows that sum the given pieces (words) and read their distinct words."""
        n_pieces = piece_w.shape[0]
        incidence = (_rows_matrix(char_rows, n_pieces) @ piece_c).tocsr()
        incidence.data[:] = 1.0  # char n-grams are read once per distinct word
        xw = self.word._tfidf.transform(_rows_matrix(word_rows, n_pieces) @ piece_w, copy=False)
        xc = self.char._tfidf.transform(incidence @ grams, copy=False)
        xc.data *= np.float32(self.char_weight)  # as "* char_weight" does, without a copy
        return xw, xc

    def _char_pieces(
        self, table: _TokenTable, ids: IntArray, piece: IntArray
    ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(pieces x distinct words, 0/1) and (distinct words x char vocabulary) of a batch."""
        word = (ids != table.mark) & (ids != table.brk)
        # The distinct word numbers in order, and each token's place among them (np.unique
        # without its sort: the numbers are small).
        seen = np.zeros(len(table.words), dtype=bool)
        seen[ids[word]] = True
        distinct = np.flatnonzero(seen)
        which = (np.cumsum(seen) - 1)[ids[word]]
        n_pieces = int(piece[-1]) + 1 if len(piece) else 0
        piece_c = _pairs_matrix(piece[word], which, (n_pieces, len(distinct)), binary=True)
        words = table.words
        return piece_c, self._gram_matrix([words[k] for k in distinct.tolist()])

    def _table(self) -> _TokenTable:
        table: _TokenTable | None = self.__dict__.get("_tokens")
        if table is None:
            table = self.__dict__["_tokens"] = _TokenTable(self.word.vocabulary_)
        return table

    def _read_pieces(self, text: str, batch: _Batch, table: _TokenTable, with_clauses: bool) -> None:
        """Add one text's pieces and its whole/clause rows (as lists of piece numbers) to batch."""
        head = text[:CLAUSE_HEAD_CHARS]
        first = batch.n_pieces
        n_parts = batch.read(table, head)
        head_rows = list(range(first, first + n_parts))
        whole_word = head_rows
        if len(text) > len(head):
            # The last piece was cut at CLAUSE_HEAD_CHARS; the whole text reads on from its start.
            last = CLAUSE_SPLIT.split(head)[-1]
            added = batch.read(table, text[len(head) - len(last) :])
            whole_word = [*head_rows[:-1], *range(batch.n_pieces - added, batch.n_pieces)]
        batch.whole_word.append(whole_word)
        batch.whole_char.append(head_rows)
        if not with_clauses:
            return
        parts = CLAUSE_SPLIT.split(head)
        if n_parts != len(parts):
            raise AssertionError("clause pieces and token pieces disagree")  # tests hold them equal
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
            cols = cache[word] = [k for k in map(vocab.get, _word_grams(word)) if k is not None]
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
        state.pop("_columns", None)  # prediction-time caches, not part of the model
        state.pop("_tokens", None)
        return state

    def feature_names(self) -> list[str]:
        words = [str(n) for n in self.word.get_feature_names_out()]
        chars = [str(n) for n in self.char.get_feature_names_out()]
        return words + chars
