"""Move a check set that has been measured into the training corpus.

Why: a check set written by an unseen hand is worth most twice: first as an honest
measurement of the model on a writer it has never read, then as training data that adds
that writer's voices (leave-one-hand-out on 2026-12-01: adding the first seven check sets
cut the wrong label sets on three newer unseen hands by a fifth). Once promoted it no longer
measures anything, so the set's floor test goes and a newer check set takes its place.

The rows keep their subject, body, labels, language and voice; the id becomes the group
(prefixed, so that no two files share a group) and the source file is removed from the
check sets only by hand, with its test.

Run from the repository root:
    python tools/corpus/promote.py tests/classifiers/data/checkset_8.jsonl former_checkset_8 cs8
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from avgdesk.classifiers.labels import validate_labels

CORPUS = Path(__file__).resolve().parent.parent.parent / "classifiers" / "corpus"


def promote(source: Path, name: str, prefix: str) -> Path:
    """Write ``source``'s rows as corpus rows to corpus/<name>.jsonl; return that path."""
    target = CORPUS / f"{name}.jsonl"
    if target.exists():
        raise SystemExit(f"{target} exists already")
    lines = []
    for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        validate_labels(row["labels"])
        out = {
            "subject": row["subject"],
            "body": row["body"],
            "labels": row["labels"],
            "lang": row["lang"],
            "group": f"{prefix}:{row.get('id', n)}",
            "voice": row.get("voice", ""),
        }
        lines.append(json.dumps(out, ensure_ascii=False))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    print(promote(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
