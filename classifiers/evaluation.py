"""Measuring the classifier against labelled mail: the figures `avgdesk eval` prints.

Why these figures: macro-F1 weighs rare labels (restriction, portability) as much as
common ones; "request recall" asks the question that costs money, did we recognise
every message that starts a legal clock (any right or a complaint); and an `auto`
message labelled with a right would open a case for a machine, so those are listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from avgdesk.classifiers.contracts import Prediction
from avgdesk.classifiers.labels import LABELS, RIGHTS, is_request


@dataclass(frozen=True)
class LabelScore:
    precision: float
    recall: float
    f1: float
    support: int
    tp: int
    fp: int
    fn: int


@dataclass(frozen=True)
class EvalReport:
    per_label: dict[str, LabelScore]
    macro_f1: float
    request_recall: float
    request_precision: float
    n_requests: int
    n_messages: int
    exact_match: float
    needs_review: int
    confusions: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    confusion_pairs: dict[tuple[str, str], int] = field(default_factory=dict)
    auto_with_right: list[str] = field(default_factory=list)
    missed_requests: list[str] = field(default_factory=list)
    wrong: int = 0  # messages whose label set differs from the gold one
    wrong_flagged: int = 0  # ... of which needs_review was set
    unflagged_wrong: list[str] = field(default_factory=list)  # ... and those no person would see

    @property
    def flagged_share(self) -> float:
        """Share of all messages flagged needs_review."""
        return self.needs_review / self.n_messages if self.n_messages else 0.0

    @property
    def wrong_flagged_share(self) -> float:
        """Share of the wrong predictions that were flagged (1.0 when nothing was wrong)."""
        return self.wrong_flagged / self.wrong if self.wrong else 1.0

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values (``avgdesk eval --json``)."""
        return {
            "macro_f1": self.macro_f1,
            "request_recall": self.request_recall,
            "request_precision": self.request_precision,
            "exact_match": self.exact_match,
            "flagged_share": self.flagged_share,
            "wrong_flagged_share": self.wrong_flagged_share,
            "needs_review": self.needs_review,
            "wrong": self.wrong,
            "wrong_flagged": self.wrong_flagged,
            "unflagged_wrong": self.unflagged_wrong,
            "per_label": {k: asdict(v) for k, v in self.per_label.items()},
            "auto_with_right": self.auto_with_right,
            "missed_requests": self.missed_requests,
            "n_messages": self.n_messages,
            "n_requests": self.n_requests,
        }


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class _Tally:
    """Running counts while evaluate walks the messages."""

    counts: dict[str, list[int]] = field(default_factory=lambda: {label: [0, 0, 0] for label in LABELS})
    confusions: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    auto_with_right: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    unflagged: list[str] = field(default_factory=list)
    request: list[int] = field(default_factory=lambda: [0, 0, 0])  # tp, fp, fn
    exact: int = 0
    review: int = 0
    wrong_flagged: int = 0

    def add(self, key: str, g: set[str], pred: Prediction) -> None:
        p = set(pred.labels)
        self.review += pred.needs_review
        for label in LABELS:
            slot = 0 if label in g and label in p else 1 if label in p else 2 if label in g else -1
            if slot >= 0:
                self.counts[label][slot] += 1
        if g == p:
            self.exact += 1
        else:
            self.wrong_flagged += pred.needs_review
            if not pred.needs_review:
                self.unflagged.append(key)  # confidently wrong: what the doubt model must learn to catch
            self.confusions.append((key, sorted(g, key=LABELS.index), list(pred.labels)))
            for gl in g - p:
                for pl in (p - g) or {"(none)"}:
                    self.pairs[(gl, pl)] += 1
            if not g - p:
                for pl in p - g:
                    self.pairs[("(none)", pl)] += 1
        if "auto" in g and p & set(RIGHTS):
            self.auto_with_right.append(key)
        gr, pr = is_request(g), is_request(p)
        self.request[0] += gr and pr
        self.request[1] += (not gr) and pr
        self.request[2] += gr and not pr
        if gr and not pr:
            self.missed.append(key)


def _label_score(tp: int, fp: int, fn: int) -> LabelScore:
    prec = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    rec = tp / (tp + fn) if tp + fn else 1.0
    return LabelScore(prec, rec, _f1(prec, rec), tp + fn, tp, fp, fn)


def evaluate(
    gold: Sequence[tuple[str, list[str]]], predicted: Sequence[tuple[str, Prediction]]
) -> EvalReport:
    """Compare gold (id, labels) with predictions (id, Prediction), matched by id."""
    pred_by_id = {key: pred for key, pred in predicted}
    missing = [key for key, _ in gold if key not in pred_by_id]
    if missing:
        raise ValueError(f"no prediction for {missing[:5]}")
    t = _Tally()
    for key, gold_labels in gold:
        t.add(key, set(gold_labels), pred_by_id[key])
    per_label = {label: _label_score(*c) for label, c in t.counts.items()}
    req_tp, req_fp, req_fn = t.request
    n = len(gold)
    return EvalReport(
        per_label=per_label,
        macro_f1=sum(s.f1 for s in per_label.values()) / len(LABELS),
        request_recall=req_tp / (req_tp + req_fn) if req_tp + req_fn else 1.0,
        request_precision=req_tp / (req_tp + req_fp) if req_tp + req_fp else 1.0,
        n_requests=req_tp + req_fn,
        n_messages=n,
        exact_match=t.exact / n if n else 1.0,
        needs_review=t.review,
        confusions=t.confusions,
        confusion_pairs=dict(t.pairs.most_common()),
        auto_with_right=t.auto_with_right,
        missed_requests=t.missed,
        wrong=len(t.confusions),
        wrong_flagged=t.wrong_flagged,
        unflagged_wrong=t.unflagged,
    )


def format_report(report: EvalReport) -> str:
    """A plain-text table for the terminal (no colour codes, safe to redirect)."""
    lines = [f"{'label':<14}{'prec':>7}{'recall':>8}{'f1':>7}{'support':>9}{'fp':>5}{'fn':>5}"]
    for label in LABELS:
        s = report.per_label[label]
        lines.append(
            f"{label:<14}{s.precision:>7.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.support:>9}{s.fp:>5}{s.fn:>5}"
        )
    lines += [
        "",
        f"macro-F1            {report.macro_f1:.3f}",
        f"request recall      {report.request_recall:.3f}  "
        f"({report.n_requests} requests/complaints; precision {report.request_precision:.3f})",
        f"exact label sets    {report.exact_match:.3f}  ({report.n_messages} messages)",
        f"needs_review        {report.needs_review}  ({report.flagged_share:.0%} of all mail; "
        f"{report.wrong_flagged}/{report.wrong} = {report.wrong_flagged_share:.0%} of the wrong predictions)",
        f"auto with a right   {len(report.auto_with_right)}"
        + (f"  {', '.join(report.auto_with_right)}" if report.auto_with_right else ""),
    ]
    if report.missed_requests:
        lines.append(f"missed requests     {', '.join(report.missed_requests)}")
    if report.unflagged_wrong:
        lines.append(f"wrong, not flagged  {', '.join(report.unflagged_wrong)}")
    if report.confusion_pairs:
        lines += ["", "confusions (gold -> predicted):"]
        for (gold_label, pred_label), n in report.confusion_pairs.items():
            lines.append(f"  {gold_label:<14} -> {pred_label:<14} {n}")
    if report.confusions:
        lines += ["", "messages with a different label set:"]
        for key, g, p in report.confusions:
            lines.append(f"  {key}: gold {','.join(g)}  predicted {','.join(p) or '-'}")
    return "\n".join(lines)
