"""The held-out check sets (tests/classifiers/data/checkset*.jsonl): reading them, checking
that none of their bodies is in the training corpus, and scoring a model on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from avgdesk.classifiers import Classifier, Document, EvalReport, Prediction, evaluate, format_report
from avgdesk.classifiers.labels import LABELS, STANDALONE, is_request
from avgdesk.classifiers.trainingdata import read_corpus

DATA = Path(__file__).resolve().parent.parent / "classifiers" / "data"


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def trained_on(rows: list[dict[str, Any]]) -> list[str]:
    """Ids of rows whose subject and body (whitespace folded) are also training data. Mail of a
    word or two ("unsubscribe" / "unsubscribe") is written alike by many hands: not a copy."""

    def key(subject: str, body: str) -> str:
        return " ".join(subject.split()) + "\n" + " ".join(body.split())

    trained = {key(ex.subject, ex.body) for ex, _ in read_corpus()}
    keys = [(str(r["id"]), key(str(r["subject"]), str(r["body"]))) for r in rows]
    return [row_id for row_id, k in keys if len(k.split()) > 3 and k in trained]


def predict_and_report(model: Classifier, rows: list[dict[str, Any]]) -> tuple[list[Prediction], EvalReport]:
    """The model's predictions for ``rows`` and the evaluation report against their labels."""
    preds = model.predict([Document(str(r["subject"]), str(r["body"])) for r in rows])
    report = evaluate(
        [(str(r["id"]), list(r["labels"])) for r in rows],
        [(str(r["id"]), p) for r, p in zip(rows, preds, strict=True)],
    )
    return preds, report


def assert_well_formed(rows: list[dict[str, Any]], min_rows: int) -> None:
    """A check set of a second or third hand: its keys, its labels by the dev set's rules
    (question, other and auto stand alone), all three languages, and none of it trained on."""
    assert len(rows) >= min_rows
    assert len({r["id"] for r in rows}) == len(rows)
    # A mail in two languages is marked as the dev set marks it ("nl+en"): its first is its main one.
    assert {str(r["lang"]).split("+")[0] for r in rows} == {"nl", "en", "de"}
    assert {r["lang"] for r in rows} <= {"nl", "en", "de", "nl+en", "de+en", "en+nl", "en+de"}
    for r in rows:
        assert set(r) == {"id", "voice", "subject", "body", "labels", "lang"}, r["id"]
        labels = r["labels"]
        assert isinstance(labels, list) and labels, r["id"]
        assert all(label in LABELS for label in labels) and len(set(labels)) == len(labels), r["id"]
        assert len(labels) == 1 or not set(labels) & set(STANDALONE), r["id"]
        assert all(isinstance(r[k], str) for k in ("voice", "subject", "body")), r["id"]
        # a subject may be empty, as in real mail; a writer and a body may not
        assert str(r["voice"]).strip() and str(r["body"]).strip(), r["id"]
    assert trained_on(rows) == []


def wrong_rows(rows: list[dict[str, Any]], preds: list[Prediction]) -> list[tuple[Any, ...]]:
    """(id, language, gold, predicted, flagged) of every message whose label set is wrong."""
    return [
        (r["id"], r["lang"], "+".join(r["labels"]), "+".join(p.labels), p.needs_review)
        for r, p in zip(rows, preds, strict=True)
        if sorted(p.labels) != sorted(r["labels"])
    ]


@dataclass(frozen=True)
class Floors:
    """What a check set's figures may not fall under (flagged: not rise over)."""

    macro_f1: float
    exact: float
    request_recall: float
    wrong_flagged: float
    max_flagged: float


def assert_floors(model: Classifier, rows: list[dict[str, Any]], floors: Floors) -> None:
    """Score ``model`` on ``rows``, print the report and every wrong label set, and hold the
    floors; no automatic mail may ever get a right."""
    preds, report = predict_and_report(model, rows)
    print(format_report(report))
    wrong = wrong_rows(rows, preds)
    for row in wrong:
        print("wrong", *row)
    requests = sum(is_request(r["labels"]) for r in rows)
    print(f"{len(rows)} messages, {requests} requests, {len(wrong)} wrong label sets")
    assert report.request_recall >= floors.request_recall, report.missed_requests
    assert report.macro_f1 >= floors.macro_f1
    assert report.exact_match >= floors.exact
    assert report.flagged_share <= floors.max_flagged
    assert report.wrong_flagged_share >= floors.wrong_flagged
    assert report.auto_with_right == []
