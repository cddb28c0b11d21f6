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
    # words the vocabulary does not know, repeated in one text (each must get one number)
    "qqzzx qqzzx wibbleflop. qqzzx; wibbleflop wibbleflop\nqqzzx",
    "not not no never the the. niet de de de zonder maar alleen nooit het de",
    "bitte nicht loschen, sondern nur die adresse andern. keine werbung ohne einwilligung",
    # clause-final negators, at a break, before punctuation, at the very end, after a contrast word
    "loschen sie mein konto bitte nicht! verwijder niks\nmaar bewaar het niet. keep it, not",
    "niet. nicht nicht, only this not\n\nwel de factuur niet",
]


def test_german_negation_marks_its_scope() -> None:
    grams = word_analyzer("bitte mein konto nicht loschen, nur die adresse andern")
    assert "not_loschen" in grams
    assert "not_andern" not in grams  # "nur" ends the scope, as "alleen" and "only" do
    assert "not_werbung" in word_analyzer("keine werbung mehr")


def test_a_clause_final_negator_negates_the_words_before_it() -> None:
    """Dutch and German put the negator after the verb: "Bitte löschen Sie mein Konto NICHT!"
    asks for no erasure (check set 46), as "bitte nicht löschen" does."""
    grams = word_analyzer("bitte loschen sie mein konto nicht! ich bin nur umgezogen")
    assert {"not_loschen", "not_konto"} <= set(grams)
    assert "not_umgezogen" not in grams  # the "!" ends the scope
    assert "not_verwijder" in word_analyzer("verwijder mijn account niet")
    # Only a negator at the clause's end looks back; "bel me niet meer" still negates forward only,
    # and a contrast word stops the look back ("maar wis het niet" negates only "wis het").
    assert "not_bel" not in word_analyzer("bel me niet meer")
    grams = word_analyzer("bewaar alles maar wis het niet")
    assert "not_wis" in grams and "not_bewaar" not in grams


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


def test_quoted_texts_read_with_the_batch_equal_scikit_learn(model: Classifier, texts: list[str]) -> None:
    """read(texts, extra) gives the extra texts' whole rows as (word, char) blocks, in the same
    pass; they equal scikit-learn's transform of those texts."""
    features: FeatureSpace = model.features  # type: ignore[attr-defined]
    extra = texts[1::7]
    read = features.read(texts[::5], extra)
    assert read.extra is not None
    assert abs(sp.hstack(read.extra, format="csr") - _slow(features, extra)).max() < 1e-6
    assert features.read(texts[:3], whole=False, clauses=True).whole is None


def test_words_met_in_mail_are_forgotten_between_batches(model: Classifier) -> None:
    """The numbers of unknown words are a bounded cache: past the limit they are dropped, and
    the next batch still reads exactly as scikit-learn does."""
    import avgdesk.classifiers.features as features_module

    features: FeatureSpace = model.features  # type: ignore[attr-defined]
    table = features._table()
    limit = features_module._GRAM_CACHE_MAX
    try:
        features_module._GRAM_CACHE_MAX = 3
        texts = ["aaqq bbqq ccqq ddqq eeqq", "ffqq ggqq. aaqq"]
        features.read(texts)
        assert len(table.words) > table.n_static_words + 3
        first = features.transform(texts)
        assert len(table.words) <= table.n_static_words + 7
        assert abs(first - _slow(features, texts)).max() < 1e-6
    finally:
        features_module._GRAM_CACHE_MAX = limit


def test_batches_read_in_threads_at_once_read_as_alone(model: Classifier) -> None:
    """The numbers of new words are shared: batches read in several threads at once (the web
    UI's) with the word memory forgotten often must each read exactly as scikit-learn does."""
    import sys
    import threading

    import avgdesk.classifiers.features as features_module

    features: FeatureSpace = model.features  # type: ignore[attr-defined]
    batches = [[f"zz{t}q{i}x zz{t}q{i}y. niet zz{t}q{i}x" for i in range(40)] for t in range(6)]
    expected = [_slow(features, texts) for texts in batches]
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for _ in range(40):
                assert abs(features.transform(batches[t]) - expected[t]).max() < 1e-6
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    limit, interval = features_module._GRAM_CACHE_MAX, sys.getswitchinterval()
    try:
        features_module._GRAM_CACHE_MAX = 30  # forgotten between almost every two batches
        sys.setswitchinterval(1e-5)  # threads take turns often (without the lock: IndexError)
        threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        features_module._GRAM_CACHE_MAX = limit
        sys.setswitchinterval(interval)
    assert not errors, errors[0]
