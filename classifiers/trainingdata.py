"""The training corpus: JSONL files shipped in classifiers/corpus/, plus staff corrections.

Why JSONL in the package: the corpus is reviewed like code (diffable, one example a
line) and travels with the wheel, so a fresh install can train without a network.
Each line is {"subject", "body", "labels", "lang"} with an optional "group": examples
derived from one written message share a group, which keeps them on one side of the
cross-validation split.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from avgdesk.classifiers.contracts import Example
from avgdesk.classifiers.labels import LABELS, validate_labels
from avgdesk.classifiers.model import TrainingSet
from avgdesk.classifiers.text import prepare_parts

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def corpus_files(corpus_dir: Path = CORPUS_DIR) -> list[Path]:
    """The corpus files in a stable order."""
    return sorted(corpus_dir.glob("*.jsonl"))


def read_corpus(corpus_dir: Path = CORPUS_DIR) -> list[tuple[Example, str]]:
    """All corpus examples with their group key; raises ValueError on a malformed line."""
    out: list[tuple[Example, str]] = []
    for path in corpus_files(corpus_dir):
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                    labels = validate_labels(obj["labels"])
                except (ValueError, KeyError) as exc:
                    raise ValueError(f"{path.name}:{n}: {exc}") from exc
                example = Example(
                    subject=str(obj.get("subject", "")),
                    body=str(obj["body"]),
                    labels=labels,
                    lang=obj.get("lang"),
                )
                out.append((example, str(obj.get("group", f"{path.stem}:{n}"))))
    return out


def corpus_digest(extra: Sequence[Example], corpus_dir: Path = CORPUS_DIR) -> str:
    """SHA-256 over the corpus files and the extra examples (order-sensitive)."""
    h = hashlib.sha256()
    for path in corpus_files(corpus_dir):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for ex in extra:
        h.update(json.dumps([ex.subject, ex.body, list(ex.labels), ex.lang]).encode())
    return h.hexdigest()


def build_training_set(corpus: Iterable[tuple[Example, str]], extra: Sequence[Example]) -> TrainingSet:
    """Prepare texts and the label matrix; staff corrections count twice (they are real mail)."""
    texts: list[str] = []
    quoted: list[str] = []
    rows: list[list[int]] = []
    groups: list[str] = []
    items = list(corpus)
    for i, ex in enumerate(extra):
        validate_labels(ex.labels)
        items.extend([(ex, f"extra:{i}"), (ex, f"extra:{i}")])
    for ex, group in items:
        text, context = prepare_parts(ex.subject, ex.body)
        texts.append(text)
        quoted.append(context)
        rows.append([int(label in ex.labels) for label in LABELS])
        groups.append(group)
    return TrainingSet(texts=texts, y=np.asarray(rows, dtype=np.int8), groups=groups, quoted=quoted)
