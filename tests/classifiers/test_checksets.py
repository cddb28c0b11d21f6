"""Floors on the held-out check sets (tests/classifiers/data/checkset_8 ... _14.jsonl).

Each set is 200 messages (nl 90, en 60, de 50; about 110 requests, about 60 with two or three
labels) written on 2026-12-01 by its own hand, a writer that opened neither the training corpus,
the other check sets, the training writers' files nor ../shared, from a brief that asked for mail
as it arrives. None is trained on. Sets 8-12 were measured first with the model of 591ceab (the
corpus before check sets 1-7 and hands a-k were promoted into it) and then used to choose between
corpora and rules; sets 13 and 14 were written afterwards and measured first on the chosen model
(fa6c138), so theirs are the least biased figures (see classifiers/corpus/README.md):

| set | 591ceab: macro-F1 / exact / recall / wrong flagged / flagged | now |
|---|---|---|
| 8  | 0.928 / 0.865 / 0.991 / 66.7 % / 26.0 % | 0.956 / 0.890 / 1.000 / 81.8 % / 21.0 % |
| 9  | 0.925 / 0.845 / 0.955 / 61.3 % / 30.0 % | 0.946 / 0.880 / 0.982 / 87.5 % / 25.5 % |
| 10 | 0.912 / 0.840 / 0.991 / 75.0 % / 26.0 % | 0.935 / 0.880 / 1.000 / 87.5 % / 22.5 % |
| 11 | 0.933 / 0.855 / 0.955 / 69.0 % / 24.0 % | 0.960 / 0.905 / 0.991 / 78.9 % / 21.0 % |
| 12 | 0.931 / 0.855 / 0.964 / 69.0 % / 27.0 % | 0.970 / 0.925 / 0.991 / 80.0 % / 19.5 % |
| 13 | 0.925 / 0.850 / 0.973 / 76.7 % / 28.5 % | 0.961 / 0.900 / 0.991 / 80.0 % / 26.0 % * |
| 14 | 0.952 / 0.910 / 0.991 / 50.0 % / 18.5 % | 0.978 / 0.945 / 1.000 / 81.8 % / 13.0 % * |
* first measured on fa6c138, the model these floors guard (the rule fixes after it move no
figure here).

Check set 11 is a little optimistic: one of its messages (a German complaint the request cue
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
    "checkset_12": Floors(0.95, 0.90, 0.98, 0.75, 0.24),
    "checkset_13": Floors(0.94, 0.88, 0.98, 0.74, 0.30),
    "checkset_14": Floors(0.95, 0.92, 0.99, 0.68, 0.18),
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
    assert len(rows) >= 340
    misread = [r["id"] for r, p in zip(rows, preds, strict=True) if p.language != "de"]
    assert misread == []
    requests = [(r, p) for r, p in zip(rows, preds, strict=True) if is_request(r["labels"])]  # type: ignore[arg-type]
    missed = [r["id"] for r, p in requests if not is_request(p.labels)]
    assert len(missed) <= 2, missed  # 1 of 136 German requests at the last change (r182)
