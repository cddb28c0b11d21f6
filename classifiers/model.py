"""Training and prediction: linear models per label, read per message and per clause, then stacked.

Why this shape: the labels combine (erasure + objection + complaint), so each label
gets its own binary logistic regression over the shared TF-IDF features (the "base"
models). A message is scored three ways with the same base models: as a whole, clause by
clause (the maximum per label, so one clear sentence counts however long the letter),
and its quoted earlier mail on its own (context: the right a reminder still wants).
With the articles the text cites, these scores are the input of a small second-stage
logistic regression per label (the "stacker"), trained on out-of-fold scores from
grouped folds (variants of one written message never sit on both sides). Its
probabilities are calibrated by construction; the per-label decision thresholds and
the review margin are chosen on its own out-of-fold probabilities. Rights and
complaints are thresholded with F2 (recall counts double) because a missed request
costs a legal deadline; a wrongly flagged one costs a minute of a staff member's time.
The label rules (decision.py) are applied last.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from joblib.executor import get_memmapping_executor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from avgdesk.classifiers.clauses import CUE_NAMES, article_cues
from avgdesk.classifiers.contracts import Document, Prediction
from avgdesk.classifiers.decision import (
    decide,
    decide_parts,
    gate_auto,
    guessed_right_without_evidence,
    refused_further_erasure,
    runner_up,
    signed_letter_sure_of_right,
    unasked_further_access,
    unreadable,
)
from avgdesk.classifiers.doubt import DoubtModel, doubt_matrix, fit_doubt, logit_margins
from avgdesk.classifiers.explain import Explainer
from avgdesk.classifiers.features import FeatureSpace
from avgdesk.classifiers.labels import COMBINING, LABELS
from avgdesk.classifiers.language import detect_language, language_scores
from avgdesk.classifiers.text import prepare_parts

__all__ = ["FittedModel", "TrainingSet", "decide", "train"]

ProgressFn = Callable[[str, float], None]
FloatArray = npt.NDArray[np.float64]

SEED = 20240301
# Four grouped folds, not five: at 24,020 rows five took training to 60.6 s wall, four to 43.5 s, and the
# six check sets 39-44 read 132 against 134 wrong label sets (2026-12-01, eighth session): noise.
N_FOLDS = 4
C_VALUE = 8.0
STACK_C = 1.0
NO_QUOTE = -8.0  # the quoted-context score of a message that quotes nothing
# liblinear's stopping tolerance: 1e-3 (scikit-learn's default 1e-4) set the same labels on every
# check set and cut training from 56 to 45 CPU-s on 15,600 rows (2026-12-01); the dual solver
# spends its last iterations on digits no threshold sees.
LIBLINEAR_TOL = 1e-3
# The base models of each fold (and the final ones) are fitted in this many processes at a time: the
# 2-core machine this is sized for then trains in about two thirds of the time. Processes, not
# threads: liblinear draws from one generator per process, so two fits in threads of one process
# give different models run to run. Each fit is seeded, so the model is the same whatever the number.
FIT_PROCESSES = 2
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
PARALLEL_MIN_ROWS = 2000  # below this (tests' tiny corpora) starting the processes costs more than it saves
SECONDARY_BETA = 1.5  # a dropped second right is a missed obligation too: recall counts more
# An extra right needs real evidence, not just a low threshold. 0.3 until 2026-12-01; at 0.45, on
# nine blind check sets: wrong label sets 187 -> 170, extra labels 123 -> 86, gold rights dropped
# 70 -> 91 but dropped without a review flag still 22 (the doubt model flags the rest).
SECONDARY_FLOOR = 0.45
SECONDARY_CAP = 0.6  # ... and is never asked to be near-certain (OOF estimates are noisy)
# ... except access, whose words every other letter uses about the data it concerns ("delete all
# personal data you hold about me", "alles, was Sie über mich gespeichert haben", "written
# confirmation", a reply to our access answer): on six blind check sets (47-52, 1,150 messages;
# 2026-12-02) access added as a further right was wrong 6 times below 0.7 and right 0 times
# (lowest right one 0.74), and lifting it to 0.7 took wrong label sets from 96 to 90 (before retraining).
SECONDARY_FLOOR_BY_LABEL = {"access": 0.7}
REVIEW_TARGET = 0.95  # share of out-of-fold mistakes the learned review margin aims to flag ...
REVIEW_BUDGET = 0.25  # ... without flagging more than this share of all (out-of-fold) mail
REVIEW_MARGIN_MAX = 2.0  # logits
DOUBT_MODEL = True  # the review flag from a learned doubt model (doubt.py), not one margin
# Until 2026-12-02 below REVIEW_BUDGET (0.23), because unseen mail was less certain than out-of-fold
# corpus mail (check sets 19-24 with the doubt trees: 0.21 flagged 22.1 % of all mail and 77.5 % of the
# mistakes, 0.23 24.2 % and 83.3 %). Now equal: with most former check sets in training, out-of-fold
# mail is as uncertain as unseen mail (check sets 39-46, 1,550 messages, 144 wrong: 0.23 flagged 23.0 %
# of all mail and 87.5 % of the mistakes, 0.25 24.8 % and 89.6 %; with the clause-final negators of
# 04874a3, 139 wrong, 24.7 % and 92.1 %). Those sets are request-heavy (55 % requests): a real week's
# info@ mail, mostly business and machine mail, is flagged far less.
DOUBT_BUDGET = 0.25


@dataclass
class TrainingSet:
    """Prepared texts, quoted context, the label matrix and the group of each example."""

    texts: list[str]
    y: npt.NDArray[np.int8]
    groups: list[str]
    quoted: list[str] = field(default_factory=list)


@dataclass
class BaseScores:
    """Decision values of the base models: whole text, best clause, quoted context."""

    whole: FloatArray
    clause: FloatArray
    quoted: FloatArray
    has_quote: FloatArray


def meta_features(scores: BaseScores, texts: Sequence[str]) -> FloatArray:
    """The stacker's input, (n, n_labels, N_META): per label its own three scores, the quote
    flag and whether the text cites that label's article.

    Each label sees only its own evidence: with the other labels' scores as inputs, mail
    unlike anything in the corpus (a parser's "this is a test") left every score low and
    the stacker read "not other, not auto" as a complaint.
    """
    n = len(texts)
    cues = np.zeros((n, len(LABELS)))
    if n:
        cited = np.asarray([article_cues(t) for t in texts], dtype=np.float64)
        for k, name in enumerate(CUE_NAMES):
            cues[:, LABELS.index(name)] = cited[:, k]
    has = np.repeat(scores.has_quote[:, None], len(LABELS), axis=1)
    return np.stack([scores.whole, scores.clause, scores.quoted, has, cues], axis=2)


N_META = 5


class ClauseIndex:
    """The clauses of many texts as one matrix, with the row where each text's clauses start;
    with whole=True also the whole texts, and the quoted context read in the same pass."""

    def __init__(
        self, features: FeatureSpace, texts: Sequence[str], quoted: Sequence[str] = (), whole: bool = True
    ) -> None:
        self.quoted_rows = np.flatnonzero([bool(q) for q in quoted])
        extra = [quoted[int(i)] for i in self.quoted_rows]
        read = features.read(list(texts), extra, whole=whole, join_whole=False)
        assert read.clauses is not None
        # Every matrix as (word, char) blocks: scores and explanations need no joined copy.
        self.whole, self.x, self.quoted = read.whole_blocks, read.clauses, read.extra
        self.starts = read.starts
        self.n_word = features.n_word
        self.n_quoted = len(quoted)

    def scores(self, blocks: tuple[Any, Any], coef: FloatArray, intercept: FloatArray) -> FloatArray:
        words, chars = blocks
        raw = words @ coef[:, : self.n_word].T + chars @ coef[:, self.n_word :].T
        return np.asarray(raw, dtype=np.float64) + intercept

    def max_scores(self, coef: FloatArray, intercept: FloatArray) -> FloatArray:
        return np.maximum.reduceat(self.scores(self.x, coef, intercept), self.starts, axis=0)

    def quoted_scores(
        self, coef: FloatArray, intercept: FloatArray, rows: npt.NDArray[np.intp] | None = None
    ) -> FloatArray:
        """The quoted-context scores of every text (of the given rows): NO_QUOTE where none."""
        out = np.full((self.n_quoted, coef.shape[0]), NO_QUOTE, dtype=np.float64)
        if self.quoted is not None and self.quoted_rows.size:
            out[self.quoted_rows] = self.scores(self.quoted, coef, intercept)
        return out if rows is None else out[rows]


@dataclass
class FittedModel:
    """The fitted classifier; implements the Classifier protocol."""

    version: str
    features: FeatureSpace
    coef: FloatArray  # base models (n_labels, n_features)
    intercept: FloatArray  # (n_labels,)
    stack_coef: FloatArray  # (n_labels, N_META)
    stack_intercept: FloatArray  # (n_labels,)
    cond_coef: FloatArray  # the stacker for "this label too, given another right": (n_labels, N_META)
    cond_intercept: FloatArray
    thresholds: FloatArray  # recall-leaning (F2) thresholds: is this a request at all?
    secondary: FloatArray  # F1 thresholds on the conditional stacker for further labels
    review_margin: float
    explainer: Explainer
    cv_summary: dict[str, float] = field(default_factory=dict)
    doubt: DoubtModel | None = None  # learned review flag (doubt.py); None: the margin rule

    def probabilities(
        self, texts: list[str], quoted: list[str] | None = None
    ) -> tuple[FloatArray, FloatArray, Any]:
        """(P(label), P(label | another right or complaint is present), the whole rows as blocks)."""
        quoted = quoted if quoted is not None else [""] * len(texts)
        # Whole texts, clauses and the quoted context read in one pass.
        index = ClauseIndex(self.features, texts, quoted)
        x: Any = index.whole  # (word, char) blocks
        whole = index.scores(x, self.coef, self.intercept)
        clause = index.max_scores(self.coef, self.intercept)
        q = index.quoted_scores(self.coef, self.intercept)
        has = np.asarray([bool(t) for t in quoted], dtype=np.float64)
        meta = meta_features(BaseScores(whole, clause, q, has), texts)
        z = np.einsum("nlk,lk->nl", meta, self.stack_coef) + self.stack_intercept
        z2 = np.einsum("nlk,lk->nl", meta, self.cond_coef) + self.cond_intercept
        return _sigmoid(z), _sigmoid(z2), x

    def predict(self, docs: Sequence[Document]) -> list[Prediction]:
        if not docs:
            return []
        parts = [prepare_parts(d.subject, d.text) for d in docs]
        texts = [t for t, _ in parts]
        probs, extra, x = self.probabilities(texts, [q for _, q in parts])
        # Margins, doubt and rounded scores for the whole batch at once: per message in
        # Python they cost more than reading the text.
        m = logit_margins(probs, self.thresholds).tolist()
        decided = [
            decide_parts(probs[i], self.thresholds, self.secondary, extra[i], m[i]) for i in range(len(docs))
        ]
        review = self._flags(probs, extra, decided)
        rounded = np.round(probs, 4).tolist()
        langs = [_language(text, context) for text, context in parts]
        return [
            self._one(
                texts[i],
                probs[i],
                extra[i],
                x,
                i,
                (decided[i][0], bool(review[i]), m[i], rounded[i]),
                langs[i],
                bool(parts[i][1]),
            )
            for i in range(len(docs))
        ]

    def _flags(
        self, probs: FloatArray, extra: FloatArray, decided: list[tuple[list[str], bool, float]]
    ) -> npt.NDArray[np.bool_]:
        """The review flag of each prediction: the rules' own, or the doubt model's (or margin's)."""
        rule = np.asarray([review for _, review, _ in decided], dtype=bool)
        if self.doubt is None:
            return rule | (np.asarray([closest for _, _, closest in decided]) < self.review_margin)
        chosen = np.asarray([[label in labels for label in LABELS] for labels, _, _ in decided], dtype=bool)
        features = doubt_matrix(probs, extra, self.thresholds, self.secondary, chosen)
        return rule | self.doubt.flags_batch(features)

    def _one(
        self,
        text: str,
        p: FloatArray,
        extra: FloatArray,
        x: Any,
        i: int,
        decided: tuple[list[str], bool, list[float], list[float]],
        language: str,
        replied: bool = False,
    ) -> Prediction:
        """One prediction from (labels, review flag, margins, rounded scores) and the text's rules."""
        labels, review, m, rounded = decided
        labels = unasked_further_access(text, p, refused_further_erasure(text, p, labels))
        if labels != ["auto"] and unreadable(text):
            # Not in a script the corpus has (Chinese, Cyrillic ...): its scores mean nothing.
            labels, review = ["other"], True
        elif guessed_right_without_evidence(text, p, self.thresholds, labels, replied):
            keep = signed_letter_sure_of_right(text, p, labels, replied)
            labels, review = (labels if keep else ["other"]), True
        elif labels == ["auto"]:
            gated = gate_auto(text, p, self.thresholds, self.secondary, self.review_margin, extra)
            if gated is not None:
                labels, review = gated
        return Prediction(
            labels=labels,
            scores=dict(zip(LABELS, rounded, strict=True)),
            needs_review=review,
            language=language,
            explanations=self.explainer.explain(x, i, labels),
            model_version=self.version,
            runner_up=runner_up(p, self.thresholds, labels, m),
        )


def _language(text: str, context: str) -> str:
    """The language of the writer's own text; of it and the quoted mail when its own words hold
    no function word to tell by (a German "Abmelden." above our German newsletter was answered
    in Dutch), never when they do ("Please delete my data." above a Dutch newsletter is English)."""
    if context and max(language_scores(text, normalised=True).values()) < 1.0:
        return detect_language(f"{text}\n{context}", normalised=True)
    return detect_language(text, normalised=True)


def _sigmoid(z: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def _fit_binary(x: object, y: npt.NDArray[np.int8]) -> LogisticRegression:
    # The dual formulation: far fewer examples than features, and 4x faster than the primal.
    clf = LogisticRegression(
        C=C_VALUE,
        solver="liblinear",
        dual=True,
        class_weight="balanced",
        max_iter=500,
        random_state=SEED,
        tol=LIBLINEAR_TOL,
    )
    clf.fit(x, y)
    return clf


def _best_threshold(p: FloatArray, y: npt.NDArray[np.int8], beta: float) -> float:
    """The middle of the range of thresholds with the best F-beta out of fold.

    The corpus separates its own classes easily, so a wide range scores alike; its lowest
    end let mail unlike the corpus (a parser's test message) pass as a right. The middle
    keeps the same out-of-fold score with room on both sides.
    """
    positives = int(y.sum())
    grid = np.arange(0.05, 0.91, 0.01)
    scores = []
    for t in grid:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        fp = int((pred & (y == 0)).sum())
        fn = positives - tp
        denom = (1 + beta**2) * tp + beta**2 * fn + fp
        scores.append((1 + beta**2) * tp / denom if denom else 0.0)
    best = max(scores)
    plateau = [float(t) for t, f in zip(grid, scores, strict=True) if f >= best - 1e-9]
    return plateau[len(plateau) // 2]


def train(data: TrainingSet, version: str, progress: ProgressFn | None = None) -> FittedModel:
    """Fit features, out-of-fold base scores, the stacker, thresholds, then the final models.

    BLAS threads are pinned to one: the work is many small fits, and on a busy 2-core
    machine threaded BLAS made training 3-4 times slower by oversubscription.
    """
    with threadpool_limits(limits=1):
        return _train(data, version, progress or (lambda stage, frac: None))


@dataclass
class _Prepared:
    data: TrainingSet
    x: Any
    clause_index: ClauseIndex
    folds: list[tuple[Any, Any]]


def _oof_base(prep: _Prepared, fold_models: list[tuple[FloatArray, FloatArray]]) -> FloatArray:
    """Out-of-fold meta features: each message scored by base models that never saw its group."""
    data, n_labels = prep.data, len(LABELS)
    n = len(data.texts)
    whole, clause, quoted = (np.zeros((n, n_labels)) for _ in range(3))
    quoted_all = data.quoted or [""] * n
    for (_, test_idx), (coef, intercept) in zip(prep.folds, fold_models, strict=True):
        whole[test_idx] = np.asarray(prep.x[test_idx] @ coef.T) + intercept
        clause[test_idx] = prep.clause_index.max_scores(coef, intercept)[test_idx]
        quoted[test_idx] = prep.clause_index.quoted_scores(coef, intercept, test_idx)
    has = np.asarray([bool(q) for q in quoted_all], dtype=np.float64)
    return meta_features(BaseScores(whole, clause, quoted, has), data.texts)


def _fit_stacker(meta: FloatArray, y: npt.NDArray[np.int8]) -> tuple[float, FloatArray, float]:
    """(intercept, coefficients) of one label's stacker; constants for a label absent from y."""
    if y.min() == y.max():
        return (10.0 if y.max() else -10.0), np.zeros(meta.shape[1]), 0.0
    clf = LogisticRegression(C=STACK_C, solver="lbfgs", max_iter=2000)
    clf.fit(meta, y)
    return float(clf.intercept_[0]), clf.coef_[0].astype(np.float64), 1.0


def _fit_label(
    prep: _Prepared, mj: FloatArray, yj: npt.NDArray[np.int8], rows: npt.NDArray[np.bool_]
) -> tuple[float, FloatArray, FloatArray]:
    """One label's stacker on the given rows: (intercept, weights, out-of-fold probabilities)."""
    oof = np.zeros(len(yj))
    intercept, coef, _ = _fit_stacker(mj[rows], yj[rows])
    for train_idx, test_idx in prep.folds:
        fit_rows = train_idx[rows[train_idx]]
        b, w, _ = _fit_stacker(mj[fit_rows], yj[fit_rows]) if fit_rows.size else (-10.0, coef * 0, 0.0)
        oof[test_idx] = _sigmoid(mj[test_idx] @ w + b)
    return intercept, coef, oof


@dataclass
class _Stacked:
    coef: FloatArray
    intercept: FloatArray
    oof: FloatArray
    cond_coef: FloatArray
    cond_intercept: FloatArray
    cond_oof: FloatArray


def _stack(prep: _Prepared, meta: FloatArray) -> _Stacked:
    """Both stackers per label, fitted on all out-of-fold meta features, with their own OOF output.

    The conditional one is trained only on messages that carry another right or complaint:
    there the question is not "is this a request" but "is this right asked for too".
    """
    n, n_labels = meta.shape[0], len(LABELS)
    shapes = [(n_labels, N_META), (n_labels,), (n, n_labels)] * 2
    st = _Stacked(*[np.zeros(shape) for shape in shapes])
    everything = np.ones(n, dtype=bool)
    for j, label in enumerate(LABELS):
        yj, mj = prep.data.y[:, j], meta[:, j, :]
        st.intercept[j], st.coef[j], st.oof[:, j] = _fit_label(prep, mj, yj, everything)
        others = [k for k, lb in enumerate(LABELS) if lb in COMBINING and k != j]
        rows = prep.data.y[:, others].max(axis=1) == 1
        if label in COMBINING and rows.any():
            st.cond_intercept[j], st.cond_coef[j], st.cond_oof[:, j] = _fit_label(prep, mj, yj, rows)
        else:
            st.cond_intercept[j], st.cond_coef[j], st.cond_oof[:, j] = (
                st.intercept[j],
                st.coef[j],
                st.oof[:, j],
            )
    return st


def _thresholds(
    p: FloatArray, cond: FloatArray, y: npt.NDArray[np.int8]
) -> tuple[FloatArray, FloatArray, dict[str, float]]:
    """Recall-leaning thresholds, secondary thresholds for extra rights, and CV figures."""
    n_labels = len(LABELS)
    thresholds = np.full(n_labels, 0.5)
    secondary = np.full(n_labels, 0.5)
    summary: dict[str, float] = {}
    for j, label in enumerate(LABELS):
        yj = y[:, j]
        t = _best_threshold(p[:, j], yj, 2.0 if label in COMBINING else 1.0)
        t = min(t, 0.5) if label in COMBINING else t
        thresholds[j] = secondary[j] = t
        if label in COMBINING:
            # When to add this label to a message that already carries another right or
            # complaint: F1 on exactly those messages (out of fold).
            others = [k for k, lb in enumerate(LABELS) if lb in COMBINING and k != j]
            mask = y[:, others].max(axis=1) == 1
            t2 = _best_threshold(cond[mask, j], yj[mask], SECONDARY_BETA) if yj[mask].any() else 0.5
            secondary[j] = min(max(t2, SECONDARY_FLOOR), SECONDARY_CAP)
            secondary[j] = max(secondary[j], SECONDARY_FLOOR_BY_LABEL.get(label, 0.0))
        pred = p[:, j] >= t
        tp = int((pred & (yj == 1)).sum())
        summary[f"cv_recall_{label}"] = tp / max(int(yj.sum()), 1)
        summary[f"cv_precision_{label}"] = tp / max(int(pred.sum()), 1)
    return thresholds, secondary, summary


def _review(
    p: FloatArray, cond: FloatArray, y: npt.NDArray[np.int8], thresholds: FloatArray, secondary: FloatArray
) -> tuple[DoubtModel | float, dict[str, float]]:
    """The review flag learned on the out-of-fold predictions: the doubt model (doubt.py) by
    default, else the narrowest margin that flags REVIEW_TARGET of the out-of-fold mistakes or
    the widest one within REVIEW_BUDGET of all mail when that comes first. Staff time is the
    hard limit either way, and the figures say how much doubt that buys."""
    parts = [decide_parts(p[i], thresholds, secondary, cond[i]) for i in range(len(p))]
    wrong = np.asarray(
        [
            set(labels) != {LABELS[j] for j in np.flatnonzero(row)}
            for (labels, _, _), row in zip(parts, y, strict=True)
        ]
    )
    rule = np.asarray([review for _, review, _ in parts])
    closest = np.asarray([c for _, _, c in parts])
    if DOUBT_MODEL:
        chosen = np.asarray([[label in labels for label in LABELS] for labels, _, _ in parts], dtype=bool)
        features = doubt_matrix(p, cond, thresholds, secondary, chosen)
        return fit_doubt(features, wrong, rule, DOUBT_BUDGET)
    margin = 0.0
    for candidate in np.arange(0.1, REVIEW_MARGIN_MAX + 1e-9, 0.1):
        flagged = rule | (closest < candidate)
        if flagged.mean() > REVIEW_BUDGET:
            break
        margin = float(candidate)
        if not wrong.any() or flagged[wrong].mean() >= REVIEW_TARGET:
            break
    flagged = rule | (closest < margin)
    return margin, {
        "cv_exact": 1 - float(wrong.mean()),
        "cv_wrong_flagged": float(flagged[wrong].mean()) if wrong.any() else 1.0,
        "cv_flagged": float(flagged.mean()),
    }


def _fit_labels(
    x: Any, y: npt.NDArray[np.int8], rows: npt.NDArray[np.intp] | None, absent: float
) -> tuple[FloatArray, FloatArray]:
    """One base model per label on the given rows (all when None): (coef, intercept).

    A label absent from (or on every row of) a tiny corpus gets a constant score of +-absent.
    """
    # The rows once for all labels, their columns sorted once: each fit sorted its own copy
    # before (scikit-learn's check of the largest value does), 4 s of a 22 s training.
    part = x if rows is None else x[rows]
    part.sort_indices()
    yr = y if rows is None else y[rows]
    n_labels = len(LABELS)
    coef = np.zeros((n_labels, x.shape[1]))
    intercept = np.zeros(n_labels)
    with threadpool_limits(limits=1):  # also in a worker process: BLAS threads only oversubscribe
        for j in range(n_labels):
            yj = yr[:, j]
            if yj.min() == yj.max():
                intercept[j] = absent if yj.max() else -absent
            else:
                clf = _fit_binary(part, yj)
                coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def _base_models(prep: _Prepared, report: ProgressFn) -> list[tuple[FloatArray, FloatArray]]:
    """The base models of every fold, then the final ones on all rows, FIT_PROCESSES at a time."""
    x, y = prep.x, prep.data.y
    # The final models (all rows, the longest job) first: started last, they ran alone on one
    # core while the other waited; the caller still gets the folds' models first, the final last.
    jobs: list[tuple[npt.NDArray[np.intp] | None, float]] = [(None, 10.0)]
    jobs += [(train_idx, 5.0) for train_idx, _ in prep.folds]
    out: list[tuple[FloatArray, FloatArray]] = []
    if x.shape[0] < PARALLEL_MIN_ROWS:
        for rows, absent in jobs:
            out.append(_fit_labels(x, y, rows, absent))
            report("base models", len(out) / len(jobs))
        return out[1:] + out[:1]
    # joblib's executor hands x to the workers as a memory map instead of a copy per job.
    executor = get_memmapping_executor(FIT_PROCESSES, initializer=die_with_parent)
    failed = True
    try:
        futures = [executor.submit(_fit_labels, x, y, rows, absent) for rows, absent in jobs]
        for future in futures:
            out.append(future.result())
            report("base models", len(out) / len(jobs))
        failed = False
    finally:
        # Training is rare (start-up, corrections): the workers go with it, at once if it failed.
        executor.terminate(kill_workers=failed)
    return out[1:] + out[:1]


def die_with_parent() -> None:
    """In a fitting process: be killed when the process that trains dies (Linux), so a killed
    worker leaves no fitting processes behind; elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _train(data: TrainingSet, version: str, report: ProgressFn) -> FittedModel:
    report("features", 0.0)
    features = FeatureSpace()
    x = features.fit_transform(data.texts)
    x.sort_indices()  # once, in place: every fit's input check would sort its own copy
    folds = list(GroupKFold(n_splits=N_FOLDS).split(x, groups=data.groups))
    # Clauses and quoted context read once for all folds; the whole texts are x already.
    index = ClauseIndex(features, data.texts, data.quoted or [""] * len(data.texts), whole=False)
    prep = _Prepared(data, x, index, folds)
    report("features", 1.0)
    *fold_models, (coef, intercept) = _base_models(prep, report)
    meta = _oof_base(prep, fold_models)
    st = _stack(prep, meta)
    thresholds, secondary, summary = _thresholds(st.oof, st.cond_oof, data.y)
    review, review_summary = _review(st.oof, st.cond_oof, data.y, thresholds, secondary)
    doubt, margin = (review, 0.0) if isinstance(review, DoubtModel) else (None, review)
    report("done", 1.0)
    return FittedModel(
        version=version,
        features=features,
        coef=coef,
        intercept=intercept,
        stack_coef=st.coef,
        stack_intercept=st.intercept,
        cond_coef=st.cond_coef,
        cond_intercept=st.cond_intercept,
        thresholds=thresholds,
        secondary=secondary,
        review_margin=margin,
        explainer=Explainer(features.feature_names(), features.n_word, coef),
        cv_summary=summary | review_summary | {"review_margin": margin},
        doubt=doubt,
    )
