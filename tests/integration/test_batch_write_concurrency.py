"""Issue 16's per-batch ids under concurrency and kill -9 (review of the drain speed-ups).

A processing batch hands out draft and case ids before writing the rows: on PostgreSQL
from the table's sequence, a block at a time; on SQLite counted on from max(id), which is
safe only while the batch's transaction holds the write lock. These tests put a second
writer (the web UI's use cases, another worker) next to a batch in flight, and kill a
worker after it sent its kept-back rows, and check that nothing collides, nothing is lost
and nothing is written twice. Every wait is on an event or a condition, never on time.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlalchemy import text
from sqlalchemy.engine import Engine

from avgdesk.models.engine import make_engine
from avgdesk.triage.cases import actions, drafts
from avgdesk.triage.intake import processing
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import IdBlock, Processor

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
WAIT_S = 120  # an upper bound for an event that must come; never reached when all is well


def _store(engine: Engine, first: int, count: int, *, same_requester_every: int = 3) -> None:
    for n in range(first, first + count):
        sender = f"r{n // same_requester_every}@example.nl"  # a few requesters write twice or more
        body = "#access" if n % 2 else "#erasure"
        store_local_message(engine, mail(n, sender=sender, body=body), received_at=T0 + timedelta(minutes=n))


def _counts(engine: Engine) -> dict[str, int]:
    queries = {
        "case": 'SELECT count(*) FROM "case"',
        "references": 'SELECT count(DISTINCT reference) FROM "case"',
        "rights": "SELECT count(*) FROM case_right",
        "drafts": "SELECT count(*) FROM draft",
        "opened": "SELECT count(*) FROM audit_event WHERE action = 'case.opened'",
        "draft_events": "SELECT count(*) FROM audit_event WHERE action = 'draft.created'",
        "waiting": "SELECT count(*) FROM inbound_message"
        " WHERE state <> 'processed' OR claim_token IS NOT NULL",
        "unlinked": "SELECT count(*) FROM inbound_message WHERE case_id IS NULL",
    }
    with engine.connect() as conn:
        return {k: int(conn.execute(text(q)).scalar_one()) for k, q in queries.items()}


def _fell_back(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "batch write failed" in r.getMessage()]


class _Thread(threading.Thread):
    """A thread that keeps its result or exception for the test to check."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # handed to the test
            self.error = exc

    def outcome(self) -> Any:
        self.join(WAIT_S)
        assert not self.is_alive(), "thread did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def _waiting_for_the_lock(thread: threading.Thread) -> Callable[[], bool]:
    """Whether ``thread`` is inside SQLite's BEGIN IMMEDIATE (models/engine.py), i.e. waits
    for another connection's write lock (or is about to)."""

    def check() -> bool:
        frame = sys._current_frames().get(thread.ident or -1)
        while frame is not None:
            if frame.f_code.co_name == "_on_begin" and frame.f_code.co_filename.endswith("engine.py"):
                return True
            frame = frame.f_back
        return False

    return check


def _seed_case(engine: Engine, settings: Any) -> str:
    store_local_message(engine, mail(999, sender="seed@example.nl", body="#access"), received_at=T0)
    assert Processor(engine, settings, classifier=FixedLabels()).drain().cases_opened == 1
    with engine.connect() as conn:
        return str(conn.execute(text('SELECT reference FROM "case"')).scalar_one())


