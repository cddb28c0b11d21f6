"""Explanations: the phrases staff see for each predicted label."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from avgdesk.classifiers import Classifier, Document
from avgdesk.classifiers.explain import TOP_K, Explainer, _pretty
from avgdesk.classifiers.labels import LABELS
from avgdesk.classifiers.text import prepare
from avgdesk.classifiers.trainingdata import read_corpus


def _reference(explainer: Explainer, x: sp.csr_matrix, row: int, labels: list[str]) -> dict[str, list[str]]:
    """The explanation computed over the whole row for every label (before words came first)."""
    out: dict[str, list[str]] = {}
    start, end = x.indptr[row], x.indptr[row + 1]
    cols, data = x.indices[start:end], x.data[start:end]
    is_word = cols < explainer.n_word
    for label in labels:
        vals = data * explainer.coef[LABELS.index(label), cols]
        phrases: list[str] = []
        for mask in (is_word, ~is_word):
            sel = np.flatnonzero(mask & (vals > 0))
            for k in sel[np.argsort(-vals[sel])]:
                phrase = _pretty(explainer.names[cols[k]])
                if phrase and phrase not in phrases:
                    phrases.append(phrase)
                if len(phrases) >= TOP_K:
                    break
            if phrases:
                break
        out[label] = phrases
    return out


def test_words_first_equals_the_whole_row_computation(model: Classifier) -> None:
    explainer: Explainer = model.explainer  # type: ignore[attr-defined]
    texts = [prepare(ex.subject, ex.body) for ex, _ in read_corpus()][::11]
    x = model.features.transform(texts)  # type: ignore[attr-defined]
    for row in range(len(texts)):
        assert explainer.explain(x, row, list(LABELS)) == _reference(explainer, x, row, list(LABELS))


def test_blocks_explain_as_the_joined_matrix(model: Classifier) -> None:
    """Prediction hands the explainer the (word, char) blocks it read, not a joined copy."""
    explainer: Explainer = model.explainer  # type: ignore[attr-defined]
    texts = [prepare(ex.subject, ex.body) for ex, _ in read_corpus()][5::13]
    read = model.features.read(texts)  # type: ignore[attr-defined]
    assert read.whole_blocks is not None
    for row in range(len(texts)):
        labels = list(LABELS)
        assert explainer.explain(read.whole_blocks, row, labels) == explainer.explain(read.whole, row, labels)


def test_char_ngrams_explain_when_no_word_pushed() -> None:
    names = ["inzage", "kopie", " inz", "zag", "age "]
    coef = np.zeros((len(LABELS), len(names)))
    j = LABELS.index("access")
    coef[j] = [-1.0, 0.0, 0.5, 2.0, 1.0]
    x = sp.csr_matrix(np.array([[1.0, 1.0, 1.0, 1.0, 0.0]], dtype=np.float32))
    out = Explainer(names, 2, coef).explain(x, 0, ["access"])
    assert out == {"access": ["zag", "inz"]}


def test_predictions_carry_explanations_for_their_labels(model: Classifier) -> None:
    pred = model.predict([Document("Inzage", "Stuur mij een kopie van al mijn persoonsgegevens.")])[0]
    assert set(pred.explanations) == set(pred.labels)
    assert all(pred.explanations[label] for label in pred.labels)
