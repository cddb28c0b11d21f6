"""Floors on the held-out check sets (tests/classifiers/data/checkset_39 ... _47.jsonl).

Each set is 200 messages (nl 90, en 60, de 50; 110 requests, 60 with two or three labels, 15
complaints that ask for nothing; 25 question, 55 other, 10 auto) written on 2026-12-01 (eighth
session) by its own hand, a writer that opened neither the training corpus, the other check sets,
the training writers' files nor ../shared, from one brief with its own emphasis: 39 people writing
for someone else (parents, carers, executors, employers) and photos, video, camera images, call
recordings and badge logs; 40 contact forms, phone one-liners and second-language writers; 41 long
business mail with the wish buried in it (cancellations, invoice disputes, tickets, applications)
against long business mail about data with no wish; 42 formal writers (lawyers, consumer
organisations, removal services, request generators, unions, Austrian and Swiss letters) and
procurement's privacy questions; 43 threads and forwards (reminders, escalations, NHMB staff
forwarding a customer's mail, language switches); 44 the hard negatives (business mail in the
rights' words, how-questions, machine mail) against subtly written requests. Check set 45 (150:
nl 60, en 45, de 45; no machine mail) was written on 2026-12-02 (ninth session) by a hand that opened
neither the corpus nor ../shared: replies, threads and forwards (reminders, a new wish in an old
thread, "thanks, received" below NHMB's answer, one-line forwards, 17 NHMB staff forwards). Its first
reading, on the corpus with hands ae and af, showed replies that only thank read as the right in
their subject (8 of 43 wrong), and its two missed requests were NHMB staff forwards; the
closing-reply rule (decision.closing_reply) was made from the first (and narrowed after an attack
review showed it vetoing "Thanks. Close my second account too.": every longer sentence must thank,
acknowledge or sign off; it now takes set 45 from 40 to 36 wrong), German arrival words of the
handover ("kam an die Buchhaltung") from the second, so its "now" is no longer blind to them (39-44,
blind to the closing rule, did not move). Check set 46 (200: nl 90, en 60, de 50; 111 requests, 59 with
two or three labels, 14 complaints that ask for nothing; 25 question, 54 other, 10 auto) was written on
2026-12-02 (tenth session) by a hand that opened neither the corpus, the other sets nor ../shared: an
ordinary month of privacy@ and info@ (template letters, representatives, phone messages, second-language
writers, threads, contact forms), each ambiguous message rewritten until a careful privacy officer would
agree with its labels. Check set 47 (200, the same mix) was written the same day, after every choice
of the session, by a hand that opened neither the corpus, the other sets nor ../shared: half of its
requests are letters from public request-template sites and consumer organisations' model letters
(article numbers, lists, deadlines, half-filled placeholders, some rights ticked and others not), half
in people's own words. None is trained on.

Each was read first on the model of b14254f (the end of the seventh session), before anything of
the eighth session was chosen: 149 wrong label sets of 1,200, 4 requests missed. They then judged
the choices of the eighth and ninth sessions: promoting check sets 31-38 and hands aa and ab, four
grouped folds instead of five, hands ac, ad, ae and af, German "keine ... mehr" and "Werbe-" as
asking (check set 40's opt-out above a quoted invitation), the final base models fitted first, and
a colleague's handover above a forward read with the mail it hands on (text.hands_over; made from
check set 43's two missed NHMB staff forwards; in forwards only, narrowed after an attack review):
122 wrong label sets, no request missed. In the tenth session six hands of 150 (ag-al, see the corpus
README) took 39-44 to 107 wrong label sets (one request missed: c41_009, a job application with the
erasure wish in its last paragraph, flagged), 45 from 36 to 27 wrong and 46 from 9 to 10; two more
(am, an) changed nothing measurable (107, 27, 10) and were kept for their voices; the doubt budget
0.23 -> 0.25 (model.DOUBT_BUDGET) took the flagged share of all eight sets from 23.0 to 24.8 % and the
share of mistakes flagged from 87.5 to 89.6 %; a clause-final negator negating the words before it
("Bitte löschen Sie mein Konto NICHT!", features._before_final_negator; with hand al's examples)
took 39-44 to 102 wrong and all eight sets to 139 wrong, 92.1 % of them flagged at 24.7 % flagged.

Figures as macro-F1/exact/recall/wrong flagged %/flagged %:

| set | first reading (b14254f; 45: with ae, af; 46: 9db3187) | ninth session (9db3187) | now (ag-an, 0.25) |
|---|---|---|---|
| 39 | 0.963/0.900/1.000/85.0/33.0 | 0.971/0.920/1.000/87.5/30.0 | 0.980/0.940/1.000/83.3/30.0 |
| 40 | 0.976/0.950/0.991/90.0/19.0 | 0.978/0.950/1.000/100/18.5 | 0.980/0.955/1.000/100/18.0 |
| 41 | 0.878/0.750/1.000/96.0/39.0 | 0.894/0.780/1.000/95.5/38.5 | 0.906/0.810/0.991/100/37.0 |
| 42 | 0.958/0.920/1.000/87.5/21.0 | 0.961/0.920/1.000/81.2/17.0 | 0.967/0.925/1.000/93.3/19.5 |
| 43 | 0.931/0.830/0.982/88.2/27.0 | 0.953/0.880/1.000/75.0/23.0 | 0.959/0.905/1.000/84.2/24.5 |
| 44 | 0.962/0.905/0.991/89.5/25.5 | 0.977/0.940/1.000/83.3/19.5 | 0.985/0.955/1.000/77.8/21.0 |
| 45 | 0.859/0.713/0.978/76.7/35.3 | 0.891/0.760/1.000/77.8/35.3 | 0.927/0.820/1.000/92.6/33.3 |
| 46 | 0.984/0.955/1.000/77.8/17.0 | (first reading) | 0.983/0.950/1.000/90.0/16.5 |
| 47 | 0.958/0.900/1.000/100/19.0 (04874a3) | (not yet written) | (first reading) |

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
    "checkset_39": Floors(0.96, 0.90, 0.99, 0.70, 0.33),
    "checkset_40": Floors(0.96, 0.93, 0.98, 0.85, 0.21),
    "checkset_41": Floors(0.88, 0.76, 0.98, 0.84, 0.41),
    "checkset_42": Floors(0.94, 0.89, 0.99, 0.75, 0.23),
    "checkset_43": Floors(0.93, 0.85, 0.99, 0.72, 0.28),
    "checkset_44": Floors(0.96, 0.91, 0.99, 0.75, 0.26),
    "checkset_45": Floors(0.90, 0.78, 0.99, 0.78, 0.38),
    "checkset_46": Floors(0.96, 0.92, 0.99, 0.70, 0.22),
    "checkset_47": Floors(0.94, 0.87, 0.99, 0.85, 0.23),
}


def _rows(name: str) -> list[dict[str, object]]:
    return read_rows(DATA / f"{name}.jsonl")


def test_every_check_set_has_floors() -> None:
    assert sorted(p.stem for p in DATA.glob("checkset*.jsonl")) == sorted(FLOORS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_check_set_format(name: str) -> None:
    assert_well_formed(_rows(name), min_rows=150)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_check_set_figures(model: Classifier, name: str) -> None:
    assert_floors(model, _rows(name), FLOORS[name])


def test_german_is_read_as_german_and_its_requests_found(model: Classifier) -> None:
    rows = [r for name in sorted(FLOORS) for r in _rows(name) if r["lang"] == "de"]
    preds = model.predict([Document(str(r["subject"]), str(r["body"])) for r in rows])
    assert len(rows) >= 300
    misread = [r for r, p in zip(rows, preds, strict=True) if p.language != "de"]
    # A request's language picks its reply. The three German messages read as Dutch in 39-44 are
    # German mail forwarded by NHMB staff with a Dutch line on top (check set 43): the reply then
    # goes to the colleague who forwarded it, in Dutch.
    assert len(misread) <= 3, [r["id"] for r in misread]
    requests = [(r, p) for r, p in zip(rows, preds, strict=True) if is_request(r["labels"])]  # type: ignore[arg-type]
    missed = [r["id"] for r, p in requests if not is_request(p.labels)]
    # None missed in 39-45 since "keine ... mehr" asks (check set 40: "Zum letzten Mal: keine
    # Werbe-Mails mehr an diese Adresse." above a quoted webinar invitation was missed before).
    assert len(missed) <= 1, missed
