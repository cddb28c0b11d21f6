"""Benchmark of the text classifier: training time, single-core batch throughput, peak RSS.

Targets (issue 3, kept by issue 15): training under 60 s on the 2-core CI machine; at least
2,000 messages/s batch prediction on one core for ~2 KB messages. Threads are pinned to one
before numpy is imported, and again with threadpoolctl, so BLAS cannot borrow the second core.
Training fits its base models in FIT_PROCESSES processes (model.py): its wall time is the target,
its CPU seconds (this process and the fitting processes) say what it costs. The machine is shared:
read the CPU-second figures, with the load printed last (at load 8-10 the same code needs two to
three times the CPU seconds it needs at load 2).

Usage: python benchmarks/classify.py [--n 4000]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from threadpoolctl import threadpool_limits  # noqa: E402

from avgdesk.classifiers import Document, load_or_train  # noqa: E402
from avgdesk.classifiers.model import FIT_PROCESSES  # noqa: E402
from avgdesk.classifiers.trainingdata import read_corpus  # noqa: E402


def _cpu_with_children() -> float:
    """CPU seconds of this process and of the fitting processes it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def two_kb_messages(n: int) -> list[Document]:
    """Corpus bodies padded with further corpus text (as a quoted thread) to about 2 KB."""
    rng = random.Random(7)
    corpus = [ex for ex, _ in read_corpus()]
    docs: list[Document] = []
    for _ in range(n):
        ex = rng.choice(corpus)
        body = ex.body
        while len(body) < 2048:
            body += "\n" + rng.choice(corpus).body
        docs.append(Document(subject=ex.subject, text=body[:2048]))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    args = ap.parse_args()
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), _cpu_with_children()
        clf = load_or_train(Path(tmp), force=True)
        train_s, train_cpu = time.perf_counter() - t0, _cpu_with_children() - c0
        t0 = time.perf_counter()
        load_or_train(Path(tmp))
        load_s = time.perf_counter() - t0
        docs = two_kb_messages(args.n)
        clf.predict(docs[:50])  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        clf.predict(docs)
        pred_s, pred_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    avg_kb = sum(len(d.text.encode()) for d in docs) / len(docs) / 1024
    # CPU seconds next to wall time: on a shared machine the wall clock measures the neighbours.
    print(f"training (force, {FIT_PROCESSES} processes) {train_s:6.1f} s  ({train_cpu:.1f} CPU-s in all)")
    print(f"cache load                   {load_s:6.2f} s")
    print(
        f"batch prediction             {args.n / pred_s:6.0f} msg/s "
        f"({args.n} messages, avg {avg_kb:.1f} KB, one core; {args.n / pred_cpu:.0f} msg/CPU-s)"
    )
    print(f"peak RSS                     {rss_mb:6.0f} MB (+ the largest fitting process {child_mb:.0f} MB)")
    # The machine is shared: the load says how much of the wall clock was the neighbours'.
    print("load average (1/5/15 min)    {:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
