"""A fresh install's first ``avgdesk run --once`` with nothing to classify (issue 16).

Starts a local Dovecot with an empty inbox, then runs ``avgdesk run --once`` N times, each on
a new, empty data folder (SQLite): creating the database, migrating, connecting, finding
nothing. Prints the wall and CPU time of each run (median) and whether a model was trained
or written (it must not be: the model is only loaded when a message waits).

Usage: python -P benchmarks/fresh_once.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))
sys.path.insert(0, str(REPO / "benchmarks"))

from latency import worker_env  # noqa: E402
from servers import start_dovecot  # noqa: E402

ENTRY = "from avgdesk.triage.cli.root import main; main()"


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(server, user: str, work: Path) -> tuple[float, float, list[str]]:  # type: ignore[no-untyped-def]
    data_dir = Path(tempfile.mkdtemp(dir=work))
    env = worker_env(server, user, f"sqlite:///{data_dir}/avgdesk.db", data_dir)
    cpu0, wall0 = children_cpu_s(), time.perf_counter()
    subprocess.run(
        [sys.executable, "-P", "-c", ENTRY, "run", "--once"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    wall, cpu = time.perf_counter() - wall0, children_cpu_s() - cpu0
    model_files = sorted(p.name for p in (data_dir / "model").glob("*") if p.is_file())
    return wall, cpu, model_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = start_dovecot(work / "dovecot")
        try:
            user = server.new_user()
            runs = [one_run(server, user, work) for _ in range(args.runs)]
        finally:
            server.stop()
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    trained = [files for _, _, files in runs if files]
    print(
        f"fresh run --once, empty inbox, {args.runs} runs: wall median {statistics.median(walls):.2f} s "
        f"(max {max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s; "
        f"model written in {len(trained)} of {args.runs} runs {trained[:1]}"
    )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
