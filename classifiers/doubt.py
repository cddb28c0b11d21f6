"""Calibrated doubt: which predictions a person should check.

Why a model: one margin around every threshold flags mail that is right and misses mistakes
that are confidently wrong in a recognisable way (a second right half-way likely, a question
that names a right, a letter where two rights compete). A small logistic regression learns,
from the grouped out-of-fold predictions of training, how likely a prediction is to be wrong
given a handful of numbers about it; the cut is the one that flags as many out-of-fold
mistakes as possible within the review budget (a share of all mail: staff time is the limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from avgdesk.classifiers.decision import NEAR_MISS
from avgdesk.classifiers.labels import COMBINING, LABELS, STANDALONE

FloatArray = npt.NDArray[np.float64]

N_FEATURES = 10
_COMB = [LABELS.index(label) for label in COMBINING]
_STAND = [LABELS.index(label) for label in STANDALONE]


def doubt_features(
    p: FloatArray, cond: FloatArray, thresholds: FloatArray, secondary: FloatArray, labels: list[str]
) -> FloatArray:
    """Numbers about one prediction that say how close it came to being different."""
    chosen = np.asarray([[label in labels for label in LABELS]])
    row = doubt_matrix(p[None, :], cond[None, :], thresholds, secondary, chosen)[0]
    return np.asarray(row, dtype=np.float64)


def logit_margins(p: FloatArray, thresholds: FloatArray) -> FloatArray:
    """decision.margins for a whole batch (n, labels): logit(p) - logit(threshold)."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    t = np.clip(thresholds, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)) - np.log(t / (1 - t)), dtype=np.float64)


def doubt_matrix(
    p: FloatArray,
    cond: FloatArray,
    thresholds: FloatArray,
    secondary: FloatArray,
    chosen: npt.NDArray[np.bool_],
) -> FloatArray:
    """doubt_features for a batch at once: p, cond (n, labels), chosen the predicted labels."""
    m = logit_margins(p, thresholds)
    mc = logit_margins(cond, secondary)
    comb = np.zeros(len(LABELS), dtype=bool)
    comb[_COMB] = True
    stand = ~comb
    unchosen_comb = comb[None, :] & ~chosen
    low = np.full_like(m, -10.0)
    ordered = -np.sort(-m, axis=1)
    return np.stack(
        [
            np.clip(np.where(unchosen_comb, m, low).max(axis=1), -10, 10),
            np.clip(np.where(unchosen_comb, mc, low).max(axis=1), -10, 10),
            np.where(chosen.any(axis=1), np.clip(np.where(chosen, m, -low).min(axis=1), -10, 10), -10.0),
            np.clip(np.where(stand[None, :] & ~chosen, m, low).max(axis=1), -10, 10),
            np.clip(ordered[:, 0] - ordered[:, 1], 0, 20),
            (chosen & comb[None, :]).sum(axis=1).astype(np.float64),
            (chosen & comb[None, :]).any(axis=1).astype(np.float64),
            (chosen & stand[None, :]).any(axis=1).astype(np.float64),
            np.clip(m.max(axis=1), -10, 10),
            _rule_doubt(p, cond, thresholds, secondary, chosen),
        ],
        axis=1,
    )


def _rule_doubt(
    p: FloatArray,
    cond: FloatArray,
    thresholds: FloatArray,
    secondary: FloatArray,
    chosen: npt.NDArray[np.bool_],
) -> FloatArray:
    """1.0 where a rule of decision.decide_reasons doubts the prediction (a rival label, a further
    right half-way likely ...): evidence here, weighed with the rest, not a flag of its own.

    The same reasons as decide_reasons, for a batch at once from the chosen labels (per message
    in Python they cost as much again as the decision itself).
    """
    above = p >= thresholds
    comb = np.zeros(len(LABELS), dtype=bool)
    comb[_COMB] = True
    a, o, q = LABELS.index("auto"), LABELS.index("other"), LABELS.index("question")
    any_comb = (above & comb).any(axis=1)
    has_right: npt.NDArray[np.bool_] = np.asarray((chosen & comb).any(axis=1), dtype=bool)
    auto_conflict = above[:, a] & any_comb
    m = logit_margins(p, thresholds)
    auto_wins = auto_conflict & (m[:, a] >= np.where(above & comb, m, -np.inf).max(axis=1))
    rival = any_comb & ~auto_wins & (above[:, o] | above[:, q])
    unchosen = comb & ~chosen
    further_half = has_right[:, None] & unchosen & (cond >= NEAR_MISS * secondary)
    dropped_clear = has_right[:, None] & unchosen & above & (p >= 2 * thresholds)
    standalone_above = (above & ~comb).sum(axis=1)
    no_right = ~has_right
    near = (p >= NEAR_MISS * thresholds) & comb
    near_right = no_right & ~chosen[:, a] & near.any(axis=1)
    doubt = (
        auto_conflict
        | rival
        | further_half.any(axis=1)
        | dropped_clear.any(axis=1)
        | ~above.any(axis=1)  # nothing passed: the fallback guess
        | (no_right & (standalone_above > 1))  # a question that is also "other"
        | near_right
    )
    return np.asarray(doubt, dtype=np.float64)


