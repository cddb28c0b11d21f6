"""Issue 17: how long an access package takes for a person with many rows.

A sample CRM-like SQLite database with three "systems" (three files), ``--rows`` rows for
the requester spread over them (and as many for other people), read through the real
sql connector (read only, bound ``:email``), then zipped by replies.package with the cover
page. Prints the time of each phase and the package size. Run once:

    python -P benchmarks/access_package.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from avgdesk.replies import load_profile
from avgdesk.replies.package import Extract, MessageCopy, PackageInput, build_package
from avgdesk.replies.profile import System
from avgdesk.triage import sql_connector

EMAIL = "jan.devries@example.nl"


def _database(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, email TEXT, at TEXT, what TEXT, amount TEXT)")
    conn.execute("CREATE INDEX ix_events_email ON events(lower(email))")
    data = [
        (i, EMAIL if i % 2 == 0 else f"other{i}@example.nl", "2026-01-01T10:00:00", f"regel {i} ë", f"{i}.50")
        for i in range(rows * 2)
    ]
    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", data)
    conn.commit()
    conn.close()


def _system(name: str) -> System:
    base = load_profile().system("crm")
    assert base is not None
    sql = "SELECT id, at, what, amount FROM events WHERE lower(email) = lower(:email) ORDER BY id"
    return System.model_validate(
        {
            **base.model_dump(),
            "id": name,
            "name": name,
            "queries": [{"name": "regels", "category": "customer", "sql": sql}],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000, help="the requester's rows over three systems")
    args = parser.parse_args()
    profile = load_profile()
    with tempfile.TemporaryDirectory() as tmp:
        per_system = args.rows // 3
        names = ["crm", "boekhouding", "supportdesk"]
        for name in names:
            _database(Path(tmp) / f"{name}.sqlite3", per_system)
        started = time.perf_counter()
        extracts = []
        for name in names:
            url = f"sqlite:///{Path(tmp) / f'{name}.sqlite3'}"
            for r in sql_connector.read_person(_system(name), EMAIL, url=url, max_rows=100_000, timeout_s=60):
                extracts.append(Extract(name, name, r.query, r.category, r.columns, r.rows, r.truncated))
        read_s = time.perf_counter() - started
        rows = sum(len(e.rows) for e in extracts)
        data = PackageInput(
            reference="AVG-2026-0001",
            language="nl",
            requester_name="Jan",
            created_at=datetime(2026, 3, 9, tzinfo=UTC),
            extracts=extracts,
            messages=[MessageCopy(datetime(2026, 3, 5, tzinfo=UTC), EMAIL, "Inzage", "Graag inzage.")],
        )
        started = time.perf_counter()
        package = build_package(data, profile)
        zip_s = time.perf_counter() - started
    print(f"rows of the requester: {rows} over {len(names)} systems (as many rows of others)")
    print(f"read through the sql connector: {read_s:.2f} s")
    print(f"package built (cover, CSV+JSON per system): {zip_s:.2f} s, {len(package) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
