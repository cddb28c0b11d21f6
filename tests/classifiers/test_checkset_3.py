"""Figures on the third held-out check set (tests/classifiers/data/checkset_3.jsonl).

Written on 2026-11-30 by a third hand that never opened the training corpus, the other check
sets or ../shared, from a brief that asked for realistic mail, neither easy nor tricky. Its
first measurement (before anything was trained after it) is the project's least biased figure
on unseen writers: macro-F1 0.906, exact 0.835, request recall 0.973 (3 of 111 missed), 79 %
of the wrong predictions flagged, 34 % of all mail flagged. The sixth training pass was then
written against the error *kinds* it showed (German one-liners and polite-question requests,
complaints without a request), never from its messages, so later figures here are optimistic.
Never trained on. The floors sit a little under the figures of the model they were set with
(corpus with the fifth pass and the sixth pass's German part, request cue with the words of
withdrawn consent and stopped calls): macro-F1 0.929, exact 0.870, request recall 0.991, 77 % of
the wrong predictions flagged, 31 % of all mail flagged.
"""

from __future__ import annotations

from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier

CHECKSET_3 = DATA / "checkset_3.jsonl"

MIN_REQUEST_RECALL = 0.97
MIN_MACRO_F1 = 0.90
MIN_EXACT = 0.84
MIN_WRONG_FLAGGED = 0.70
# Above issue 15's 25 %: on this writer's mail the model is unsure of a third of the
# messages. A floor against getting worse, not the target.
MAX_FLAGGED = 0.36


def _rows() -> list[dict[str, object]]:
    return read_rows(CHECKSET_3)


def test_check_set_3_format() -> None:
    assert_well_formed(_rows(), min_rows=190)


def test_check_set_3_figures(model: Classifier) -> None:
    floors = Floors(MIN_MACRO_F1, MIN_EXACT, MIN_REQUEST_RECALL, MIN_WRONG_FLAGGED, MAX_FLAGGED)
    assert_floors(model, _rows(), floors)
