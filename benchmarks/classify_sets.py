"""Figures of the model alone on every labelled set we may read: dev, public-letters, the check set,
and peer-mail (none of which is a privacy request).

Model only: mail is parsed with the standard library's email package (as benchmarks/eval_dev_quick.py
does; intake's parser is in another package and may be mid-change) and the structural machine-mail
rules (mailbox/automatic.py) are NOT applied, so the peer-mail figures say what the
model would do if those rules let a message through. Nothing here is copied into the repository;
the shared sets are read at run time.

The check sets: every `tests/classifiers/data/checkset*.jsonl` (each by a hand that never read the
training corpus); none is trained on. Earlier check sets live in the corpus as `former_checkset_*.jsonl`.

Usage: python benchmarks/classify_sets.py [--model FILE.joblib] [--cache DIR] [--list]
       [--extra SET.jsonl ...] [--only-extra]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import joblib

from avgdesk.classifiers import Classifier, Document, evaluate, load_or_train
from avgdesk.classifiers.labels import is_request

SHARED = Path("/work/shared")
CHECKSET_DIR = Path(__file__).resolve().parent.parent / "tests" / "classifiers" / "data"


def eml_document(path: Path) -> Document:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    text = ""
    if part is not None:
        try:
            text = part.get_content()
        except (LookupError, UnicodeDecodeError, AssertionError):
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
            text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", text)
            text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return Document(subject=str(msg.get("Subject", "") or ""), text=str(text))


def labelled_dir(folder: Path) -> tuple[list[tuple[str, list[str]]], list[Document]]:
    rows = [json.loads(x) for x in (folder / "labels.jsonl").read_text().splitlines() if x.strip()]
    return [(r["file"], r["labels"]) for r in rows], [eml_document(folder / r["file"]) for r in rows]


def checkset(path: Path) -> tuple[list[tuple[str, list[str]]], list[Document]]:
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return [(r["id"], r["labels"]) for r in rows], [Document(r["subject"], r["body"]) for r in rows]


def figures(
    name: str, clf: Classifier, gold: list[tuple[str, list[str]]], docs: list[Document]
) -> dict[str, Any]:
    preds = clf.predict(docs)
    report = evaluate(gold, list(zip([g[0] for g in gold], preds, strict=True)))
    wrong = [p for (_, g), p in zip(gold, preds, strict=True) if set(g) != set(p.labels)]
    out = {
        "set": name,
        "n": report.n_messages,
        "macro_f1": round(report.macro_f1, 3),
        "exact": round(report.exact_match, 3),
        "request_recall": round(report.request_recall, 3),
        "missed": report.missed_requests,
        "wrong": len(wrong),
        "wrong_flagged": round(sum(p.needs_review for p in wrong) / len(wrong), 3) if wrong else 1.0,
        "flagged": round(sum(p.needs_review for p in preds) / len(preds), 3),
        "auto_with_right": len(report.auto_with_right),
        "confusions": report.confusions,
    }
    return out


def peer_mail(clf: Classifier) -> dict[str, Any]:
    folder = SHARED / "corpora" / "peer-mail"
    kinds = {}
    for line in (folder / "SOURCES.tsv").read_text().splitlines()[1:]:
        cols = line.split("\t")
        kinds[cols[0]] = cols[5]
    docs, names = [], []
    for path in sorted(folder.glob("*.eml")):
        try:
            docs.append(eml_document(path))
        except Exception:  # a peer's deliberately broken mail: intake would quarantine it
            continue
        names.append(path.name)
    preds = clf.predict(docs)
    machine = {"bounce", "bounce-cr-newlines", "autoreply", "read-receipt"}
    opened = Counter(label for p in preds if is_request(p.labels) for label in p.labels)
    return {
        "set": "peer-mail (model only, no structural rules)",
        "n": len(preds),
        "would_open_case": sum(is_request(p.labels) for p in preds),
        "would_open_case_non_machine": sum(
            is_request(p.labels) for n, p in zip(names, preds, strict=True) if kinds.get(n) not in machine
        ),
        "labels_of_those": dict(opened),
        "auto_by_model_non_machine": sum(
            p.labels == ["auto"] for n, p in zip(names, preds, strict=True) if kinds.get(n) not in machine
        ),
        "flagged": round(sum(p.needs_review for p in preds) / len(preds), 3),
        "cases": [(n, p.labels) for n, p in zip(names, preds, strict=True) if is_request(p.labels)],
    }


def peer_mail_full_path(clf: Classifier) -> dict[str, Any]:
    """Peer-mail as the worker reads it: intake's reader (parser, contact form, the structural
    rules: auto for machine mail, other for spam verdicts and list posts to others), then the
    model for whatever the rules let through."""
    from avgdesk.models.errors import MessageParseError
    from avgdesk.triage.intake.reading import read_message
    from avgdesk.triage.settings import Settings

    settings = Settings()
    names, docs, rules_auto, rules_other = [], [], 0, 0
    for path in sorted((SHARED / "corpora" / "peer-mail").glob("*.eml")):
        try:
            read = read_message(path.read_bytes(), settings)
        except MessageParseError:
            continue
        label = read.verdict.rule_label  # auto (machine mail) or other (spam verdict, list post)
        if label is not None:
            rules_auto += label == "auto"
            rules_other += label == "other"
            continue
        names.append(path.name)
        docs.append(Document(subject=read.subject_for_model, text=read.text_for_model))
    preds = clf.predict(docs)
    cases = [(n, p) for n, p in zip(names, preds, strict=True) if is_request(p.labels)]
    return {
        "set": "peer-mail (full path: intake reader + rules + model)",
        "auto_by_rules": rules_auto,
        "other_by_rules": rules_other,
        "auto_by_model": sum(p.labels == ["auto"] for p in preds),
        "cases_opened": len(cases),
        "cases_needs_review": sum(p.needs_review for _, p in cases),
        "cases": [(n, list(p.labels), p.needs_review) for n, p in cases],
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, help="a stored model file instead of the current corpus")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "avgdesk-clf-sets")
    ap.add_argument("--list", action="store_true", help="also list wrong messages and peer-mail cases")
    ap.add_argument("--extra", type=Path, nargs="*", default=[], help="more check sets (JSON lines) to score")
    ap.add_argument("--only-extra", action="store_true", help="score only the --extra sets")
    args = ap.parse_args()
    t0 = time.perf_counter()
    clf: Classifier = joblib.load(args.model) if args.model else load_or_train(args.cache)
    print(f"model {clf.version} ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    sets = [
        ("dev", *labelled_dir(SHARED / "eval" / "dev")),
        ("public-letters", *labelled_dir(SHARED / "eval" / "public-letters")),
    ]
    # Every check set present (checkset.jsonl, checkset_2.jsonl, ...), in order.
    for path in sorted(CHECKSET_DIR.glob("checkset*.jsonl"), key=lambda p: (len(p.stem), p.stem)):
        sets.append((path.stem, *checkset(path)))
    if args.only_extra:
        sets = []
    # Sets not yet in the repository (a new writer's file, read before it is used for any choice).
    sets += [(path.stem, *checkset(path)) for path in args.extra]
    for name, gold, docs in sets:
        f = figures(name, clf, gold, docs)
        conf = f.pop("confusions")
        print(json.dumps(f))
        if args.list:
            for key, g, p in conf:
                print(f"   {key}: gold {','.join(g)}  predicted {','.join(p)}")
    if args.only_extra:
        return 0
    pm = peer_mail(clf)
    cases = pm.pop("cases")
    print(json.dumps(pm))
    if args.list:
        for n, labels in cases:
            print(f"   {n}: {','.join(labels)}")
    full = peer_mail_full_path(clf)
    cases = full.pop("cases")
    print(json.dumps(full))
    if args.list:
        for n, labels, review in cases:
            print(f"   {n}: {','.join(labels)}{' (review)' if review else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
