"""Training and prediction: one calibrated linear model per label, then the label rules.

Why this shape: the labels combine (erasure + objection + complaint), so each label
gets its own binary logistic regression over the shared TF-IDF features. Raw scores
are calibrated with Platt scaling fitted on out-of-fold scores (grouped folds, so that
variants of one written message never sit on both sides), and the per-label decision
thresholds are chosen on those same out-of-fold probabilities. Rights and complaints
are scored with F2 (recall counts double) because a missed request costs a legal
deadline; a wrongly flagged one costs a minute of a staff member's time.

After thresholds the DESIGN rules are applied: question, other and auto stand alone,
any right or complaint beats question/other, and an auto message never carries a right.
`needs_review` is raised when nothing is confident, when a decision is close to its
threshold, or when a right/complaint was nearly (but not) predicted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from avgdesk.classifiers.contracts import Document, Prediction
from avgdesk.classifiers.explain import Explainer
from avgdesk.classifiers.features import FeatureSpace
from avgdesk.classifiers.labels import COMBINING, LABELS, STANDALONE
from avgdesk.classifiers.language import detect_language
from avgdesk.classifiers.text import prepare

ProgressFn = Callable[[str, float], None]
FloatArray = npt.NDArray[np.float64]

SEED = 20240301
N_FOLDS = 5
C_VALUE = 8.0
REVIEW_MARGIN = 0.6  # in logits: a probability this close to its threshold is a close call
NEAR_MISS = 0.5  # a right/complaint above NEAR_MISS x threshold is flagged for review
SECONDARY_FLOOR = 0.5  # an extra right must be more likely than not
SECONDARY_CAP = 0.7  # ... and is never asked to be near-certain (OOF estimates are noisy)
OTHER_MARGIN = 2.5  # logits: "other" must beat the best right by this much to win
QUESTION_MARGIN = 1.0  # logits: question must beat the best right by this much to win


@dataclass
class TrainingSet:
    """Prepared texts, the label matrix and the group of each example (for grouped CV)."""

    texts: list[str]
    y: npt.NDArray[np.int8]
    groups: list[str]


@dataclass
class FittedModel:
    """The fitted classifier; implements the Classifier protocol."""

    version: str
    features: FeatureSpace
    coef: FloatArray  # (n_labels, n_features)
    intercept: FloatArray  # (n_labels,)
    platt_a: FloatArray
    platt_b: FloatArray
    thresholds: FloatArray  # recall-leaning (F2) thresholds: is this a request at all?
    secondary: FloatArray  # F1 thresholds for further labels once one right/complaint is in
    explainer: Explainer
    cv_summary: dict[str, float] = field(default_factory=dict)

    def probabilities(self, texts: list[str]) -> tuple[FloatArray, Any]:
        x = self.features.transform(texts)
        raw = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        return _sigmoid(raw * self.platt_a + self.platt_b), x

    def predict(self, docs: Sequence[Document]) -> list[Prediction]:
        if not docs:
            return []
        texts = [prepare(d.subject, d.text) for d in docs]
        probs, x = self.probabilities(texts)
        out: list[Prediction] = []
        for i in range(len(docs)):
            labels, review = decide(probs[i], self.thresholds, self.secondary)
            scores = {label: round(float(probs[i, j]), 4) for j, label in enumerate(LABELS)}
            out.append(
                Prediction(
                    labels=labels,
                    scores=scores,
                    needs_review=review,
                    language=detect_language(texts[i], normalised=True),
                    explanations=self.explainer.explain(x, i, labels),
                    model_version=self.version,
                )
            )
        return out


def _sigmoid(z: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _margin(p: FloatArray, thresholds: FloatArray, j: int) -> float:
    """How far (in logits) probability j lies above its threshold."""
    return _logit(float(p[j])) - _logit(float(thresholds[j]))


def decide(
    p: FloatArray, thresholds: FloatArray, secondary: FloatArray | None = None
) -> tuple[list[str], bool]:
    """Turn one row of probabilities into labels and a review flag, applying the rules.

    The first (most probable) right or complaint only has to pass its recall-leaning
    threshold; any further one must also pass its secondary threshold (F1 on the training
    messages that already carry another right, kept between 0.5 and 0.7), so that recall of
    "is this a request" stays high without sprinkling extra rights over every request.
    A question or "other" that is clearly (in logits) more confident than the best right
    wins, with needs_review set.
    """
    idx = {label: j for j, label in enumerate(LABELS)}
    above = [label for label in LABELS if p[idx[label]] >= thresholds[idx[label]]]
    combining = [label for label in above if label in COMBINING]
    review = False
    ratio = {label: p[idx[label]] / max(thresholds[idx[label]], 1e-6) for label in LABELS}

    if "auto" in above and combining:
        # Machine mail never carries a right; whichever side is stronger wins, a person checks.
        # Strength is the margin over the threshold in logits, not the probability ratio:
        # a ratio saturates at 1/threshold, so a near-certain "auto" (read receipt quoting
        # "delete my data") lost to a right barely above its low recall-leaning threshold.
        review = True
        if _margin(p, thresholds, idx["auto"]) >= max(
            _margin(p, thresholds, idx[label]) for label in combining
        ):
            combining = []
    if combining and "other" in above:
        # Support mail that merely sounds cross ("weer geen code ontvangen") is not a complaint
        # when the "other" model is near certain and no right/complaint is even likely.
        best = max(_logit(float(p[idx[label]])) for label in combining)
        if _logit(float(p[idx["other"]])) >= best + OTHER_MARGIN:
            combining = []
            review = True
    if combining and "question" in above:
        # A privacy question that names a right ("how does an access request work?") is not
        # a request; when the question model is clearly more confident, trust it but ask a person.
        best_right = max(_logit(float(p[idx[label]])) for label in combining)
        if _logit(float(p[idx["question"]])) >= best_right + QUESTION_MARGIN:
            combining = []
            review = True
    if len(combining) > 1 and secondary is not None:
        primary = max(combining, key=lambda label: float(p[idx[label]]))
        combining = [
            label for label in combining if label == primary or p[idx[label]] >= secondary[idx[label]]
        ]
    if combining:
        labels = combining
    else:
        standalone = [label for label in above if label in STANDALONE]
        if standalone:
            labels = [max(standalone, key=lambda label: float(p[idx[label]]))]
        else:
            labels = [max(LABELS, key=lambda label: ratio[label])]
            review = True
    for label in LABELS:
        j = idx[label]
        if abs(_logit(float(p[j])) - _logit(float(thresholds[j]))) < REVIEW_MARGIN:
            review = True
    no_request = not any(label in COMBINING for label in labels)
    if no_request and labels != ["auto"] and any(ratio[lb] >= NEAR_MISS for lb in COMBINING):
        review = True
    return [label for label in LABELS if label in labels], review


def _fit_binary(x: object, y: npt.NDArray[np.int8]) -> LogisticRegression:
    clf = LogisticRegression(
        C=C_VALUE,
        solver="liblinear",
        class_weight="balanced",
        max_iter=200,
        random_state=SEED,
    )
    clf.fit(x, y)
    return clf


def _platt(scores: FloatArray, y: npt.NDArray[np.int8]) -> tuple[float, float]:
    cal = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    cal.fit(scores.reshape(-1, 1), y)
    return float(cal.coef_[0, 0]), float(cal.intercept_[0])


def _best_threshold(p: FloatArray, y: npt.NDArray[np.int8], beta: float) -> float:
    best_t, best_f = 0.5, -1.0
    positives = int(y.sum())
    for t in np.arange(0.05, 0.91, 0.01):
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = positives - tp
        denom = (1 + beta**2) * tp + beta**2 * fn + fp
        f = (1 + beta**2) * tp / denom if denom else 0.0
        if f > best_f + 1e-9:
            best_f, best_t = f, float(t)
    return best_t


def train(data: TrainingSet, version: str, progress: ProgressFn | None = None) -> FittedModel:
    """Fit features, out-of-fold calibration and thresholds, then the final models.

    BLAS threads are pinned to one: the work is many small fits, and on a busy 2-core
    machine threaded BLAS made training 3-4 times slower by oversubscription.
    """
    with threadpool_limits(limits=1):
        return _train(data, version, progress)


def _train(data: TrainingSet, version: str, progress: ProgressFn | None) -> FittedModel:
    report = progress or (lambda stage, frac: None)
    n_labels = len(LABELS)
    report("features", 0.0)
    features = FeatureSpace()
    x = features.fit_transform(data.texts)
    report("features", 1.0)

    oof = np.zeros((len(data.texts), n_labels), dtype=np.float64)
    folds = list(GroupKFold(n_splits=N_FOLDS).split(x, groups=data.groups))
    total = n_labels * (N_FOLDS + 1)
    step = 0
    for j in range(n_labels):
        yj = data.y[:, j]
        for train_idx, test_idx in folds:
            if yj[train_idx].min() == yj[train_idx].max():
                oof[test_idx, j] = -5.0 if yj[train_idx].max() == 0 else 5.0
            else:
                clf = _fit_binary(x[train_idx], yj[train_idx])
                oof[test_idx, j] = clf.decision_function(x[test_idx])
            step += 1
            report("cross-validation", step / total)

    coef = np.zeros((n_labels, x.shape[1]), dtype=np.float64)
    intercept = np.zeros(n_labels, dtype=np.float64)
    platt_a = np.ones(n_labels, dtype=np.float64)
    platt_b = np.zeros(n_labels, dtype=np.float64)
    thresholds = np.full(n_labels, 0.5, dtype=np.float64)
    secondary = np.full(n_labels, 0.5, dtype=np.float64)
    summary: dict[str, float] = {}
    for j, label in enumerate(LABELS):
        yj = data.y[:, j]
        a, b = _platt(oof[:, j], yj) if yj.min() != yj.max() else (1.0, 0.0)
        platt_a[j], platt_b[j] = a, b
        p = _sigmoid(oof[:, j] * a + b)
        beta = 2.0 if label in COMBINING else 1.0
        t = _best_threshold(p, yj, beta)
        if label in COMBINING:
            t = min(t, 0.5)
        thresholds[j] = t
        if label in COMBINING:
            # When to add this label to a message that already carries another right or
            # complaint: F1 on exactly those messages (out of fold).
            others = [k for k, lb in enumerate(LABELS) if lb in COMBINING and k != j]
            mask = data.y[:, others].max(axis=1) == 1
            t2 = _best_threshold(p[mask], yj[mask], 1.0) if yj[mask].any() else 0.5
            secondary[j] = min(max(t, t2, SECONDARY_FLOOR), SECONDARY_CAP)
        else:
            secondary[j] = t
        pred = p >= t
        tp = int((pred & (yj == 1)).sum())
        summary[f"cv_recall_{label}"] = tp / max(int(yj.sum()), 1)
        summary[f"cv_precision_{label}"] = tp / max(int(pred.sum()), 1)
        if yj.min() == yj.max():  # a label absent from a (tiny) corpus: constant score
            intercept[j] = 10.0 if yj.max() else -10.0
        else:
            clf = _fit_binary(x, yj)
            coef[j] = clf.coef_[0]
            intercept[j] = clf.intercept_[0]
        step += 1
        report("final fit", step / total)

    explainer = Explainer(features.feature_names(), features.n_word, coef)
    report("done", 1.0)
    return FittedModel(
        version=version,
        features=features,
        coef=coef,
        intercept=intercept,
        platt_a=platt_a,
        platt_b=platt_b,
        thresholds=thresholds,
        secondary=secondary,
        explainer=explainer,
        cv_summary=summary,
    )
