"""Floors on the held-out check set (tests/classifiers/data/checkset.jsonl).

The check set is written in voices the training corpus does not use and is never trained
on. The floors sit a little below the figures measured when the model was last changed
(see classifiers/corpus/README.md), so a change that makes the classifier worse on unseen
writers fails here, while noise from a retrain does not.
"""

from __future__ import annotations

from checksets import DATA, Floors, assert_floors, read_rows, trained_on

from avgdesk.classifiers import Classifier, Document
from avgdesk.classifiers.labels import is_request

CHECKSET = DATA / "checkset.jsonl"

# Measured at the last model change (issue 15, second pass: learned doubt model, breadth
# corpus): macro-F1 0.916, exact 0.841, request recall 1.000, 38 % of the wrong predictions
# flagged, 21 % of all mail flagged. The aim is 90 % of the wrong ones within 25 %:
# most remaining mistakes here are confidently wrong, so no review rule reaches it yet.
# Re-measured after the one-pass clause reading (same predictions for the same model) with
# business_breadth_2.jsonl in the corpus: 0.905, 0.829, 1.000, 46 % (13/28) flagged, 22 % of all.
# The rules' doubts as evidence for the doubt model instead of flags of their own (cut chosen
# on grouped out-of-fold predictions, not here): 68 % (19/28) of the wrong ones, 22 % of all;
# 59 % (16/27) at 24 % with a 220-message corpus addition that was tried, hence the floor.
# With handwritten_breadth_4a/4b (two other writers, 2026-11-30): 0.925, 0.860, 1.000,
# 65 % (15/23) of the wrong ones flagged, 23 % of all. With the fifth pass and the sixth pass's
# German part (2026-11-30): 0.918, 0.841, 1.000, 69 % (18/26) flagged, 22 % of all.
MIN_MACRO_F1 = 0.90
MIN_EXACT = 0.84
MIN_REQUEST_RECALL = 1.0
MIN_WRONG_FLAGGED = 0.60
MAX_FLAGGED = 0.25


def _rows() -> list[dict[str, object]]:
    return read_rows(CHECKSET)


def test_check_set_is_never_trained_on() -> None:
    rows = _rows()
    assert len(rows) >= 150
    assert {r["lang"] for r in rows} == {"nl", "en", "de"}
    assert sum(len(r["labels"]) > 1 for r in rows) >= 25  # type: ignore[arg-type]
    assert trained_on(rows) == []


def test_check_set_floors(model: Classifier) -> None:
    floors = Floors(MIN_MACRO_F1, MIN_EXACT, MIN_REQUEST_RECALL, MIN_WRONG_FLAGGED, MAX_FLAGGED)
    assert_floors(model, _rows(), floors)


def test_check_set_german(model: Classifier) -> None:
    rows = [r for r in _rows() if r["lang"] == "de"]
    preds = model.predict([Document(str(r["subject"]), str(r["body"])) for r in rows])
    assert all(p.language == "de" for p in preds), [p.language for p in preds]
    for r, p in zip(rows, preds, strict=True):
        if is_request(r["labels"]):  # type: ignore[arg-type]
            assert is_request(p.labels), (r["id"], p.labels)
