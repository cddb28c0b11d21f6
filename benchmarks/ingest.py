"""Intake benchmark against a local Dovecot.

Seeds N messages (default 10,000, ~2.5 KB each, realistic Dutch enquiries with
varying length) into fresh mailboxes and prints:

* raw fetch: imapclient fetching every ``BODY.PEEK[]`` in batches, no processing — the limit;
* intake: avgdesk's intake alone (fetch, commit, MOVE) on a fresh SQLite database;
* ratio and messages per second;
* run --once: the whole drain (intake + parse + classify + cases + first drafts) as a
  subprocess: msg/s and its peak RSS.

Both databases by default: SQLite in a temporary folder and PostgreSQL at 127.0.0.1:5432
(user postgres, trust), in temporary databases ``bench_<tag>_<pid>`` made from the
``test`` database's server and dropped afterwards. Targets (issue 16): run --once at least
1,000 msg/s on SQLite and 500 msg/s on PostgreSQL, peak RSS at most 300 MB.

Usage: python -P benchmarks/ingest.py [--n 10000] [--db both|sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))

from servers import start_dovecot  # noqa: E402

SENTENCES = [
    "Graag ontvang ik een kopie van alle persoonsgegevens die u van mij verwerkt.",
    "Op grond van artikel 15 AVG verzoek ik u om inzage.",
    "Mijn adres is gewijzigd, wilt u dit aanpassen in uw administratie?",
    "Ik wil dat u mijn account en alle bijbehorende gegevens verwijdert.",
    "Ik maak bezwaar tegen het gebruik van mijn gegevens voor marketing.",
    "Kunt u mij laten weten hoe lang u mijn gegevens bewaart?",
    "Ik ontvang nog steeds nieuwsbrieven terwijl ik mij heb afgemeld.",
    "Wij willen graag een verwerkersovereenkomst met u afsluiten.",
]


def make_messages(n: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        body = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(15, 35)))
        out.append(
            (
                f"From: Klant {i} <klant{i}@example.nl>\r\nTo: privacy@nhmbsoftware.nl\r\n"
                f"Subject: Privacyverzoek {i}\r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\n"
                f"Message-ID: <bench{i}.{seed}@example.nl>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Geachte heer, mevrouw,\r\n\r\n{body}\r\n\r\nMet vriendelijke groet,\r\nKlant {i}\r\n"
            ).encode()
        )
    return out


def seed(server, user: str, messages: list[bytes]) -> None:
    from imapclient import IMAPClient

    c = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    c.login(user, server.password)
    for start in range(0, len(messages), 500):
        c.multiappend("INBOX", messages[start : start + 500])
    c.logout()


def raw_fetch(server, user: str, batch: int = 200) -> tuple[float, int]:
    from imapclient import IMAPClient

    t0 = time.perf_counter()
    c = IMAPClient(server.host, port=server.port, ssl=False, timeout=60)
    c.login(user, server.password)
    c.select_folder("INBOX", readonly=True)
    uids = c.search(["ALL"])
    total = 0
    for start in range(0, len(uids), batch):
        resp = c.fetch(uids[start : start + batch], ["BODY.PEEK[]"])
        total += sum(len(d[b"BODY[]"]) for d in resp.values())
    c.logout()
    return time.perf_counter() - t0, total


def intake_only(server, user: str, db_url: str, data_dir: Path) -> tuple[float, int]:
    from avgdesk.mailbox.imap import ImapConnection
    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage.intake.ingest import Intake
    from avgdesk.triage.settings import load_settings
    from avgdesk.triage.worker.runner import imap_params

    settings = load_settings(
        None,
        data_dir=data_dir,
        database_url=db_url,
        imap_host=server.host,
        imap_port=server.port,
        imap_username=user,
        imap_password=server.password,
        imap_security="none",
        ingest_run_max_messages=100_000,
    )
    engine = make_engine(db_url)
    upgrade(engine)
    intake = Intake(engine, settings)
    t0 = time.perf_counter()
    conn = ImapConnection(imap_params(settings))
    conn.connect()
    stored = 0
    while True:
        result = intake.sync_once(conn)
        stored += result.stored
        if not result.more_waiting:
            break
    conn.close()
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed, stored


def full_drain(
    server, user: str, db_url: str, data_dir: Path, model_dir: Path, isolation: bool = True
) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS (MB), CPU seconds (avgdesk and its analysis child) and summary."""
    env = {
        "AVGDESK_PROCESSING_ISOLATION": "true" if isolation else "false",
        **{k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")},
        "AVGDESK_DATA_DIR": str(data_dir),
        "AVGDESK_DATABASE_URL": db_url,
        "AVGDESK_IMAP_HOST": server.host,
        "AVGDESK_IMAP_PORT": str(server.port),
        "AVGDESK_IMAP_USERNAME": user,
        "AVGDESK_IMAP_PASSWORD": server.password,
        "AVGDESK_IMAP_SECURITY": "none",
        "AVGDESK_INGEST_RUN_MAX_MESSAGES": "100000",
        "AVGDESK_LOG_LEVEL": "WARNING",
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    # Warm start: the model is trained (once, in the shared folder) before the clock starts.
    from avgdesk.classifiers import load_or_train

    load_or_train(model_dir)
    shutil.copytree(model_dir, data_dir / "model", dirs_exist_ok=True)
    exe = shutil.which("avgdesk") or "avgdesk"
    t0 = time.perf_counter()
    # The wrapper reports the peak RSS of its own descendants only: avgdesk and its
    # analysis child, not the earlier measurements of this script.
    out = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, exe, "run", "--once"],
        env=env,
        capture_output=True,
        text=True,
        cwd=data_dir,
    )
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    _, peak_kb, _, cpu_s = out.stderr.strip().splitlines()[-1].split()
    return elapsed, int(peak_kb) / 1024, float(cpu_s), out.stdout.strip()


