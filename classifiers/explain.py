"""Explanations for staff: which phrases pushed each predicted label.

Why: a person deciding whether a mail is an access request wants to see the words
the model acted on ("welke gegevens", "kopie", "artikel 15"), not a score alone.
For a linear model the contribution of a feature is its TF-IDF value times the
label's coefficient, so the explanation is exact, cheap and needs no extra library.
Word n-grams are shown first because they read as phrases; character n-grams are
only used when no word pushed the label (for instance a one-word typo mail).
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from avgdesk.classifiers.labels import LABELS

TOP_K = 5
_Entries: TypeAlias = tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]
_Matrix: TypeAlias = "sp.csr_matrix | tuple[sp.csr_matrix, sp.csr_matrix]"  # joined, or (word, char)


def _pretty(name: str) -> str:
    if name.startswith("not_"):
        return f"NOT {name[4:]}"
    return name.strip()


class Explainer:
    """Maps feature contributions of one document to readable phrases per label."""

    def __init__(self, names: list[str], n_word: int, coef: npt.NDArray[np.float64]) -> None:
        self.names = names
        self.n_word = n_word
        self.coef = coef

    def contributions(self, x: sp.csr_matrix, row: int, label: str) -> list[tuple[str, float]]:
        """All positive (phrase, contribution) pairs for one label, strongest first."""
        j = LABELS.index(label)
        start, end = x.indptr[row], x.indptr[row + 1]
        cols = x.indices[start:end]
        vals = x.data[start:end] * self.coef[j, cols]
        order = np.argsort(-vals)
        return [(self.names[cols[k]], float(vals[k])) for k in order if vals[k] > 0]

    def explain(self, x: _Matrix, row: int, labels: list[str]) -> dict[str, list[str]]:
        """Top phrases per predicted label (words preferred, characters as a fallback).

        x is the joined matrix (words, then characters, per row) or its (word, char) blocks
        as prediction reads them; the characters' contributions are computed only for a
        label no word pushed.
        """
        words, chars = self._row(x, row)
        out: dict[str, list[str]] = {}
        for label in labels:
            j = LABELS.index(label)
            cols, data = words
            phrases = self._top(cols, data * self.coef[j, cols])
            if not phrases:
                cols, data = chars
                phrases = self._top(cols, data * self.coef[j, cols])
            out[label] = phrases
        return out

    def _row(self, x: _Matrix, row: int) -> tuple[_Entries, _Entries]:
        """(word columns, values) and (char columns, values) of one row, in the row's order."""
        if isinstance(x, tuple):
            words, chars = x
            ws, we = words.indptr[row], words.indptr[row + 1]
            cs, ce = chars.indptr[row], chars.indptr[row + 1]
            # The char block's columns count from 0; in the names they follow the words.
            char_cols = chars.indices[cs:ce] + self.n_word
            return (words.indices[ws:we], words.data[ws:we]), (char_cols, chars.data[cs:ce])
        start, end = x.indptr[row], x.indptr[row + 1]
        cols, data = x.indices[start:end], x.data[start:end]
        n_words = int(np.count_nonzero(cols < self.n_word))  # the word columns come first
        return (cols[:n_words], data[:n_words]), (cols[n_words:], data[n_words:])

    def _top(self, cols: npt.NDArray[np.int32], vals: npt.NDArray[np.float64]) -> list[str]:
        """The TOP_K distinct phrases with the largest positive contributions (the same order,
        ties included, as the argsort over the whole row's word or char entries gave)."""
        phrases: list[str] = []
        sel = np.flatnonzero(vals > 0)
        for k in sel[np.argsort(-vals[sel])]:
            phrase = _pretty(self.names[cols[k]])
            if phrase and phrase not in phrases:
                phrases.append(phrase)
            if len(phrases) >= TOP_K:
                break
        return phrases
