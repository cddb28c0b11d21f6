"""Figures on the sixth held-out check set (tests/classifiers/data/checkset_6.jsonl).

Written on 2026-11-30 by a sixth hand that opened neither the training corpus, the other check
sets, ../shared nor the lead's notes, in 200 voices (an Achterhoek farmer, Frisian and Limburg
writers, Flemish, Dutch as a second language, machine-translated English, Swiss German ...).
Measured first with the model of commit 683e7fc: macro-F1 0.877, exact 0.795, request recall
0.954 (5 of 108 missed), 68.3 % of the wrong predictions flagged, 33.5 % of all mail flagged.
One miss (a terse "Art 15 + Art 17. Copy of all data, then delete." vetoed by the request cue)
was then fixed in the rules (4bb726d): 0.883 / 0.800 / 0.963 / 67.5 % / 33.5 %. It then judged
the held-back eleventh and twelfth passes (classifiers/corpus/held_back/), which were written
against its misses and are therefore optimistic on it. Never trained on. The floors sit a
little under the figures: they guard against getting worse and are not issue 15's targets.
"""

from __future__ import annotations

from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier

CHECKSET_6 = DATA / "checkset_6.jsonl"

MIN_REQUEST_RECALL = 0.95
MIN_MACRO_F1 = 0.86
MIN_EXACT = 0.78
MIN_WRONG_FLAGGED = 0.62
MAX_FLAGGED = 0.37


def _rows() -> list[dict[str, object]]:
    return read_rows(CHECKSET_6)


def test_check_set_6_format() -> None:
    assert_well_formed(_rows(), min_rows=190)


def test_check_set_6_figures(model: Classifier) -> None:
    floors = Floors(MIN_MACRO_F1, MIN_EXACT, MIN_REQUEST_RECALL, MIN_WRONG_FLAGGED, MAX_FLAGGED)
    assert_floors(model, _rows(), floors)