@dataclass
class DoubtModel:
    """P(wrong) from doubt_features; flag at or above ``cut``. ``trees`` (gradient-boosted, see
    fit_doubt) when the corpus has enough mistakes to learn from, else the logistic ``coef``."""

    coef: FloatArray
    intercept: float
    cut: float
    trees: Any = None

    def probabilities(self, features: FloatArray) -> FloatArray:
        """P(wrong) for every row of an (n, N_FEATURES) matrix."""
        if self.trees is not None:
            return np.asarray(self.trees.predict_proba(features)[:, 1], dtype=np.float64)
        z = np.clip(features @ self.coef + self.intercept, -35.0, 35.0)
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def probability(self, features: FloatArray) -> float:
        return float(self.probabilities(features[None, :])[0])

    def flags(self, features: FloatArray) -> bool:
        return bool(self.probability(features) >= self.cut)

    def flags_batch(self, features: FloatArray) -> npt.NDArray[np.bool_]:
        """flags() for every row of an (n, N_FEATURES) matrix."""
        return np.asarray(self.probabilities(features) >= self.cut)


# Why trees: the features interact (a second right half-way likely matters on a letter with one
# right chosen, not on a question), which one logistic weight per feature cannot say. On check sets
# 19-24 (2026-12-01, 1,200 messages, 120 wrong), both fitted on the same out-of-fold predictions:
# to flag 90 % of the mistakes the trees flag 28.0 % of all mail, the logistic model 32.6 %; at a
# budget of 0.23, 82.5 % of the mistakes at 24.5 % flagged against 80.8 % at 23.4 %.
DOUBT_TREES = 60  # boosting rounds
DOUBT_LEAVES = 15  # leaves per tree
DOUBT_MIN_MISTAKES = 200  # fewer out-of-fold mistakes than this: the logistic model (a tiny corpus)


def fit_doubt(
    features: FloatArray, wrong: npt.NDArray[np.bool_], rule: npt.NDArray[np.bool_], budget: float
) -> tuple[DoubtModel, dict[str, float]]:
    """Fit P(wrong) and the lowest cut whose flags (with the rules' own) stay within budget."""
    from sklearn.linear_model import LogisticRegression

    if wrong.all() or not wrong.any():
        model = DoubtModel(np.zeros(features.shape[1]), 0.0, 1.1)
        return model, {"cv_wrong_flagged": float(rule[wrong].mean()) if wrong.any() else 1.0}
    clf = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    clf.fit(features, wrong)
    model = DoubtModel(clf.coef_[0].astype(np.float64), float(clf.intercept_[0]), 1.1)
    if int(wrong.sum()) >= DOUBT_MIN_MISTAKES:
        model.trees = _fit_trees(features, wrong)
    prob = model.probabilities(features)
    room = int(budget * len(prob)) - int(rule.sum())
    candidates = np.sort(prob[~rule])[::-1]
    if room > 0 and candidates.size:
        model.cut = float(candidates[min(room, candidates.size) - 1])
        if int((candidates >= model.cut).sum()) > room:
            # Trees give many messages the same probability: the tie at the cut would overrun
            # the budget, so the cut moves up to the next value that keeps within it.
            higher = candidates[candidates > model.cut]
            model.cut = float(higher.min()) if higher.size else 1.1
    flagged = rule | (prob >= model.cut)
    return model, {
        "cv_exact": 1 - float(wrong.mean()),
        "cv_wrong_flagged": float(flagged[wrong].mean()),
        "cv_flagged": float(flagged.mean()),
        "doubt_cut": model.cut,
    }


def _fit_trees(features: FloatArray, wrong: npt.NDArray[np.bool_]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # A fixed number of rounds (no early stopping: its validation split would make training
    # depend on a random draw).
    trees = HistGradientBoostingClassifier(
        max_iter=DOUBT_TREES,
        learning_rate=0.1,
        max_leaf_nodes=DOUBT_LEAVES,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )
    trees.fit(features, wrong)
    return trees
