"""Figures on the second held-out check set (tests/classifiers/data/checkset_2.jsonl).

checkset_2 is written by a different hand than the training corpus and the first check set,
without reading either, and is never trained on. Its value is the distance between writers.
The floors sit a little under what the model measured when they were set (2026-11-30, corpus
with handwritten_breadth_4a/4b: macro-F1 0.976, exact 0.934, request recall 0.990, flagged
19.3 %, wrong flagged 91.7 %; before those two files 0.952 / 0.901 / 0.990 / 22.1 % / 94.4 %;
with the fifth pass and the sixth pass's German part 0.980 / 0.939 / 0.990 / 20.4 % / 100 %; with
the request cue's consent and call words 0.982 / 0.945 / 1.000 / 19.9 % / 100 %),
so new training mail that makes a second writer's mail worse fails here. Training is seeded,
so the figures do not vary between runs of the same corpus.
"""

from __future__ import annotations

from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier

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
    assert_well_formed(_rows(), min_rows=150)


def test_check_set_2_figures(model: Classifier) -> None:
    floors = Floors(MIN_MACRO_F1, MIN_EXACT, MIN_REQUEST_RECALL, MIN_WRONG_FLAGGED, MAX_FLAGGED)
    assert_floors(model, _rows(), floors)
