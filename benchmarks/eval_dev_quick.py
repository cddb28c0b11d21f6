"""Quick dev-set evaluation with a standard-library .eml parse (not intake's parser).

Why: the classifier package must not import avgdesk.mailbox, but we still want to
measure it on ../shared/eval/dev while developing. The real `avgdesk eval DIR` uses
intake's parser and the same evaluate()/format_report().

Usage: python benchmarks/eval_dev_quick.py [DIR] [--cache DIR]
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
from pathlib import Path

from avgdesk.classifiers import Document, evaluate, format_report, load_or_train

DEFAULT_DIR = Path("/work/shared/eval/dev")


def eml_to_document(raw: bytes) -> Document:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    subject = str(msg.get("Subject", "") or "")
    part = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    text = ""
    if part is not None:
        try:
            text = part.get_content()
        except (LookupError, UnicodeDecodeError):
            payload = part.get_payload(decode=True) or b""
            text = payload.decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
            text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", text)
            text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return Document(subject=subject, text=text)


def load_dir(folder: Path) -> tuple[list[tuple[str, list[str]]], list[Document]]:
    gold: list[tuple[str, list[str]]] = []
    docs: list[Document] = []
    for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        gold.append((obj["file"], list(obj["labels"])))
        docs.append(eml_to_document((folder / obj["file"]).read_bytes()))
    return gold, docs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "avgdesk-clf")
    args = ap.parse_args()
    t0 = time.perf_counter()
    clf = load_or_train(args.cache)
    print(f"model {clf.version} ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    gold, docs = load_dir(args.folder)
    preds = clf.predict(docs)
    report = evaluate(gold, [(g[0], p) for g, p in zip(gold, preds, strict=True)])
    print(format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
