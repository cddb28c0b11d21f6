"""Floors on the held-out check sets (tests/classifiers/data/checkset_8 ... _16.jsonl).

Each set is 200 messages (nl 90, en 60, de 50; about 110 requests, about 60 with two or three
labels) written on 2026-12-01 by its own hand, a writer that opened neither the training corpus,
the other check sets, the training writers' files nor ../shared, from a brief that asked for mail
as it arrives. None is trained on. Sets 8-12 were measured first with the model of 591ceab (the
corpus before check sets 1-7 and hands a-k were promoted into it) and then used to choose between
corpora and rules; 13 and 14 were written afterwards and measured first on fa6c138, 15 and 16
later still, measured first on f420e2e; hand_l's brief named the kinds of complaint check sets 9,
11 and 12 missed, so those three are optimistic since (see classifiers/corpus/README.md):

| set | 591ceab: macro-F1 / exact / recall / wrong flagged / flagged | now (first: macro-F1 when first read) |
|---|---|---|
| 8  | 0.928 / 0.865 / 0.991 / 66.7 % / 26.0 % | 0.955 / 0.885 / 1.000 / 82.6 % / 21.5 % |
| 9  | 0.925 / 0.845 / 0.955 / 61.3 % / 30.0 % | 0.950 / 0.880 / 0.982 / 87.5 % / 25.0 % |
| 10 | 0.912 / 0.840 / 0.991 / 75.0 % / 26.0 % | 0.935 / 0.875 / 1.000 / 88.0 % / 21.5 % |
| 11 | 0.933 / 0.855 / 0.955 / 69.0 % / 24.0 % | 0.955 / 0.895 / 0.991 / 81.0 % / 21.0 % |
| 12 | 0.931 / 0.855 / 0.964 / 69.0 % / 27.0 % | 0.971 / 0.925 / 1.000 / 73.3 % / 19.0 % |
| 13 | 0.925 / 0.850 / 0.973 / 76.7 % / 28.5 % | 0.966 / 0.910 / 0.991 / 88.9 % / 25.0 % first 0.961 |
| 14 | 0.952 / 0.910 / 0.991 / 50.0 % / 18.5 % | 0.978 / 0.945 / 1.000 / 81.8 % / 14.5 % first 0.978 |
| 15 | 0.919 / 0.830 / 0.955 / 73.5 % / 26.5 % | 0.949 / 0.875 / 1.000 / 80.0 % / 26.5 % first 0.945 |
| 16 | 0.914 / 0.825 / 0.973 / 71.4 % / 31.5 % | 0.947 / 0.875 / 1.000 / 80.0 % / 24.0 % first 0.948 |

Check set 11 is optimistic also because one of its messages (a German complaint the request cue
vetoed) led to the sure-complaint rule in classifiers/decision.py. The floors sit a little under
"now", so a change that makes the classifier worse on unseen writers fails here, while the noise
of a retrain does not. When a set has served, promote it into the corpus
(tools/corpus/promote.py) and write a new one: see the corpus README.
"""

from __future__ import annotations

import pytest
from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier, Document
from avgdesk.classifiers.labels import is_request

# set -> (macro-F1, exact, request recall, share of wrong flagged, at most this share flagged)
FLOORS = {
    "checkset_8": Floors(0.93, 0.87, 0.99, 0.76, 0.25),
    "checkset_9": Floors(0.92, 0.86, 0.97, 0.82, 0.30),
    "checkset_10": Floors(0.91, 0.86, 0.99, 0.82, 0.27),
    "checkset_11": Floors(0.93, 0.88, 0.97, 0.75, 0.26),
    "checkset_12": Floors(0.95, 0.90, 0.98, 0.68, 0.24),
    "checkset_13": Floors(0.94, 0.88, 0.98, 0.74, 0.30),
    "checkset_14": Floors(0.95, 0.92, 0.99, 0.68, 0.18),
    "checkset_15": Floors(0.93, 0.85, 0.99, 0.75, 0.30),
    "checkset_16": Floors(0.93, 0.85, 0.99, 0.75, 0.28),
}


def _rows(name: str) -> list[dict[str, object]]:
    return read_rows(DATA / f"{name}.jsonl")


def test_every_check_set_has_floors() -> None:
    assert sorted(p.stem for p in DATA.glob("checkset*.jsonl")) == sorted(FLOORS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_check_set_format(name: str) -> None:
    assert_well_formed(_rows(name), min_rows=190)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_check_set_figures(model: Classifier, name: str) -> None:
    assert_floors(model, _rows(name), FLOORS[name])


def test_german_is_read_as_german_and_its_requests_found(model: Classifier) -> None:
    rows = [r for name in sorted(FLOORS) for r in _rows(name) if r["lang"] == "de"]
    preds = model.predict([Document(str(r["subject"]), str(r["body"])) for r in rows])
    assert len(rows) >= 440
    misread = [r["id"] for r, p in zip(rows, preds, strict=True) if p.language != "de"]
    assert misread == []
    requests = [(r, p) for r, p in zip(rows, preds, strict=True) if is_request(r["labels"])]  # type: ignore[arg-type]
    missed = [r["id"] for r, p in requests if not is_request(p.labels)]
    assert len(missed) <= 2, missed  # 1 of 136 German requests at the last change (r182)
