"""The fast feature path (one reading per text, whole and clauses together) equals scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from avgdesk.classifiers import Classifier
from avgdesk.classifiers.clauses import clauses
from avgdesk.classifiers.features import _TOKEN, FeatureSpace, _negated_analyzer, word_analyzer
from avgdesk.classifiers.text import prepare_parts
from avgdesk.classifiers.trainingdata import read_corpus

ODD_TEXTS = [
    "",
    "a",
    "x" * 3000,
    "word. " * 400,
    "short\nlines\n" * 300 + "a long sentence here that is long. " * 50,
    "art. 15 avg.  1 lid; (zie) ook\n\n\nnieuwe regel?!  ja",
    "i don't want this, not ever. but only this\u00a0one",
    "geen mail meer maar wel de factuur; no newsletter without consent",
]


def _slow(features: FeatureSpace, texts: list[str]) -> sp.csr_matrix:
    xw = features.word.transform(texts)
    xc = features.char.transform(texts) * features.char_weight
    return sp.hstack([xw, xc], format="csr")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = [prepare_parts(ex.subject, ex.body)[0] for ex, _ in read_corpus()]
    return corpus[::3] + ODD_TEXTS


def test_whole_and_clause_rows_equal_scikit_learn(model: Classifier, texts: list[str]) -> None:
    features: FeatureSpace = model.features  # type: ignore[attr-defined]
    whole, clause_rows, starts = features.transform_with_clauses(texts)
    assert abs(whole - _slow(features, texts)).max() < 1e-6
    flat: list[str] = []
    expected_starts = []
    for text in texts:
        expected_starts.append(len(flat))
        flat.extend(clauses(text))
    assert starts == expected_starts
    assert abs(clause_rows - _slow(features, flat)).max() < 1e-6
    assert abs(features.transform(texts) - whole).max() < 1e-6


def test_fast_word_analyzer_matches_the_negation_loop(texts: list[str]) -> None:
    for text in texts:
        tokens = _TOKEN.findall(text.replace("n't", "nt"))
        # Same n-grams as the token loop (which the fast path skips when nothing is negated).
        assert sorted(word_analyzer(text)) == sorted(_negated_analyzer(tokens))


def test_negation_marks_are_kept() -> None:
    grams = word_analyzer("ik wil geen nieuwsbrief meer maar wel de factuur")
    assert "not_nieuwsbrief" in grams and "not_factuur" not in grams
    assert np.all([not g.startswith("not_") for g in word_analyzer("graag de nieuwsbrief")])
