"""Floors on the held-out check sets (tests/classifiers/data/checkset_31 ... _38.jsonl).

Each set is 200 messages (nl 90, en 60, de 50; 110 requests, 60 with two or three labels) written
on 2026-12-01 (seventh session) by its own hand, a writer that opened neither the training corpus,
the other check sets, the training writers' files nor ../shared, from one brief with its own
emphasis: 31 the mailbox as it comes in an ordinary month, 32 formal writers (template-generator
letters, lawyers, removal services, guardians, heirs), 33 phones, dialect and second-language
writers, 34 threads (replies, reminders, forwards, wrappers), 35 business mail in privacy words
against requests in the same words, 36 complaints and concrete situations. None is trained on.
Each was read first on the model of 660c710 (the end of the sixth session). They then judged this
session's choices: promoting check sets 19-30 and hands x and y (119 -> 112 wrong label sets),
and three rules fixed on messages of 31 and 34 (a reply's subject goes with the mail it quotes;
a nudge such as "Nog nieuws??" reads the request it quotes; German "abmelden" is an order), so
31 and 34 are optimistic for those; hands z1-z3 were added after that (107 -> 105), and one
rule fixed on a message of 31 (an absence notice in the first person stays machine mail): 104;
then one on a message of 34 (an own wish above a forward, "Take me off your list", is not folded
into the forwarded newsletter): 105 wrong, 7 missed instead of 8. Check sets 37 (the mailbox in a
busy month after a newsletter and a breach letter) and 38 (a quiet month: requests hidden in
support tickets and job applications, formal letters, cross-border and expat writers, people
writing for someone) were written while that was done and read once on 660c710 (with its own
code) and once on the code of that point: 42 -> 33 wrong label sets, 6 -> 6 missed, the blind
figures of this session. One rule was then fixed on a message of 38 ("afmelden aub" above a
quoted invitation was folded into it like a bare greeting): 38 is optimistic for that one. An
attack review then narrowed two rules (a reply keeps its subject unless its own text is a short
order: a reminder may name its right only there; a nudge counts only where the text opens with
it): 31-36 103 wrong, 37-38 29, 10 requests missed in all.

| set | first reading (660c710): macro-F1 / exact / recall / wrong flagged / flagged | now |
|---|---|---|
| 31 | 0.953 / 0.895 / 0.991 / 85.7 % / 25.5 % | 0.979 / 0.945 / 1.000 / 81.8 % / 24.0 % |
| 32 | 0.973 / 0.940 / 1.000 / 100.0 % / 19.5 % | 0.977 / 0.945 / 1.000 / 90.9 % / 17.0 % |
| 33 | 0.949 / 0.900 / 0.936 / 90.0 % / 26.5 % | 0.952 / 0.900 / 0.945 / 95.0 % / 24.0 % |
| 34 | 0.965 / 0.920 / 0.991 / 68.8 % / 22.0 % | 0.970 / 0.935 / 1.000 / 92.3 % / 23.0 % |
| 35 | 0.948 / 0.890 / 1.000 / 90.9 % / 25.5 % | 0.952 / 0.895 / 1.000 / 85.7 % / 23.5 % |
| 36 | 0.932 / 0.860 / 1.000 / 82.1 % / 32.5 % | 0.932 / 0.865 / 1.000 / 81.5 % / 29.5 % |
| 37 | 0.950 / 0.895 / 1.000 / 90.5 % / 26.0 % | 0.963 / 0.925 / 1.000 / 93.3 % / 22.5 % |
| 38 | 0.947 / 0.895 / 0.945 / 66.7 % / 28.0 % | 0.963 / 0.930 / 0.964 / 64.3 % / 25.5 % |

Six of the missed requests are heavy dialect in 33 (Limburgs, Achterhoeks, Scots, Bavarian, Swiss
German): a hand written in dialects (z1) did not find them. The four of 38 are wishes the model does
not know as requests: "Please remove the photos I'm in", an account in the customer portal to
delete, and a P.S. in two job applications.

The floors sit a little under "now", so a change that makes the classifier worse on unseen writers
fails here, while the noise of a retrain does not. When a set has served, promote it into the
corpus (tools/corpus/promote.py) and write a new one: see the corpus README.
"""

from __future__ import annotations

import pytest
from checksets import DATA, Floors, assert_floors, assert_well_formed, read_rows

from avgdesk.classifiers import Classifier, Document
from avgdesk.classifiers.labels import is_request

# set -> (macro-F1, exact, request recall, share of wrong flagged, at most this share flagged)
FLOORS = {
    "checkset_31": Floors(0.97, 0.93, 0.99, 0.73, 0.27),
    "checkset_32": Floors(0.96, 0.93, 0.99, 0.82, 0.20),
    "checkset_33": Floors(0.94, 0.88, 0.94, 0.87, 0.27),
    "checkset_34": Floors(0.96, 0.92, 0.99, 0.84, 0.26),
    "checkset_35": Floors(0.94, 0.88, 0.99, 0.77, 0.26),
    "checkset_36": Floors(0.92, 0.85, 0.99, 0.73, 0.32),
    "checkset_37": Floors(0.95, 0.91, 0.99, 0.85, 0.25),
    "checkset_38": Floors(0.95, 0.91, 0.95, 0.56, 0.29),
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
    assert len(rows) >= 400
    misread = [r for r, p in zip(rows, preds, strict=True) if p.language != "de"]
    # A request's language picks its reply; one Bavarian line ("i mog koane Newsletter mehr vo
    # eich ...", check set 33) is the one German message misread in 31-38.
    assert len(misread) <= 1, [r["id"] for r in misread]
    requests = [(r, p) for r, p in zip(rows, preds, strict=True) if is_request(r["labels"])]  # type: ignore[arg-type]
    missed = [r["id"] for r, p in requests if not is_request(p.labels)]
    # Two missed, both dialect (Bavarian and Swiss German, check set 33).
    assert len(missed) <= 2, missed
