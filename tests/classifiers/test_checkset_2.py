"""Figures on the second held-out check set (tests/classifiers/data/checkset_2.jsonl).

checkset_2 is written by a different hand than the training corpus and the first check set,
without reading either, and is never trained on. Its value is the distance between writers.
The floors sit a little under what the model measured when they were set (2026-11-30, corpus
with handwritten_breadth_4a/4b: macro-F1 0.976, exact 0.934, request recall 0.990, flagged
19.3 %, wrong flagged 91.7 %; before those two files 0.952 / 0.901 / 0.990 / 22.1 % / 94.4 %),
so new training mail that makes a second writer's mail worse fails here. Training is seeded,
so the figures do not vary between runs of the same corpus.
"""

from __future__ import annotations

from checksets import DATA, predict_and_report, read_rows, trained_on

from avgdesk.classifiers import Classifier, format_report
from avgdesk.classifiers.labels import LABELS, STANDALONE, is_request

CHECKSET_2 = DATA / "checkset_2.jsonl"

# A floor, not a measurement: a missed request costs a statutory deadline, so even on a
# second writer's mail nearly every request must be seen as one.
MIN_REQUEST_RECALL = 0.98
MIN_MACRO_F1 = 0.95
MIN_EXACT = 0.90
# Issue 15's doubt targets: at least 90 % of wrong predictions flagged at most 25 % flagged.
# Tolerated down to 0.85 on these 12-18 wrong ones (one message is 6-8 points).
MIN_WRONG_FLAGGED = 0.85
MAX_FLAGGED = 0.25


def _rows() -> list[dict[str, object]]:
    return read_rows(CHECKSET_2)


def test_check_set_2_format() -> None:
    rows = _rows()
    assert len(rows) >= 150
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["lang"] for r in rows} == {"nl", "en", "de"}
    for r in rows:
        assert set(r) == {"id", "voice", "subject", "body", "labels", "lang"}, r["id"]
        labels = r["labels"]
        assert isinstance(labels, list) and labels, r["id"]
        assert all(label in LABELS for label in labels) and len(set(labels)) == len(labels), r["id"]
        # question, other and auto stand alone; rights and complaint combine.
        assert len(labels) == 1 or not set(labels) & set(STANDALONE), r["id"]
        assert all(isinstance(r[k], str) and str(r[k]).strip() for k in ("voice", "subject", "body")), r["id"]
    assert trained_on(rows) == []


def test_check_set_2_figures(model: Classifier) -> None:
    rows = _rows()
    preds, report = predict_and_report(model, rows)
    print(format_report(report))
    wrong = [
        (r["id"], r["lang"], "+".join(r["labels"]), "+".join(p.labels), p.needs_review)  # type: ignore[arg-type]
        for r, p in zip(rows, preds, strict=True)
        if sorted(p.labels) != sorted(r["labels"])  # type: ignore[call-overload]
    ]
    for row in wrong:
        print("wrong", *row)
    requests = sum(is_request(r["labels"]) for r in rows)  # type: ignore[arg-type]
    print(f"{len(rows)} messages, {requests} requests, {len(wrong)} wrong label sets")
    assert report.request_recall >= MIN_REQUEST_RECALL, report.missed_requests
    assert report.macro_f1 >= MIN_MACRO_F1
    assert report.exact_match >= MIN_EXACT
    assert report.flagged_share <= MAX_FLAGGED
    assert report.wrong_flagged_share >= MIN_WRONG_FLAGGED
    assert report.auto_with_right == []