PEAK_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print('peak_kb', u.ru_maxrss, 'cpu_s', u.ru_utime + u.ru_stime, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def own_peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that across
    exec, so a child started by this (large, model-holding) benchmark process reported the
    parent's size (the 355-382 MB "PostgreSQL intake" figures of earlier runs)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def intake_child(port: int, user: str, db_url: str, data_dir: Path) -> None:
    """Run intake alone in this (child) process and print its time, count and peak RSS."""
    import json
    from types import SimpleNamespace

    server = SimpleNamespace(host="127.0.0.1", port=port, password="secret")
    elapsed, stored = intake_only(server, user, db_url, data_dir)
    peak_mb = own_peak_rss_mb()
    print(json.dumps({"elapsed": elapsed, "stored": stored, "peak_mb": peak_mb}))


def intake_in_child(server, user: str, db_url: str, data_dir: Path) -> tuple[float, int, float]:
    import json

    out = subprocess.run(
        [sys.executable, "-P", __file__, "--child-intake", str(server.port), user, db_url, str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["elapsed"], data["stored"], data["peak_mb"]


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database(db: str, tag: str, work: Path, made: list[str]) -> str:
    """A fresh database for one measurement (``made`` collects PostgreSQL ones to drop)."""
    if db == "sqlite":
        return f"sqlite:///{work / f'{tag}.sqlite3'}"
    from sqlalchemy import create_engine, text

    name = f"bench_{tag}_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    made.append(name)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_databases(names: list[str]) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for name in names:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def measure(
    server, db: str, n: int, raw_s: float, work: Path, model_dir: Path, isolation: str, made: list[str]
) -> None:
    for user in (f"intake_{db}", f"full_{db}"):
        seed(server, user, make_messages(n))
    intake_s, stored, intake_mb = intake_in_child(
        server, f"intake_{db}", database(db, "intake", work, made), work / f"d1_{db}"
    )
    print(
        f"[{db}] avgdesk intake (commit + MOVE): {intake_s:.2f} s, {stored / intake_s:,.0f} msg/s, "
        f"ratio to raw fetch {intake_s / raw_s:.2f}, peak RSS {intake_mb:.0f} MB"
    )
    full_s, peak_mb, cpu_s, summary = full_drain(
        server,
        f"full_{db}",
        database(db, "full", work, made),
        work / f"d2_{db}",
        model_dir,
        isolation == "on",
    )
    print(
        f"[{db}] run --once (intake + parse + classify + cases + drafts, isolation {isolation}): "
        f"{full_s:.2f} s, {n / full_s:,.0f} msg/s, peak RSS {peak_mb:.0f} MB; "
        f"CPU {cpu_s:.2f} s = {n / cpu_s:,.0f} msg per CPU second; load {os.getloadavg()[0]:.1f}"
    )
    print(f"  {summary}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-intake":
        port, user, db_url, data_dir = sys.argv[2:6]
        intake_child(int(port), user, db_url, Path(data_dir))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--db", choices=["both", "sqlite", "postgresql"], default="both")
    ap.add_argument(
        "--isolation",
        choices=["on", "off"],
        default="on",
        help="run --once with parsing/classification in the killable child (on) or in-thread (off)",
    )
    ap.add_argument("--model-dir", type=Path, help="a folder with a trained model (skips training)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="avgdesk-bench-"))
    server = start_dovecot(work / "dovecot")
    made: list[str] = []
    try:
        msgs = make_messages(args.n)
        size = sum(map(len, msgs))
        print(f"messages: {args.n}, {size / 1e6:.1f} MB, mean {size / args.n:.0f} B")
        seed(server, "raw", msgs)
        raw_fetch(server, "raw")  # warm the server's caches
        raw_s, _ = raw_fetch(server, "raw")
        print(f"raw fetch (imapclient, no processing): {raw_s:.2f} s, {args.n / raw_s:,.0f} msg/s")
        for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
            measure(server, db, args.n, raw_s, work, args.model_dir or work / "model", args.isolation, made)
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.stop()
        if made:
            drop_databases(made)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
