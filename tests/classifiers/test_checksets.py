"""Floors on the held-out check sets (tests/classifiers/data/checkset_47.jsonl ... _54.jsonl).

Each set is 200 messages (nl 90, en 60, de 50; about 110 requests, 55-60 with two or three labels;
25 question, 55 other, 10 auto), written by its own hand, a writer that opened neither the training
corpus, the other check sets, the training writers' files nor ../shared. Check set 47 was written on
2026-12-02 (tenth session) after every choice of that session: half of its requests are letters from
public request-template sites and consumer organisations' model letters (article numbers, lists,
deadlines, half-filled placeholders, some rights ticked and others not), half in people's own words.
Check set 48 was written on 2026-12-02 (eleventh session), before any choice of that session, as an
ordinary month of privacy@ and info@ (template letters with ticked boxes, representatives, NHMB staff
forwards, phone one-liners, business mail in the rights' words). None is trained on.

First readings (macro-F1 / exact / request recall / share of wrong flagged / share flagged):
47 on the model of 04874a3: 0.958 / 0.900 / 1.000 / 100 % / 19.0 % (20 wrong);
48 on the model of dcf9abf: 0.968 / 0.940 / 0.991 / 100 % / 19.0 % (12 wrong, one NHMB staff
forward missed).

Both then judged the eleventh session's choices, so their figures now flatter the model a little:
promoting former check sets 39-46 into the corpus and hands ao, ap, aq (47: 20 -> 18 wrong, 48:
12 -> 11); a form's unticked options not read (text.drop_unticked_options; 47: 18 -> 14, 48: 11 -> 8,
made from 48's "[ ] Berichtigung nach Art. 16 DSGVO" beside two ticked boxes); two more phrasings of
a colleague handing a forward on (text.hands_over; both sets' missed staff forwards, 48: 8 -> 7);
hands ar-av and a reminder's words as asking (decision.request_cue; 47: 14 -> 13).
Now: 47 0.981 / 0.935 / 1.000 / 92.3 % / 15.5 %; 48 0.991 / 0.965 / 1.000 / 100 % / 17.0 %.

Check set 49 (200, the same mix; its emphasis how people phrase things without a template: indirect
wishes, long stories, sarcasm, dialect, mixed languages, misnamed rights) was written at the start of
the eleventh session and read only after every choice of it, on the model of 088ed94: 0.958 / 0.905 /
0.964 (four requests missed) / 89.5 % / 27.0 %, 19 wrong. On the model of dcf9abf (the session's start)
it reads 0.961 / 0.905 / 0.973 / 84.2 % / 27.5 %, 19 wrong: the session's gains on 47 and 48 did not
carry over to this writer. One change was made after reading it (so it is no longer blind to that):
a right the model is sure of in a greeted or signed first-person letter is kept, reviewed, where
request_cue finds no asking words (decision.signed_letter_sure_of_right; its Limburgish letter
"haol mien naam en adres oet uch systeem" was vetoed at objection 0.81): 49 0.960 / 0.905 / 0.973.

Check set 50 (200, the same mix as 48) was written late in the eleventh session and read first on the
model of ed4b1b1: 0.966 / 0.925 / 0.982 / 86.7 % / 21.0 %, 15 wrong; its two missed requests were a
phone's one-word "stop" and "unsubscribe" under "Re:" and a marketing subject with no quote below, from
which the short-order rule now also applies without a quote (text.prepare_parts). Check set 51 (150:
nl 60, en 45, de 45) was written as a training hand (aw) of wishes said without the law's words:
sarcasm, dramatic one-liners ("I want to be forgotten."), plain words ("bitte meine Akte"), follow-ups
below NHMB's answer, dialect. Read unseen it showed the model's weakest ground: 0.872 / 0.787 / 0.860,
14 requests missed, 47 % of its mail flagged. Trained on, it took peer-mail from 2 to 5 cases and
moved nothing else, so it measures instead. The same session made the signed-letter rule keep a sure
right in a letter in the first person *or* greeted/signed (two of 51's misses: "Niet weggooien. Niet
gebruiken." at restriction 0.9999).
Final (model of this commit): 47 0.981 / 0.935 / 1.000 / 92.3 % / 16.5 %; 48 0.991 / 0.965 / 1.000 /
100 % / 16.5 %; 49 0.963 / 0.910 / 0.982 / 83.3 % / 26.5 %; 50 0.971 / 0.935 / 1.000 / 92.3 % / 20.5 %;
51 0.881 / 0.793 / 0.880 / 77.4 % / 47.3 %.

Check set 52 (200: nl 95, en 46, de 46, nl+en 9, de+en 4; 113 requests; written in the twelfth
session, 2026-12-02, by four writers in parallel from a brief that holds only the label table and
conventions: Dutch small-business owners in reply threads, English individuals, solicitors and
removal services, German/Austrian/Swiss writers and DSGVO templates, Dutch as a second language and
customers' employees) was read first on the model of 055569d: 0.973 / 0.930 / 0.991 / 78.6 % /
20.5 %, 14 wrong. Two changes were then made from what 47-52 showed together (so 52 is no longer
blind to them): access as a further right needs a conditional score of 0.7 (model.
SECONDARY_FLOOR_BY_LABEL; six wrong below 0.7 on 47-52, none right), and erasure is no further right
where the writer refuses it ("Bitte NICHT löschen, nur die E-Mail-Adresse ändern";
decision.refused_further_erasure; five such letters). Together: wrong label sets 47 13 -> 11,
48 7 -> 5, 49 18 -> 16, 50 13 -> 12, 51 31 -> 30, 52 14 -> 11, dev 2 -> 1; nothing that was right
went wrong. Promoting 47-50 into the corpus was tried first and not kept: 52 14 -> 16, 51 31 -> 31.
A thank-you that confirms a fix ("all looks correct now in the portal") closes a reply, and " port"
no longer reads "portal" as a wish to port data: 52 11 -> 10.

Check sets 53 and 54 measure the weakest ground, as 51 does: requests in words no template uses.
54 (450: three hands of 150, nl/en/de, written in the twelfth session from a brief that asked for the
widest range of verbs, idioms, slang and regional words per right, "smijt mijn gegevens buiten",
"nuke my account", "bitte schreddern", "sistieren", with 45 business decoys in the same words per
hand) was written as training data; read unseen on the model of 4b0f972 it scored 0.868 / 0.789 /
0.937 / 98.9 % / 46 %, 95 wrong. 53 (180, nl/en/de by three other writers, "people who say what
they want in their own everyday words", each request in its own image) was written blind to compare:
0.916 / 0.867 / 0.951 / 100 % / 35 %, 24 wrong. Trained on, the hands of 54 took 53 from 24 to 21
wrong and left 47-50 and 52 at 54 wrong, but the share of 49's wrong ones flagged fell from 81 % to
67 % and training grows by 450 rows: not kept, so 54 measures. Every wrong label set on 53 and 54 but
one is flagged for review.

Check sets 39-46 (1,550 messages, 2026-12-01 and -02) are training data since the eleventh session
(`classifiers/corpus/former_checkset_39.jsonl` ...); their last figures as check sets, on the model
of 04874a3: 139 wrong label sets, 92.1 % of them flagged, 24.7 % of their mail flagged, one request
missed (flagged). The floors they kept and how the eighth to tenth sessions moved them are in this
file's history (git log -p tests/classifiers/test_checksets.py).

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
    "checkset_47": Floors(0.95, 0.90, 0.99, 0.85, 0.21),
    "checkset_48": Floors(0.97, 0.93, 0.99, 0.85, 0.21),
    "checkset_49": Floors(0.94, 0.88, 0.96, 0.80, 0.30),
    "checkset_50": Floors(0.95, 0.90, 0.98, 0.78, 0.24),
    "checkset_51": Floors(0.86, 0.76, 0.86, 0.72, 0.53),
    "checkset_52": Floors(0.96, 0.92, 0.98, 0.72, 0.26),
    "checkset_53": Floors(0.89, 0.84, 0.93, 0.90, 0.40),
    "checkset_54": Floors(0.84, 0.76, 0.91, 0.90, 0.50),
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
    # Check sets 51, 53 and 54 measure wishes said without the law's words (Kölsch, Bairisch, "bitte
    # meine Akte", "sistieren"): their German misses count in their own floors.
    lexical = {"checkset_51", "checkset_53", "checkset_54"}
    rows = [r for name in sorted(FLOORS) if name not in lexical for r in _rows(name) if r["lang"] == "de"]
    preds = model.predict([Document(str(r["subject"]), str(r["body"])) for r in rows])
    assert len(rows) >= 100
    misread = [r for r, p in zip(rows, preds, strict=True) if p.language != "de"]
    # A request's language picks its reply. German mail forwarded by NHMB staff with a Dutch line on
    # top is read as Dutch (the reply goes to the colleague): three such in former check set 43.
    assert len(misread) <= 1, [r["id"] for r in misread]
    requests = [(r, p) for r, p in zip(rows, preds, strict=True) if is_request(r["labels"])]  # type: ignore[arg-type]
    missed = [r["id"] for r, p in requests if not is_request(p.labels)]
    # None missed since "keine ... mehr" asks (former check set 40: "Zum letzten Mal: keine
    # Werbe-Mails mehr an diese Adresse." above a quoted webinar invitation was missed before).
    assert not missed, missed
