from __future__ import annotations

import json

import pytest

from avgdesk.classifiers import Prediction, evaluate, format_report


def _p(*labels: str) -> Prediction:
    return Prediction(
        labels=list(labels), scores={}, needs_review=False, language="nl", explanations={}, model_version="t"
    )


def test_evaluate_numbers() -> None:
    gold = [
        ("a", ["access"]),
        ("b", ["erasure", "objection"]),
        ("c", ["auto"]),
        ("d", ["question"]),
        ("e", ["complaint", "access"]),
    ]
    pred = [
        ("a", _p("access")),
        ("b", _p("erasure")),
        ("c", _p("erasure")),
        ("d", _p("question")),
        ("e", _p("other")),
    ]
    r = evaluate(gold, pred)
    acc = r.per_label["access"]
    assert (acc.tp, acc.fp, acc.fn) == (1, 0, 1)
    assert acc.precision == 1.0 and acc.recall == 0.5 and acc.f1 == pytest.approx(2 / 3)
    er = r.per_label["erasure"]
    assert (er.tp, er.fp, er.fn) == (1, 1, 0) and er.f1 == pytest.approx(2 / 3)
    assert r.per_label["objection"].recall == 0.0
    assert r.per_label["question"].f1 == 1.0
    # labels nobody used and nobody predicted count as perfect
    assert r.per_label["portability"].f1 == 1.0
    # requests: a, b, e are requests; e missed; c (auto) wrongly called a request
    assert r.n_requests == 3
    assert r.request_recall == pytest.approx(2 / 3)
    assert r.request_precision == pytest.approx(2 / 3)
    assert r.missed_requests == ["e"]
    assert r.auto_with_right == ["c"]
    assert r.exact_match == pytest.approx(2 / 5)
    expected_macro = sum(s.f1 for s in r.per_label.values()) / 10
    assert r.macro_f1 == pytest.approx(expected_macro)
    assert r.confusion_pairs[("auto", "erasure")] == 1
    text = format_report(r)
    assert "macro-F1" in text and "request recall" in text and "auto with a right   1" in text


def test_evaluate_requires_every_prediction() -> None:
    with pytest.raises(ValueError):
        evaluate([("a", ["access"])], [])


def test_flagged_share_of_wrong_predictions() -> None:
    def p(labels: list[str], review: bool) -> Prediction:
        return Prediction(
            labels=labels, scores={}, needs_review=review, language="nl", explanations={}, model_version="t"
        )

    gold = [("a", ["access"]), ("b", ["erasure"]), ("c", ["other"]), ("d", ["question"])]
    pred = [
        ("a", p(["access"], True)),  # right, flagged
        ("b", p(["objection"], True)),  # wrong, flagged
        ("c", p(["access"], False)),  # wrong, not flagged
        ("d", p(["question"], False)),
    ]
    r = evaluate(gold, pred)
    assert (r.wrong, r.wrong_flagged, r.needs_review) == (2, 1, 2)
    assert r.wrong_flagged_share == pytest.approx(0.5)
    assert r.flagged_share == pytest.approx(0.5)
    assert "1/2 = 50% of the wrong predictions" in format_report(r)
    assert r.unflagged_wrong == ["c"] and "wrong, not flagged  c" in format_report(r)
    perfect = evaluate(gold[:1], pred[:1])
    assert perfect.wrong == 0 and perfect.wrong_flagged_share == 1.0
    figures = r.as_dict()
    assert figures["exact_match"] == pytest.approx(0.5)
    assert figures["flagged_share"] == pytest.approx(0.5)
    assert figures["wrong_flagged_share"] == pytest.approx(0.5)
    assert figures["per_label"]["access"]["fp"] == 1
    json.dumps(figures)  # JSON-ready as it is