# --- SQLite: the write lock -------------------------------------------------------------------------
def test_sqlite_batch_holds_the_write_lock_when_it_counts_on_from_max_id(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q1: at the moment IdBlock reads max(id), no other connection can start a write."""
    from avgdesk.models.migrate import upgrade
    from avgdesk.triage.settings import load_settings

    engine = make_engine(sqlite_url)
    upgrade(engine)
    _store(engine, 1, 5)
    path = sqlite_url.removeprefix("sqlite:///")
    probes: list[tuple[str, str]] = []
    real = IdBlock._reserve

    def reserve(self: IdBlock) -> list[int]:
        ids = real(self)
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            probes.append((self.table, "free"))
        except sqlite3.OperationalError as exc:
            probes.append((self.table, str(exc)))
        finally:
            other.close()
        return ids

    monkeypatch.setattr(IdBlock, "_reserve", reserve)
    settings = load_settings(None, data_dir=tmp_path / "data", database_url=sqlite_url)
    assert Processor(engine, settings, classifier=FixedLabels()).process_batch().cases_opened == 5
    assert {table for table, _ in probes} >= {"draft"}
    assert all(result == "database is locked" for _, result in probes), probes
    engine.dispose()


def test_web_writes_during_a_batch_wait_for_it_and_collide_with_nothing(
    db_url: str, engine: Engine, make_settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """Q1/Q2: staff create a letter and add a note (the web UI's use cases, their own
    connection) while a worker batch has reserved its ids and not yet committed. On SQLite
    they wait for the batch's lock; on PostgreSQL the draft takes the next sequence value,
    past the batch's block. No duplicate key, no failed batch, nothing lost."""
    settings = make_settings()
    reference = _seed_case(engine, settings)
    _store(engine, 1, 6)
    web = make_engine(db_url)
    sqlite = db_url.startswith("sqlite")
    reserved, web_done = threading.Event(), threading.Event()
    real = processing.add_draft

    def add_draft(session: Any, *args: Any, **kwargs: Any) -> Any:
        draft = real(session, *args, **kwargs)
        if not reserved.is_set():
            reserved.set()  # ids reserved, batch in flight: the web UI writes now
            if sqlite:  # it has to wait for our lock
                _wait_for(_waiting_for_the_lock(web_thread), "the web UI waits for the batch's lock")
            else:  # it does not wait for us: its rows are in before our commit
                assert web_done.wait(WAIT_S)
        return draft

    def staff() -> int:
        assert reserved.wait(WAIT_S)
        result = drafts.create(web, settings, reference, "clarification_request", by="anna")
        actions.add_note(web, reference, "Gebeld met klant.", by="anna")
        web_done.set()
        return int(result.draft_id)

    monkeypatch.setattr(processing, "add_draft", add_draft)
    worker = _Thread(lambda: Processor(engine, settings, classifier=FixedLabels()).process_batch())
    web_thread = _Thread(staff)
    with caplog.at_level("WARNING"):
        worker.start()
        web_thread.start()
        result = worker.outcome()
        web_draft = web_thread.outcome()
    assert (result.processed, result.cases_opened) == (6, 6) and not _fell_back(caplog)
    counts = _counts(engine)
    assert counts["drafts"] == 1 + 6 + 1 and counts["draft_events"] == 8 and counts["waiting"] == 0
    with engine.connect() as conn:
        worker_drafts = {
            int(i) for (i,) in conn.execute(text("SELECT id FROM draft WHERE author = 'system:triage'"))
        }
        note = conn.execute(text("SELECT count(*) FROM audit_event WHERE actor = 'anna'")).scalar_one()
    assert web_draft not in worker_drafts and len(worker_drafts) == 7 and note >= 2
    if sqlite:
        assert web_draft > max(worker_drafts)  # it waited for the batch's commit
    web.dispose()


def test_a_batch_that_starts_while_staff_write_counts_their_rows(
    db_url: str, engine: Engine, make_settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    """Q1: the other order. Staff's transaction has inserted a draft and not committed when
    the batch's write phase begins: on SQLite the batch waits for the lock and then counts
    on from a max(id) that includes the staff draft; on PostgreSQL the sequence keeps them
    apart."""
    settings = make_settings()
    reference = _seed_case(engine, settings)
    _store(engine, 1, 6)
    web = make_engine(db_url)
    sqlite = db_url.startswith("sqlite")
    worker_writes, web_holds, worker_done = threading.Event(), threading.Event(), threading.Event()
    real_write, real_keep = Processor._write_batch, drafts._keep_version

    def write_batch(self: Processor, *args: Any, **kwargs: Any) -> Any:
        if not worker_writes.is_set():
            worker_writes.set()
            assert web_holds.wait(WAIT_S)
        return real_write(self, *args, **kwargs)

    def keep_version(session: Any, draft: Any, **kwargs: Any) -> None:
        real_keep(session, draft, **kwargs)
        web_holds.set()  # the staff draft is in the database, uncommitted
        if sqlite:  # the batch's write phase has to wait for this transaction
            _wait_for(_waiting_for_the_lock(worker), "the batch waits for the staff transaction")
        else:  # the batch reserves, writes and commits while this one is open
            assert worker_done.wait(WAIT_S)

    def staff() -> int:
        assert worker_writes.wait(WAIT_S)
        return int(drafts.create(web, settings, reference, "clarification_request", by="anna").draft_id)

    def work() -> Any:
        result = Processor(engine, settings, classifier=FixedLabels()).process_batch()
        worker_done.set()
        return result

    monkeypatch.setattr(Processor, "_write_batch", write_batch)
    monkeypatch.setattr(drafts, "_keep_version", keep_version)
    worker = _Thread(work)
    web_thread = _Thread(staff)
    with caplog.at_level("WARNING"):
        worker.start()
        web_thread.start()
        web_draft = web_thread.outcome()
        result = worker.outcome()
    assert (result.processed, result.cases_opened) == (6, 6) and not _fell_back(caplog)
    counts = _counts(engine)
    assert counts["drafts"] == 8 and counts["draft_events"] == 8 and counts["waiting"] == 0
    with engine.connect() as conn:
        worker_drafts = {
            int(i) for (i,) in conn.execute(text("SELECT id FROM draft WHERE author = 'system:triage'"))
        }
    assert web_draft not in worker_drafts and len(worker_drafts) == 7
    web.dispose()


# --- PostgreSQL: blocks from the sequence --------------------------------------------------------
def test_concurrent_batches_reserve_disjoint_id_blocks(
    db_url: str, engine: Engine, make_settings: Any
) -> None:
    """Q2: two open batch transactions (two workers) and a staff letter in between: every
    id handed out once. (On SQLite the second batch cannot even begin: its BEGIN IMMEDIATE
    waits for the first; PostgreSQL only.)"""
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite: one writer at a time, the lock test above covers it")
    from sqlmodel import Session

    settings = make_settings()
    reference = _seed_case(engine, settings)
    with Session(engine) as first, Session(engine) as second:
        blocks = {}
        for name, session in (("first", first), ("second", second)):
            drafts_block, cases_block = IdBlock(session, "draft", 5), IdBlock(session, "case", 5)
            blocks[name] = [drafts_block.take() for _ in range(3)], [cases_block.take() for _ in range(3)]
        staff = int(drafts.create(engine, settings, reference, "clarification_request", by="anna").draft_id)
        blocks["first+"] = [drafts_block.take() for _ in range(4)], []  # the second's block runs out
        first.rollback()
        second.rollback()  # the reserved ids stay unused: gaps, as after any rollback
    draft_ids = [i for d, _ in blocks.values() for i in d] + [staff]
    case_ids = [i for _, c in blocks.values() for i in c]
    assert len(set(draft_ids)) == len(draft_ids) and len(set(case_ids)) == len(case_ids)
    # After the gaps the worker still works, and a new staff letter gets a fresh id.
    _store(engine, 1, 3)
    assert Processor(engine, settings, classifier=FixedLabels()).drain().cases_opened == 3
    later = int(drafts.create(engine, settings, reference, "clarification_request", by="anna").draft_id)
    assert later > max(draft_ids)


def test_two_workers_drain_one_database_each_message_once(
    db_url: str, engine: Engine, make_settings: Any, caplog: Any
) -> None:
    """Q2: two workers (own engines, own threads) drain 60 mails in batches of 7 at the same
    time: one case per request, one acknowledgement per case, gap-free references, every
    message done once. SQLite serialises them by its lock, PostgreSQL by claims."""
    if db_url.startswith("sqlite"):
        pytest.skip("README: several workers share a database on PostgreSQL only")
    settings = make_settings(processing_batch=7)
    _store(engine, 1, 60)
    start = threading.Barrier(2)
    engines = [make_engine(db_url), make_engine(db_url)]

    def drain(eng: Engine) -> int:
        processor = Processor(eng, settings, classifier=FixedLabels())
        start.wait(WAIT_S)
        return processor.drain().processed

    with caplog.at_level("WARNING"):
        workers = [_Thread(lambda e=e: drain(e)) for e in engines]
        for w in workers:
            w.start()
        done = [w.outcome() for w in workers]
    assert sum(done) == 60 and not _fell_back(caplog)
    counts = _counts(engine)
    assert counts["case"] == counts["references"] == counts["opened"] == 60
    assert counts["drafts"] == counts["draft_events"] == 60
    assert counts["waiting"] == counts["unlinked"] == 0 and counts["rights"] == 60
    with engine.connect() as conn:
        numbers = sorted(
            int(r.rsplit("-", 1)[1]) for (r,) in conn.execute(text('SELECT reference FROM "case"'))
        )
    assert numbers == list(range(1, 61))
    for e in engines:
        e.dispose()


# --- kill -9 in the middle of a batch -------------------------------------------------------------
KILLED_WORKER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[3])
    from helpers import FixedLabels
    from avgdesk.models.engine import make_engine
    from avgdesk.triage.intake import processing
    from avgdesk.triage.settings import load_settings

    url, marker = sys.argv[1], sys.argv[2]
    real = processing._update_messages

    def update_messages(session, messages):
        real(session, messages)  # the kept-back cases, rights, tasks and the message rows are sent
        open(marker, "w").write("sent")
        time.sleep(3600)  # killed here, before the audit events and the commit

    processing._update_messages = update_messages
    settings = load_settings(None, data_dir=sys.argv[4], database_url=url)
    processing.Processor(make_engine(url), settings, classifier=FixedLabels()).drain()
    """
)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_leaves_every_message_to_the_next_pass_once(
    db_url: str, engine: Engine, make_settings: Any, tmp_path: Path
) -> None:
    """Q3: kill -9 after the batch sent its kept-back rows and its message UPDATE, before
    the audit events and the commit. Nothing of the batch stays; after the claim expires
    the next pass writes each message once (alone, as a retried message goes)."""
    _store(engine, 1, 12)
    marker = tmp_path / "sent"
    script = tmp_path / "killed_worker.py"
    script.write_text(KILLED_WORKER)
    support = str(Path(__file__).resolve().parents[1] / "support")
    child = subprocess.Popen(
        [sys.executable, "-P", str(script), db_url, str(marker), support, str(tmp_path / "child")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: marker.exists() or child.poll() is not None, "the batch sent its rows")
        assert marker.exists(), child.stderr.read().decode()[-2000:] if child.stderr else ""
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(WAIT_S)
    if not db_url.startswith("sqlite"):
        # The server rolls the dead client's transaction back when it sees the socket close.
        _wait_for(lambda: _other_backends(engine) == 0, "the killed worker's transaction ended")
    assert _counts(engine)["case"] == 0 and _counts(engine)["drafts"] == 0
    with engine.begin() as conn:  # the claim period passes
        conn.execute(text("UPDATE inbound_message SET claimed_until = :t"), {"t": T0})
    result = Processor(engine, make_settings(), classifier=FixedLabels()).drain()
    assert result.processed == 12
    counts = _counts(engine)
    assert counts["case"] == counts["references"] == counts["opened"] == 12
    assert counts["drafts"] == counts["draft_events"] == 12 and counts["rights"] == 12
    assert counts["waiting"] == counts["unlinked"] == 0
    with engine.connect() as conn:
        attempts = {int(a) for (a,) in conn.execute(text("SELECT attempts FROM inbound_message"))}
        events = int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())
    assert attempts == {2}
    flagged = int(_scalar(engine, 'SELECT count(*) FROM "case" WHERE duplicate_of_case_id IS NOT NULL'))
    suggested = int(_scalar(engine, 'SELECT count(*) FROM "case" WHERE suggested_case_id IS NOT NULL'))
    assert events == 12 + 12 + flagged + suggested  # opened, draft.created and the flags: once each


def _scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def _other_backends(engine: Engine) -> int:
    return int(
        _scalar(
            engine,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'",
        )
    )


PAUSED_WORKER = textwrap.dedent(
    """
    import logging, os, sys, time
    sys.path.insert(0, sys.argv[3])
    from helpers import FixedLabels
    from avgdesk.models.engine import make_engine
    from avgdesk.triage.intake import processing
    from avgdesk.triage.settings import load_settings

    url, marker, go = sys.argv[1], sys.argv[2], sys.argv[5]
    real = processing._update_messages

    def update_messages(session, messages):
        real(session, messages)  # the batch's cases, rights, tasks and message rows are sent
        open(marker, "w").write("sent")
        while not os.path.exists(go):  # the parent lets the batch commit
            time.sleep(0.02)

    processing._update_messages = update_messages
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(None, data_dir=sys.argv[4], database_url=url)
    print(processing.Processor(make_engine(url), settings, classifier=FixedLabels()).drain())
    """
)


def test_staff_write_from_another_process_while_a_worker_process_holds_a_batch(
    db_url: str, engine: Engine, make_settings: Any, tmp_path: Path
) -> None:
    """Q1/Q2 across processes: a worker process stops between sending its batch's rows and
    its commit; staff create a letter and add a note in this process meanwhile (SQLite: they
    wait for the worker's lock, seen inside BEGIN IMMEDIATE; PostgreSQL: they commit first).
    Then the worker commits: no duplicate key, no fallback, every row once."""
    settings = make_settings()
    reference = _seed_case(engine, settings)
    _store(engine, 1, 9)
    marker, go = tmp_path / "sent", tmp_path / "go"
    script = tmp_path / "paused_worker.py"
    script.write_text(PAUSED_WORKER)
    support = str(Path(__file__).resolve().parents[1] / "support")
    child = subprocess.Popen(
        [sys.executable, "-P", str(script), db_url, str(marker), support, str(tmp_path / "child"), str(go)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: marker.exists() or child.poll() is not None, "the worker sent its rows")
        assert marker.exists(), child.communicate()[1][-2000:]

        def staff() -> int:
            draft = drafts.create(engine, settings, reference, "clarification_request", by="anna")
            actions.add_note(engine, reference, "Gebeld met klant.", by="anna")
            return int(draft.draft_id)

        web_thread = _Thread(staff)
        web_thread.start()
        if db_url.startswith("sqlite"):
            _wait_for(_waiting_for_the_lock(web_thread), "staff wait for the worker's lock")
        else:
            web_thread.join(WAIT_S)
        go.write_text("go")
        out, err = child.communicate(timeout=WAIT_S)
        web_draft = web_thread.outcome()
    finally:
        go.write_text("go")
        if child.poll() is None:
            child.kill()
            child.wait(WAIT_S)
    assert child.returncode == 0 and "batch write failed" not in err, err[-2000:]
    assert "processed=9" in out and "cases_opened=9" in out, out
    counts = _counts(engine)
    assert counts["case"] == counts["references"] == counts["opened"] == 10
    assert counts["drafts"] == counts["draft_events"] == 11 and counts["waiting"] == 0
    with engine.connect() as conn:
        worker_drafts = {
            int(i) for (i,) in conn.execute(text("SELECT id FROM draft WHERE author = 'system:triage'"))
        }
    assert web_draft not in worker_drafts and len(worker_drafts) == 10
    if db_url.startswith("sqlite"):
        assert web_draft > max(worker_drafts)
