"""Floors on the held-out check sets (tests/classifiers/data/checkset_19 ... _30.jsonl).

Each set is 200 messages (nl 90, en 60, de 50; about 110 requests, about 60 with two or three
labels) written on 2026-12-01 by its own hand, a writer that opened neither the training corpus,
the other check sets, the training writers' files nor ../shared, from one brief with its own
emphasis: 19 ordinary people everywhere, 20 formal writers and representatives, 21 phones and
dialect, 22 second-language writers and customers' staff, 23 threads and forwards, 24 concrete
situations (recordings, camera images, logs, relatives), 25-30 the mailbox as it comes. None
is trained on. Each was measured first on the model of 0c79c6d. 19-24 then judged the changes of
the sixth session (promoting check sets 8-18 and hands m-t, the doubt trees and their budget), and
four rules were fixed on messages of 20, 22 and 23 (consent and tracking words for a sure
complaint, German read-receipt subjects, a one-word "unsubscribe" above a quoted newsletter), so
those are optimistic; 25 and 26 were written while those choices were made and read only after
the last of them, 27 and 28 after that (one rule was then fixed on a message of 27: a German
absence notice's subject prefix "Abwesenheitsnotiz:"), 29 and 30 while hands u-w were written
and read first on 2357377, before those hands were added: they are the blind figures
(classifiers/corpus/README.md). The "first reading" column is the model of 0c79c6d on every
set. Check sets 8-18 were promoted into the corpus on the same day (former_checkset_8 ... _18).

| set | first reading (0c79c6d): macro-F1 / exact / recall / wrong flagged / flagged | now |
|---|---|---|
| 19 | 0.960 / 0.895 / 1.000 / 85.7 % / 20.5 % | 0.963 / 0.910 / 1.000 / 88.9 % / 16.0 % |
| 20 | 0.962 / 0.895 / 0.982 / 71.4 % / 21.5 % | 0.974 / 0.920 / 1.000 / 93.8 % / 22.5 % |
| 21 | 0.936 / 0.865 / 0.991 / 70.4 % / 21.5 % | 0.943 / 0.895 / 1.000 / 90.5 % / 25.0 % |
| 22 | 0.959 / 0.905 / 0.982 / 73.7 % / 20.0 % | 0.973 / 0.930 / 0.991 / 78.6 % / 17.5 % |
| 23 | 0.936 / 0.875 / 0.973 / 72.0 % / 30.5 % | 0.945 / 0.890 / 0.973 / 68.2 % / 26.5 % |
| 24 | 0.906 / 0.815 / 0.964 / 89.2 % / 38.0 % | 0.928 / 0.855 / 0.955 / 93.1 % / 32.5 % |
| 25 | 0.958 / 0.900 / 1.000 / 90.0 % / 22.5 % | 0.972 / 0.930 / 1.000 / 92.9 % / 18.0 % |
| 26 | 0.969 / 0.935 / 0.991 / 76.9 % / 17.0 % | 0.981 / 0.955 / 1.000 / 88.9 % / 15.0 % |
| 27 | 0.956 / 0.900 / 0.991 / 75.0 % / 21.5 % | 0.973 / 0.925 / 0.991 / 80.0 % / 21.0 % |
| 28 | 0.982 / 0.960 / 0.991 / 100 % / 18.0 % | 0.993 / 0.985 / 1.000 / 100.0 % / 17.0 % |
| 29 | 0.960 / 0.890 / 0.991 / 90.9 % / 27.5 % | 0.980 / 0.935 / 1.000 / 76.9 % / 17.5 % |
| 30 | 0.967 / 0.905 / 1.000 / 89.5 % / 23.0 % | 0.978 / 0.930 / 1.000 / 92.9 % / 18.5 % |

The floors sit a little under "now", so a change that makes the classifier worse on unseen
writers fails here, while the noise of a retrain does not. When a set has served, promote it
into the corpus (tools/corpus/promote.py) and write a new one: see the corpus README.
"""

from __future__ import annotations

import pytest
from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier, Document
from avgdesk.classifiers.labels import is_request

# set -> (macro-F1, exact, request recall, share of wrong flagged, at most this share flagged)
FLOORS = {
    "checkset_19": Floors(0.95, 0.89, 0.99, 0.79, 0.20),
    "checkset_20": Floors(0.96, 0.90, 0.99, 0.84, 0.27),
    "checkset_21": Floors(0.93, 0.87, 0.99, 0.81, 0.29),
    "checkset_22": Floors(0.96, 0.91, 0.98, 0.69, 0.21),
    "checkset_23": Floors(0.93, 0.86, 0.96, 0.58, 0.30),
    "checkset_24": Floors(0.91, 0.83, 0.94, 0.83, 0.36),
    "checkset_25": Floors(0.96, 0.91, 0.99, 0.83, 0.22),
    "checkset_26": Floors(0.97, 0.93, 0.99, 0.79, 0.19),
    "checkset_27": Floors(0.96, 0.90, 0.98, 0.70, 0.25),
    "checkset_28": Floors(0.98, 0.96, 0.99, 0.90, 0.21),
    "checkset_29": Floors(0.96, 0.91, 0.99, 0.67, 0.21),
    "checkset_30": Floors(0.96, 0.91, 0.99, 0.83, 0.23),
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
    assert len(rows) >= 590
    misread = [r for r, p in zip(rows, preds, strict=True) if p.language != "de"]
    # A request's language picks its reply; one dialect line about opening hours ("Habts ihr am
    # Freitag offen oder is da Brückentag?", other) is the one German message misread in 19-30.
    assert [r["id"] for r in misread if is_request(r["labels"])] == []  # type: ignore[arg-type]
    assert len(misread) <= 1, [r["id"] for r in misread]
    requests = [(r, p) for r, p in zip(rows, preds, strict=True) if is_request(r["labels"])]  # type: ignore[arg-type]
    missed = [r["id"] for r, p in requests if not is_request(p.labels)]
    assert len(missed) <= 2, missed
