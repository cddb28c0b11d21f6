"""Figures on the fourth held-out check set (tests/classifiers/data/checkset_4.jsonl).

Written on 2026-11-30 by a fourth hand that never opened the training corpus, the other check
sets or ../shared, in personas unlike those of earlier passes (144 voices: a priest, a pilot,
a Rotterdam dockworker, a Filipino seafarer, a Leipzig librarian ...). Its first measurement,
before anything was changed after it, is the least biased figure the project has on an unseen
hand: macro-F1 0.873, exact 0.810, request recall 0.937 (7 of 111 missed), 79 % of the wrong
predictions flagged, 28.5 % of all mail flagged. Two of the misses were German breach
complaints the model scored 1.00 and the request cue vetoed (the cue lacked German complaint
words); after that fix, and with the seventh training pass (written without sight of this set),
the figures are macro-F1 0.882, exact 0.810, request recall 0.964, 74 % of the wrong flagged,
27.5 % flagged. Never trained on. The floors sit a little under those figures: they guard
against getting worse and are not issue 15's targets.
"""

from __future__ import annotations

from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier

CHECKSET_4 = DATA / "checkset_4.jsonl"

MIN_REQUEST_RECALL = 0.95
MIN_MACRO_F1 = 0.86
MIN_EXACT = 0.79
MIN_WRONG_FLAGGED = 0.68
MAX_FLAGGED = 0.31


def _rows() -> list[dict[str, object]]:
    return read_rows(CHECKSET_4)


def test_check_set_4_format() -> None:
    assert_well_formed(_rows(), min_rows=190)


def test_check_set_4_figures(model: Classifier) -> None:
    floors = Floors(MIN_MACRO_F1, MIN_EXACT, MIN_REQUEST_RECALL, MIN_WRONG_FLAGGED, MAX_FLAGGED)
    assert_floors(model, _rows(), floors)
