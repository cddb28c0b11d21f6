"""The issue-3 targets on the public dev set, parsed with the standard library only."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from pathlib import Path

import pytest

from avgdesk.classifiers import Classifier, Document, EvalReport, evaluate, format_report

DEV = Path("/work/shared/eval/dev")


def _document(raw: bytes) -> Document:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    text = ""
    if part is not None:
        try:
            text = part.get_content()
        except (LookupError, UnicodeDecodeError):
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
            text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
            text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return Document(subject=str(msg.get("Subject", "") or ""), text=text)


def _report(folder: Path, model: Classifier) -> EvalReport:
    """The model on a folder of .eml files with a labels.jsonl, printed and returned."""
    rows = [json.loads(x) for x in (folder / "labels.jsonl").read_text().splitlines() if x.strip()]
    preds = model.predict([_document((folder / r["file"]).read_bytes()) for r in rows])
    report = evaluate(
        [(r["file"], r["labels"]) for r in rows], [(r["file"], p) for r, p in zip(rows, preds, strict=True)]
    )
    print(format_report(report))
    return report


def test_dev_set_targets(model: Classifier) -> None:
    if not (DEV / "labels.jsonl").exists():
        pytest.skip(f"dev set not found at {DEV}")
    report = _report(DEV, model)
    assert report.auto_with_right == []
    assert report.request_recall >= 0.99
    assert report.macro_f1 >= 0.95


PUBLIC_LETTERS = DEV.parent / "public-letters"


def test_public_letters_every_request_found(model: Classifier) -> None:
    """Issue 15: letters built from public request templates; every request must be found."""
    if not (PUBLIC_LETTERS / "labels.jsonl").exists():
        pytest.skip(f"public letters not found at {PUBLIC_LETTERS}")
    report = _report(PUBLIC_LETTERS, model)
    assert report.request_recall == 1.0, report.missed_requests
    assert report.auto_with_right == []
