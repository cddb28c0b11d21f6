"""Leave one hand out: how the model does on a writer it has never read.

Every corpus file written by one independent hand (`former_checkset_*.jsonl`, `hand_*.jsonl`)
is left out of training in turn and scored by the model trained on everything else, so each
figure is the model's first sight of that writer's voices. This is the figure to watch when
the corpus or the model changes: check sets are few and each is measured first only once,
while this can be rerun on every change. The held-out check sets (tests/classifiers/data)
stay out of training in every run.

Each hand costs one training (about a minute on two cores); `--hands` picks some.

Usage: python benchmarks/hands.py [--hands former_checkset_3,hand_b] [--list]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

# Run with python -P (README): the script's own folder is then not on the path either.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from classify_sets import figures

from avgdesk.classifiers import Document, load_or_train
from avgdesk.classifiers.trainingdata import CORPUS_DIR

HAND_PATTERNS = ("former_checkset_*.jsonl", "hand_*.jsonl")


def hand_files() -> list[Path]:
    return sorted(p for pattern in HAND_PATTERNS for p in CORPUS_DIR.glob(pattern))


def _cpu_with_children() -> float:
    """CPU seconds of this process and of the fitting processes it has waited for (model.py)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def score_without(hand: Path, work: Path, show: bool) -> dict[str, object]:
    """Train on the corpus without ``hand`` (in a scratch copy) and score ``hand``."""
    corpus = work / f"corpus-{hand.stem}"
    shutil.copytree(CORPUS_DIR, corpus, ignore=shutil.ignore_patterns("held_back", hand.name, "*.md"))
    started, wall = _cpu_with_children(), time.perf_counter()
    model = load_or_train(work / f"cache-{hand.stem}", corpus_dir=corpus)
    cpu, wall = _cpu_with_children() - started, time.perf_counter() - wall
    rows = [json.loads(line) for line in hand.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = [(str(r["group"]), list(r["labels"])) for r in rows]
    docs = [Document(str(r["subject"]), str(r["body"])) for r in rows]
    result = figures(hand.stem, model, gold, docs)
    confusions = result.pop("confusions")
    if show:
        for key, g, p in confusions:
            print(f"   {key}: gold {','.join(g)}  predicted {','.join(p)}")
    return result | {"train_cpu_s": round(cpu, 1), "train_wall_s": round(wall, 1)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hands", default="", help="comma-separated file stems (default: every hand)")
    ap.add_argument("--list", action="store_true", help="also list the wrong label sets")
    args = ap.parse_args()
    chosen = set(filter(None, args.hands.split(",")))
    hands = [h for h in hand_files() if not chosen or h.stem in chosen]
    if not hands:
        print("no hand files match", file=sys.stderr)
        return 2
    totals = {"n": 0, "wrong": 0, "missed": 0}
    with tempfile.TemporaryDirectory(prefix="avgdesk-hands-") as tmp:
        for hand in hands:
            result = score_without(hand, Path(tmp), args.list)
            print(json.dumps(result))
            totals["n"] += int(result["n"])  # type: ignore[call-overload]
            totals["wrong"] += int(result["wrong"])  # type: ignore[call-overload]
            totals["missed"] += len(result["missed"])  # type: ignore[arg-type]
    exact = 1 - totals["wrong"] / totals["n"] if totals["n"] else 0.0
    print(json.dumps({"hands": len(hands), **totals, "exact": round(exact, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
