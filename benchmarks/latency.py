"""Arrival → case with its acknowledgement draft, against a running worker (issue 16).

Starts a local Dovecot (as tests/conftest.py does) and ``avgdesk run`` on a fresh SQLite
database with a warm classifier, waits until the worker is idling, then appends N mails
(default 50) at random intervals. The clock of a mail starts when its APPEND completes
(the server has it) and stops when its case and acknowledgement draft are visible in the
database (polled every 20 ms). Prints p50, p95 and max, and the machine's load.

Usage: python -P benchmarks/latency.py [--n 50] [--min-gap 0.2] [--max-gap 2.0]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))
sys.path.insert(0, str(REPO / "benchmarks"))

from ingest import make_messages  # noqa: E402
from servers import start_dovecot  # noqa: E402

POLL_S = 0.02
WAIT_S = 600.0
"""Longest wait for the worker to come up, and for the last draft."""


def worker_env(server, user: str, db_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")},
        "AVGDESK_DATA_DIR": str(data_dir),
        "AVGDESK_DATABASE_URL": db_url,
        "AVGDESK_IMAP_HOST": server.host,
        "AVGDESK_IMAP_PORT": str(server.port),
        "AVGDESK_IMAP_USERNAME": user,
        "AVGDESK_IMAP_PASSWORD": server.password,
        "AVGDESK_IMAP_SECURITY": "none",
        "AVGDESK_LOG_LEVEL": "WARNING",
    }


class DraftWatcher(threading.Thread):
    """Notes when each Message-ID first has a case with an acknowledgement draft."""

    def __init__(self, db_url: str) -> None:
        super().__init__(daemon=True)
        from sqlalchemy import create_engine

        self.engine = create_engine(db_url)
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        from sqlalchemy import text

        query = text(
            "SELECT m.message_id FROM inbound_message m JOIN draft d ON d.case_id = m.case_id "
            "WHERE d.kind = 'acknowledgement'"
        )
        while not self.stop.is_set():
            try:
                with self.engine.connect() as conn:
                    ids = [row[0] for row in conn.execute(query)]
            except Exception:  # the worker has not created the tables yet
                ids = []
            now = time.perf_counter()
            for mid in ids:
                self.seen.setdefault(mid, now)
            time.sleep(POLL_S)


def wait_until(condition, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(POLL_S)


def message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().strip(b"<>").decode()
    raise ValueError("no Message-ID")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--min-gap", type=float, default=0.2, help="shortest pause between two mails (s)")
    ap.add_argument("--max-gap", type=float, default=2.0, help="longest pause between two mails (s)")
    ap.add_argument("--model-dir", type=Path, help="a folder with a trained model to copy (skips training)")
    args = ap.parse_args()
    from imapclient import IMAPClient

    from avgdesk.classifiers import load_or_train

    work = Path(tempfile.mkdtemp(prefix="avgdesk-latency-"))
    server = start_dovecot(work / "dovecot")
    worker = None
    try:
        user = server.new_user()
        data_dir = work / "data"
        if args.model_dir:
            shutil.copytree(args.model_dir, data_dir / "model")
        load_or_train(data_dir / "model")  # warm start: the worker finds the model cached
        db_url = f"sqlite:///{work / 'latency.sqlite3'}"
        mails = make_messages(args.n + 1, seed=int(time.time()))
        watcher = DraftWatcher(db_url)
        watcher.start()
        exe = shutil.which("avgdesk") or "avgdesk"
        env = worker_env(server, user, db_url, data_dir)
        log = (work / "worker.log").open("wb")
        worker = subprocess.Popen([exe, "run"], env=env, cwd=data_dir, stdout=log, stderr=log)
        client = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
        client.login(user, server.password)
        # A first mail shows the worker is up and idling; it is not counted.
        client.append("INBOX", mails[0])
        wait_until(lambda: message_id(mails[0]) in watcher.seen, WAIT_S, "the worker's first draft")
        time.sleep(1.0)  # let the worker go back to IDLE after its first mail
        rng = random.Random(16)
        appended: dict[str, float] = {}
        for raw in mails[1:]:
            time.sleep(rng.uniform(args.min_gap, args.max_gap))
            client.append("INBOX", raw)
            appended[message_id(raw)] = time.perf_counter()
        wait_until(lambda: all(m in watcher.seen for m in appended), WAIT_S, "the last draft")
        client.logout()
        watcher.stop.set()
        latencies = sorted(watcher.seen[m] - t for m, t in appended.items())
        p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
        print(f"arrival -> case with acknowledgement draft, {len(latencies)} mails (IDLE, SQLite):")
        print(f"  p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")
        print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
