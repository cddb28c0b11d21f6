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

import numpy as np
import numpy.typing as npt

from avgdesk.classifiers.decision import margins
from avgdesk.classifiers.labels import COMBINING, LABELS, STANDALONE

FloatArray = npt.NDArray[np.float64]

N_FEATURES = 9
_COMB = [LABELS.index(label) for label in COMBINING]
_STAND = [LABELS.index(label) for label in STANDALONE]


def doubt_features(
    p: FloatArray, cond: FloatArray, thresholds: FloatArray, secondary: FloatArray, labels: list[str]
) -> FloatArray:
    """Numbers about one prediction that say how close it came to being different."""
    m = np.asarray(margins(p, thresholds))
    mc = np.asarray(margins(cond, secondary))
    chosen = np.asarray([label in labels for label in LABELS])
    comb_chosen = chosen[_COMB]
    request = bool(comb_chosen.any())
    unchosen_comb = [j for j in _COMB if not chosen[j]]
    best_unchosen = max((m[j] for j in unchosen_comb), default=-10.0)
    best_unchosen_cond = max((mc[j] for j in unchosen_comb), default=-10.0)
    weakest_chosen = min((m[j] for j in range(len(LABELS)) if chosen[j]), default=-10.0)
    rival = max((m[j] for j in _STAND if not chosen[j]), default=-10.0)
    ordered = np.sort(m)[::-1]
    return np.asarray(
        [
            np.clip(best_unchosen, -10, 10),
            np.clip(best_unchosen_cond, -10, 10),
            np.clip(weakest_chosen, -10, 10),
            np.clip(rival, -10, 10),
            np.clip(ordered[0] - ordered[1], 0, 20),
            float(comb_chosen.sum()),
            float(request),
            float(chosen[_STAND].any()),
            float(np.clip(m.max(), -10, 10)),
        ],
        dtype=np.float64,
    )


@dataclass
class DoubtModel:
    """P(wrong) from doubt_features; flag at or above ``cut``."""

    coef: FloatArray
    intercept: float
    cut: float

    def probability(self, features: FloatArray) -> float:
        z = float(features @ self.coef + self.intercept)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0))))

    def flags(self, features: FloatArray) -> bool:
        return bool(self.probability(features) >= self.cut)


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
    prob = np.asarray([model.probability(f) for f in features])
    room = int(budget * len(prob)) - int(rule.sum())
    candidates = np.sort(prob[~rule])[::-1]
    if room > 0 and candidates.size:
        model.cut = float(candidates[min(room, candidates.size) - 1])
    flagged = rule | (prob >= model.cut)
    return model, {
        "cv_exact": 1 - float(wrong.mean()),
        "cv_wrong_flagged": float(flagged[wrong].mean()),
        "cv_flagged": float(flagged.mean()),
        "doubt_cut": model.cut,
    }
