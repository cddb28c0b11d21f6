"""Staff pages at 1,000 and 20,000 cases (issue 16), on SQLite and PostgreSQL.

Seeds a fresh database per (database, size): 60 customer mails go through the real pipeline
(store_local_message + Processor with a keyword classifier) and become the templates; their
case, right, message and draft rows are then copied by bulk insert (valid rows: new ids,
references, Message-IDs and dates, 2 messages and 1 draft per case) up to the size. About
40 % of the cases are open, spread over two years of receipt dates (so many are overdue).

Prints, per page, the median of 10 requests (after one warm-up) through the real app
(TestClient, logged in as an admin), the growth ratio 1k → 20k, the peak RSS of each run,
and the time of the weekly summary and of the daily reminders at the largest size.

Usage: python -P benchmarks/web.py [--db sqlite|postgresql|both] [--sizes 1000,20000]
PostgreSQL: 127.0.0.1:5432 (trust); a temporary database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REQUESTS = 10
OPEN_SHARE = 0.4
STATES_OPEN = ("new", "in_progress", "awaiting_approval", "awaiting_identity")
STATES_DONE = ("answered", "closed", "withdrawn")
MAILS = [
    ("Inzageverzoek", "Ik wil graag inzage in welke gegevens u van mij verwerkt."),
    ("Verwijder mijn account", "Wilt u al mijn gegevens verwijderen? Klantnummer 4411."),
    ("Onjuist adres", "Mijn adres is onjuist, wilt u dit corrigeren?"),
    ("Nieuwsbrief", "Ik maak bezwaar tegen uw nieuwsbrief."),
    ("Klacht", "Ik dien een klacht in over de behandeling van mijn verzoek."),
    ("Vraag", "Hoe lang bewaart u mijn gegevens?"),
]


def _pages(reference: str) -> dict[str, str]:
    return {
        "dashboard": "/",
        "queue": "/cases",
        "queue search": "/cases?q=de+vries",
        "queue filter": "/cases?right=erasure&due=overdue",
        "queue all, p.5": "/cases?state=all&page=5",
        "case page": f"/cases/{reference}",
        "drafts": "/drafts",
        "users": "/users",
    }


def _seed_templates(engine: Any, settings: Any) -> None:
    from sqlmodel import Session
    from webseed import KeywordClassifier, raw_mail

    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor
    from avgdesk.web.users import add_user

    now = datetime.now(UTC)
    names = ("Jan de Vries", "Fatima el Amrani", "Piet Bakker", "Anna Jansen", "Sem de Boer")
    for i in range(60):
        subject, text = MAILS[i % len(MAILS)]
        name = names[i % len(names)]
        sender = f"{name} <klant{i}@example.nl>"
        raw = raw_mail(sender=sender, subject=subject, text=text, when=now - timedelta(days=i))
        store_local_message(engine, raw, source="imap", received_at=now - timedelta(days=i))
    Processor(engine, settings, classifier=KeywordClassifier()).drain()
    with Session(engine) as session:
        add_user(session, "beheer", "admin", "beheerder-wachtwoord", by="bench")
        for n in range(20):
            add_user(session, f"mw{n}", "medewerker", "medewerker-wachtwoord", by="bench")
        # Crash here only loses a benchmark database.
        session.commit()


def _clone(engine: Any, size: int) -> None:
    """Copy the template rows (bulk inserts) until there are ``size`` cases."""
    from sqlalchemy import func, insert, select

    from avgdesk.models.tables import AuditEvent, Case, CaseRight, Draft, InboundMessage

    rng = random.Random(16)
    tables = (Case, CaseRight, InboundMessage, Draft, AuditEvent)
    ct, rt, mt, dt, at = (t.__table__ for t in tables)  # type: ignore[attr-defined]
    with engine.begin() as conn:
        cases = [dict(r._mapping) for r in conn.execute(select(ct))]
        rights = {}
        for r in conn.execute(select(rt)):
            rights.setdefault(r.case_id, []).append(dict(r._mapping))
        msgs = {
            r.case_id: dict(r._mapping) for r in conn.execute(select(mt).where(mt.c.case_id.is_not(None)))
        }
        drafts = {r.case_id: dict(r._mapping) for r in conn.execute(select(dt))}
        events: dict[int, list[dict[str, Any]]] = {}
        for r in conn.execute(select(at).where(at.c.case_id.is_not(None))):
            events.setdefault(r.case_id, []).append(dict(r._mapping))
        next_case = conn.execute(select(func.max(ct.c.id))).scalar_one() + 1
        next_msg = conn.execute(select(func.max(mt.c.id))).scalar_one() + 1
        next_draft = (conn.execute(select(func.max(dt.c.id))).scalar_one() or 0) + 1
    templates = [c for c in cases if c["id"] in msgs]
    now = datetime.now(UTC)
    todo = size - len(cases)
    batch: dict[str, list[dict[str, Any]]] = {"case": [], "right": [], "msg": [], "draft": [], "audit": []}
    for i in range(todo):
        t = templates[i % len(templates)]
        cid = next_case + i
        received = now - timedelta(days=rng.uniform(0, 730))
        is_open = rng.random() < OPEN_SHARE
        due = received.date() + timedelta(days=30) if t["due_date"] else None
        c = dict(
            t,
            id=cid,
            reference=f"AVG-B{cid:07d}",
            received_at=received,
            due_date=due,
            legal_deadline=due,
            internal_target=due,
            created_at=received,
            updated_at=received,
            requester_email=f"klant{cid}@example.nl",
            suggested_case_id=None,
            duplicate_of_case_id=None,
            state=rng.choice(STATES_OPEN if is_open else STATES_DONE),
            assignee=rng.choice((None, "mw1", "mw2", "beheer")),
            closed_at=None if is_open else received + timedelta(days=20),
        )
        batch["case"].append(c)
        batch["right"] += [dict(r, id=None, case_id=cid) for r in rights.get(t["id"], [])]
        # Audit events keep no message link (the copies' messages have other ids).
        batch["audit"] += [
            dict(e, id=None, case_id=cid, message_pk=None, at=received) for e in events.get(t["id"], [])
        ]
        m = msgs[t["id"]]
        for k in range(2):
            mid = next_msg + 2 * i + k
            batch["msg"].append(
                dict(
                    m,
                    id=mid,
                    case_id=cid,
                    dedupe_key=f"{mid:064d}",
                    message_id=f"bench{mid}@example.nl",
                    received_at=received + timedelta(hours=k),
                    requester_email=c["requester_email"],
                    uid=None,
                    account=None,
                )
            )
        if t["id"] in drafts:
            d = drafts[t["id"]]
            did = next_draft + i
            state = "draft" if is_open and rng.random() < 0.3 else "sent"
            batch["draft"].append(
                dict(
                    d,
                    id=did,
                    case_id=cid,
                    message_id=f"draft{did}@nhmbsoftware.nl",
                    state=state,
                    created_at=received,
                    updated_at=received,
                )
            )
        if len(batch["case"]) >= 2000 or i == todo - 1:
            with engine.begin() as conn:
                # Crash here only loses a benchmark database.
                for key, table in (("case", ct), ("msg", mt), ("right", rt), ("draft", dt), ("audit", at)):
                    rows = batch[key]
                    if key in ("right", "audit"):
                        rows = [{k: v for k, v in r.items() if k != "id"} for r in rows]
                    if rows:
                        conn.execute(insert(table), rows)
            batch = {k: [] for k in batch}


def _login(client: Any) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post(
        "/login",
        data={"username": "beheer", "password": "beheerder-wachtwoord", "csrf_token": token.group(1)},
    )
    assert r.status_code == 303, r.status_code


def _time_jobs(engine: Any, settings: Any) -> dict[str, float]:
    from sqlmodel import Session

    from avgdesk.triage.reports.summary import ScheduleConfig, build_summary
    from avgdesk.triage.worker.scheduler import run_reminders

    config = ScheduleConfig.from_settings(settings)
    config = ScheduleConfig(
        **{**config.__dict__, "reminder_time": dtime(8, 30), "reminder_recipients": ("team@nhmbsoftware.nl",)}
    )
    out = {}
    t0 = time.perf_counter()
    with Session(engine) as session:
        build_summary(session, datetime.now(UTC), config)
    out["weekly summary"] = time.perf_counter() - t0
    day = date.today()
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    now = datetime.combine(day, dtime(10, 0), tzinfo=config.tz).astimezone(UTC)
    t0 = time.perf_counter()
    run_reminders(engine, now, config, enqueue=None)
    out["reminders"] = time.perf_counter() - t0
    return out


def one(db: str, size: int, jobs: bool) -> dict[str, Any]:
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text
    from webseed import KeywordClassifier, make_web_settings

    from avgdesk.models.engine import make_engine
    from avgdesk.models.migrate import upgrade
    from avgdesk.web.app import create_app
    from avgdesk.web.config import WebSettings

    tmp = Path(tempfile.mkdtemp(prefix="avgdesk-webbench-"))
    admin = None
    url = None
    if db == "postgresql":
        name = f"avgdesk_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        settings = make_web_settings(tmp, url)
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        t0 = time.perf_counter()
        _seed_templates(engine, settings)
        _clone(engine, size)
        if db == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        seeded = time.perf_counter() - t0
        app = create_app(
            settings, engine, WebSettings.from_settings(settings), classifier_factory=KeywordClassifier
        )
        result: dict[str, Any] = {"seed_s": seeded, "pages": {}, "bytes": {}}
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
            _login(client)
            for page, path in _pages(f"AVG-B{size // 2:07d}").items():
                r = client.get(path)
                assert r.status_code == 200, (path, r.status_code)
                times = []
                for _ in range(REQUESTS):
                    t1 = time.perf_counter()
                    client.get(path)
                    times.append(time.perf_counter() - t1)
                result["pages"][page] = statistics.median(times) * 1000
                result["bytes"][page] = len(r.content)
        if jobs:
            result["jobs"] = _time_jobs(engine, settings)
        result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        engine.dispose()
        return result
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="both", choices=("sqlite", "postgresql", "both"))
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--one", nargs=2, metavar=("DB", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--jobs", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.jobs)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    for db in dbs:
        results = {}
        for size in sizes:
            # One process per run, so each peak RSS is its own.
            cmd = [sys.executable, "-P", __file__, "--one", db, str(size)] + (
                ["--jobs"] if size == sizes[-1] else []
            )
            run = subprocess.run(cmd, capture_output=True, text=True)
            if run.returncode:
                sys.exit(f"{db} at {size} failed:\n{run.stderr[-3000:]}")
            out = run.stdout
            results[size] = json.loads(out.strip().splitlines()[-1])
        first, last = results[sizes[0]], results[sizes[-1]]
        print(
            f"\n{db}: median of {REQUESTS} requests (ms); seeding took "
            + ", ".join(f"{results[s]['seed_s']:.0f} s at {s}" for s in sizes)
        )
        print(f"{'page':18}" + "".join(f"{s:>10}" for s in sizes) + f"{'ratio':>8}{'KB':>8}")
        for page in first["pages"]:
            cells = "".join(f"{results[s]['pages'][page]:10.1f}" for s in sizes)
            ratio = last["pages"][page] / first["pages"][page]
            print(f"{page:18}{cells}{ratio:8.1f}{last['bytes'][page] / 1024:8.0f}")
        print("peak RSS (MB): " + ", ".join(f"{results[s]['rss_mb']:.0f} at {s}" for s in sizes))
        for job, secs in last.get("jobs", {}).items():
            print(f"{job} at {sizes[-1]}: {secs:.2f} s")
    with open("/proc/loadavg") as f:
        print(f"\nload average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
