"""Explanations for staff: which phrases pushed each predicted label.

Why: a person deciding whether a mail is an access request wants to see the words
the model acted on ("welke gegevens", "kopie", "artikel 15"), not a score alone.
For a linear model the contribution of a feature is its TF-IDF value times the
label's coefficient, so the explanation is exact, cheap and needs no extra library.
Word n-grams are shown first because they read as phrases; character n-grams are
only used when no word pushed the label (for instance a one-word typo mail).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from avgdesk.classifiers.labels import LABELS

TOP_K = 5


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

    def explain(self, x: sp.csr_matrix, row: int, labels: list[str]) -> dict[str, list[str]]:
        """Top phrases per predicted label (words preferred, characters as a fallback).

        The word columns of a row come first (FeatureSpace joins words, then characters), so
        the characters' contributions are computed only for a label no word pushed.
        """
        out: dict[str, list[str]] = {}
        start, end = x.indptr[row], x.indptr[row + 1]
        cols = x.indices[start:end]
        data = x.data[start:end]
        n_words = int(np.count_nonzero(cols < self.n_word))
        for label in labels:
            j = LABELS.index(label)
            phrases = self._top(cols[:n_words], data[:n_words] * self.coef[j, cols[:n_words]])
            if not phrases:
                phrases = self._top(cols[n_words:], data[n_words:] * self.coef[j, cols[n_words:]])
            out[label] = phrases
        return out

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
