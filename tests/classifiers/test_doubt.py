"""The learned review flag: P(wrong) from how close a prediction came, cut within the budget."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from avgdesk.classifiers.decision import decide_reasons
from avgdesk.classifiers.doubt import DOUBT_MIN_MISTAKES, N_FEATURES, doubt_features, doubt_matrix, fit_doubt
from avgdesk.classifiers.labels import LABELS


def _p(**values: float) -> np.ndarray:
    return np.array([values.get(label, 0.01) for label in LABELS])


T = np.full(len(LABELS), 0.3)


def test_features_say_how_close_another_right_came() -> None:
    near = doubt_features(_p(access=0.9, erasure=0.25), _p(erasure=0.25), T, T, ["access"])
    far = doubt_features(_p(access=0.9, erasure=0.01), _p(erasure=0.01), T, T, ["access"])
    assert near.shape == (N_FEATURES,)
    assert near[0] > far[0] and near[1] > far[1]  # the best right not chosen, and given another


def test_the_cut_flags_the_likely_mistakes_within_the_budget() -> None:
    rng = np.random.default_rng(0)
    n = 1000
    closeness = rng.normal(size=n)
    features = np.zeros((n, N_FEATURES))
    features[:, 0] = closeness
    wrong = closeness + rng.normal(scale=0.3, size=n) > 1.6  # mistakes where another label came close
    rule = np.zeros(n, dtype=bool)
    rule[:50] = True  # the rules flag 5 % on their own
    model, figures = fit_doubt(features, wrong, rule, budget=0.2)
    assert figures["cv_flagged"] <= 0.2 + 1e-9
    assert figures["cv_wrong_flagged"] >= 0.8
    assert model.flags(features[int(np.argmax(closeness))]) is True
    assert model.flags(features[int(np.argmin(closeness))]) is False


def test_without_mistakes_nothing_is_flagged_by_the_model() -> None:
    features = np.zeros((10, N_FEATURES))
    model, _ = fit_doubt(features, np.zeros(10, dtype=bool), np.zeros(10, dtype=bool), budget=0.2)
    assert model.flags(features[0]) is False


def test_the_rules_doubt_is_a_feature() -> None:
    # a right next to a confident question: the rules doubt it, the doubt model weighs that
    rival = doubt_features(_p(erasure=0.9, question=0.8), _p(erasure=0.9), T, T, ["erasure"])
    plain = doubt_features(_p(erasure=0.9), _p(erasure=0.9), T, T, ["erasure"])
    assert rival[-1] == 1.0 and plain[-1] == 0.0


def test_the_batch_rule_feature_agrees_with_the_rules() -> None:
    # doubt_matrix computes the rules' doubt for a whole batch; it must say what decide_reasons says
    rng = np.random.default_rng(1)
    p = rng.beta(0.4, 1.2, size=(2000, len(LABELS)))
    cond = np.clip(p + rng.normal(scale=0.15, size=p.shape), 0.001, 0.999)
    thresholds = rng.uniform(0.08, 0.6, size=len(LABELS))
    secondary = np.clip(thresholds + 0.15, 0.3, 0.6)
    decided = [decide_reasons(p[i], thresholds, secondary, cond[i]) for i in range(len(p))]
    chosen = np.asarray([[label in labels for label in LABELS] for labels, _, _ in decided])
    expected = np.asarray([bool(reasons) for _, reasons, _ in decided])
    got = doubt_matrix(p, cond, thresholds, secondary, chosen)[:, -1].astype(bool)
    assert 0.05 < expected.mean() < 0.95  # the random rows exercise both outcomes
    assert (got == expected).all(), np.flatnonzero(got != expected)[:5]


def test_trees_learn_doubt_that_needs_two_features_together() -> None:
    # A mistake where a second right came close AND the chosen one is weak: one logistic weight
    # per feature cannot say "both"; the trees (enough mistakes to learn from) can.
    rng = np.random.default_rng(1)
    n = 6000
    features = rng.normal(size=(n, N_FEATURES))
    wrong = features[:, 0] * features[:, 2] > 1.0  # both high or both low
    rule = np.zeros(n, dtype=bool)
    model, figures = fit_doubt(features, wrong, rule, budget=0.2)
    assert model.trees is not None and int(wrong.sum()) >= DOUBT_MIN_MISTAKES
    assert figures["cv_flagged"] <= 0.2 + 1e-9
    assert figures["cv_wrong_flagged"] >= 0.95
    linear = LogisticRegression(max_iter=2000, class_weight="balanced").fit(features, wrong)
    score = linear.decision_function(features)
    top = score >= np.sort(score)[::-1][int(0.2 * n) - 1]
    assert top[wrong].mean() < 0.5  # the logistic model alone flags far fewer of them
    assert model.flags_batch(features).tolist() == [model.flags(f) for f in features]


def test_few_mistakes_keep_the_logistic_model() -> None:
    rng = np.random.default_rng(2)
    features = rng.normal(size=(500, N_FEATURES))
    wrong = features[:, 0] > 1.9  # about 15 mistakes
    model, _ = fit_doubt(features, wrong, np.zeros(500, dtype=bool), budget=0.2)
    assert model.trees is None
