"""The held-out check sets (tests/classifiers/data/checkset*.jsonl): reading them, checking
that none of their bodies is in the training corpus, and scoring a model on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from avgdesk.classifiers import Classifier, Document, EvalReport, Prediction, evaluate
from avgdesk.classifiers.trainingdata import read_corpus

DATA = Path(__file__).resolve().parent.parent / "classifiers" / "data"


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def trained_on(rows: list[dict[str, Any]]) -> list[str]:
    """Ids of rows whose body (whitespace folded) is also training data."""
    trained = {" ".join(ex.body.split()) for ex, _ in read_corpus()}
    return [str(r["id"]) for r in rows if " ".join(str(r["body"]).split()) in trained]


def predict_and_report(model: Classifier, rows: list[dict[str, Any]]) -> tuple[list[Prediction], EvalReport]:
    """The model's predictions for ``rows`` and the evaluation report against their labels."""
    preds = model.predict([Document(str(r["subject"]), str(r["body"])) for r in rows])
    report = evaluate(
        [(str(r["id"]), list(r["labels"])) for r in rows],
        [(str(r["id"]), p) for r, p in zip(rows, preds, strict=True)],
    )
    return preds, report
