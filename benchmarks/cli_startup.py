"""Start-up time of the command line: median wall and CPU time of N runs per command.

    python benchmarks/cli_startup.py [--runs 5] [--tree DIR]

Commands: ``--help`` (no settings), ``deadline`` (two settings, holidays, deadline
arithmetic), ``status`` (settings, SQLAlchemy, reads a database made once beforehand in a
temporary data folder with ``db upgrade``), ``classify --help`` and ``drafts --help`` (a
command's help: no settings, no storage, no Jinja2).

``--tree`` runs another checkout through a link tree (avgdesk/<package> -> <folder>), to
compare before and after under the same machine load. CPU time (user + sys of the child)
is printed next to wall time because wall time on a shared machine mostly measures the load.

Last measured (issue 10, 2026-11-30, load average 11-12 on 2 cores, median of 5, CPU; before =
f36e627 through --tree, run just before): --help 0.232 -> 0.262 s (unchanged: noise);
deadline 0.503 -> 0.354 s; status 2.137 -> 2.068 s; classify --help 2.064 -> 0.324 s.
An empty ``python -c pass`` costs 0.17-0.21 s of CPU at that load (site imports the editable
finder and certifi). What is left for deadline: holidays (~0.1 s, triage/cases/calendar.py)
and typer itself; for status: building the SQLModel tables (models/tables.py).

``drafts --help`` (issue 10, 2026-11-30, load average 4.1-4.5, median of 5; before = 3712441
through --tree, run just before): wall 0.709 -> 0.096 s, CPU 0.670 -> 0.091 s. It loaded
SQLModel, alembic and Jinja2 (DraftKind lived in replies/rendering.py; now models/vocabulary.py).
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

COMMANDS = (["--help"], ["deadline", "2026-03-05"], ["status"], ["classify", "--help"], ["drafts", "--help"])
ENTRY = "from avgdesk.triage.cli.root import main; main()"


def one_run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-P", "-c", ENTRY, *args], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", help="a link tree whose avgdesk package is imported instead")
    opts = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    if opts.tree:
        env["PYTHONPATH"] = opts.tree
    with tempfile.TemporaryDirectory(prefix="avgdesk-startup-") as data_dir:
        env["AVGDESK_DATA_DIR"] = data_dir
        one_run(["db", "upgrade"], env)
        measure(opts.runs, env)


def measure(n_runs: int, env: dict[str, str]) -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {n_runs} runs each")
    for args in COMMANDS:
        one_run(args, env)  # warm the bytecode cache; not counted
        runs = [one_run(args, env) for _ in range(n_runs)]
        walls = [w for w, _ in runs]
        cpus = [c for _, c in runs]
        print(
            f"avgdesk {' '.join(args):22} wall median {statistics.median(walls):.3f} s "
            f"(min {min(walls):.3f}, max {max(walls):.3f}); "
            f"CPU median {statistics.median(cpus):.3f} s (min {min(cpus):.3f})"
        )


if __name__ == "__main__":
    main()
