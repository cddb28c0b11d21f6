"""Figures on the fifth held-out check set (tests/classifiers/data/checkset_5.jsonl).

Written on 2026-11-30 by a fifth hand that never opened the training corpus, the other check
sets, the lead's notes or ../shared, in about 100 personas unlike those of earlier passes (a
wedding photographer, a locksmith, a stand-up comedian, a taxi dispatcher, a Syrian engineer
in Enschede, a Dresden bicycle mechanic ...). Measured first, with the model as it stood after
the seventh and ninth training passes and the German request-cue words (none of them written
with sight of this set): macro-F1 0.913, exact 0.830, request recall 1.000 (108 of 108), 76.5 %
of the wrong predictions flagged, 33.5 % of all mail flagged. It also judged the held-back
eighth pass (classifiers/corpus/held_back/): 34 -> 36 wrong with it. Never trained on. The
floors sit a little under the first figures: they guard against getting worse and are not
issue 15's targets.
"""

from __future__ import annotations

from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier

CHECKSET_5 = DATA / "checkset_5.jsonl"

MIN_REQUEST_RECALL = 0.98
MIN_MACRO_F1 = 0.89
MIN_EXACT = 0.81
MIN_WRONG_FLAGGED = 0.70
MAX_FLAGGED = 0.36


def _rows() -> list[dict[str, object]]:
    return read_rows(CHECKSET_5)


def test_check_set_5_format() -> None:
    assert_well_formed(_rows(), min_rows=190)


def test_check_set_5_figures(model: Classifier) -> None:
    floors = Floors(MIN_MACRO_F1, MIN_EXACT, MIN_REQUEST_RECALL, MIN_WRONG_FLAGGED, MAX_FLAGGED)
    assert_floors(model, _rows(), floors)
