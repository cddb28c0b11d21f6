"""Parsing and classification in a killable child: a runaway message delays only itself."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import pytest
from helpers import FixedLabels, mail, until, wait_for
from sqlmodel import Session

from avgdesk.models.tables import InboundMessage, MessageState
from avgdesk.triage.intake import analysis
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.intake.reading import parse_limits
from avgdesk.triage.worker import isolation
from avgdesk.triage.worker.isolation import ChildAnalyser
from avgdesk.triage.worker.runner import Worker

MARK = b"RUNAWAY-PARSE"


def _runaway_parse(job: analysis.Job, settings: Any, limits: Any) -> analysis.Analysis:
    if job.raw is not None and MARK in job.raw:
        while True:  # a parser stuck for good (pure Python, holding the GIL)
            pass
    return analysis.parse_one(job, settings, limits)


def _poison_html(size: int = 2_000_000) -> bytes:
    """An HTML-only mail of 2 MB of unclosed comment openers (the shape that froze the worker)."""
    body = b"<html><body>" + b"<!--" * (size // 4) + b"</body></html>"
    return (
        b"From: Spam <spam@example.com>\r\nTo: privacy@nhmbsoftware.nl\r\nSubject: x\r\n"
        b"Message-ID: <poison@example.com>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    )


def _state(engine: Any, pk: int) -> InboundMessage:
    with Session(engine) as s:
        row = s.get(InboundMessage, pk)
        assert row is not None
        return row


def test_a_runaway_message_is_killed_and_quarantined_at_once(engine, make_settings, monkeypatch) -> None:
    monkeypatch.setattr(isolation, "parse_one", _runaway_parse)
    settings = make_settings(processing_message_timeout_s=2.0)
    good_before = store_local_message(engine, mail(1, mid="a@example.nl"), source="imap")[0]
    bad = store_local_message(engine, mail(2, mid="b@example.nl", body=MARK.decode()), source="imap")[0]
    good_after = store_local_message(engine, mail(3, mid="c@example.nl"), source="imap")[0]
    stop = isolation.threading.Event()
    analyser = ChildAnalyser(settings, parse_limits(settings), FixedLabels, stop)
    processor = Processor(engine, settings, analyser=analyser)
    try:
        started = time.monotonic()
        result = processor.drain()
        elapsed = time.monotonic() - started
    finally:
        analyser.close()
    assert result.processed == 2 and result.quarantined == 1
    assert _state(engine, good_before).state is MessageState.PROCESSED
    assert _state(engine, good_after).state is MessageState.PROCESSED
    row = _state(engine, bad)
    assert row.state is MessageState.QUARANTINED and row.attempts == 1  # the first timeout
    assert "exceeded 2 s" in (row.quarantine_reason or "")
    # One per-message limit, plus a fresh child and a re-parse of the batch: generous bound.
    assert elapsed < 2.0 + 30.0, elapsed


def test_the_classifier_is_loaded_once_before_the_fork(engine, make_settings, monkeypatch) -> None:
    monkeypatch.setattr(isolation, "parse_one", _runaway_parse)
    loads: list[int] = []

    def factory() -> FixedLabels:
        loads.append(os.getpid())
        return FixedLabels()

    settings = make_settings(processing_message_timeout_s=1.0)
    store_local_message(engine, mail(1, mid="bad@example.nl", body=MARK.decode()), source="imap")
    store_local_message(engine, mail(2, mid="ok@example.nl"), source="imap")
    analyser = ChildAnalyser(settings, parse_limits(settings), factory, isolation.threading.Event())
    try:
        Processor(engine, settings, analyser=analyser).drain()
        first_child = analyser.child_pid
        assert first_child is not None and first_child != os.getpid()
    finally:
        analyser.close()
    assert loads == [os.getpid()]  # once, in the parent: the children (two here) share it


async def test_poison_mail_delays_others_at_most_the_limit_and_sigterm_still_ends_the_worker(
    engine, make_settings, monkeypatch
) -> None:
    monkeypatch.setattr(isolation, "parse_one", _runaway_parse)
    settings = make_settings(processing_message_timeout_s=3.0, imap_poll_interval_s=0.5)
    poison = store_local_message(engine, _poison_html(), source="imap")[0]
    stuck = store_local_message(engine, mail(1, mid="stuck@example.nl", body=MARK.decode()), source="imap")[0]
    normal = store_local_message(engine, mail(2, mid="fine@example.nl"), source="imap")[0]
    worker = Worker(settings, engine, classifier_factory=FixedLabels)
    task = asyncio.create_task(worker.run_forever())
    try:
        started = time.monotonic()
        await until(lambda: _state(engine, normal).state is MessageState.PROCESSED, timeout_s=60)
        delay = time.monotonic() - started
        await until(lambda: _state(engine, stuck).state is MessageState.QUARANTINED, timeout_s=60)
        assert _state(engine, poison).state in (MessageState.PROCESSED, MessageState.QUARANTINED)
        # The normal mail waited for at most one per-message limit (plus child restart and load).
        assert delay < 3.0 + 20.0, delay
        # A new runaway in progress, then SIGTERM (request_stop): the worker ends promptly.
        late_mail = mail(3, mid="late@example.nl", body=MARK.decode())
        late = store_local_message(engine, late_mail, source="imap")[0]
        worker._wake()
        await until(lambda: _state(engine, late).attempts == 1, timeout_s=30)
        stop_at = time.monotonic()
        worker.request_stop()
        await asyncio.wait_for(task, 30)
        assert time.monotonic() - stop_at < 10.0
        assert _state(engine, late).claim_token is None  # the abandoned claim was given back
    finally:
        worker.request_stop()
        if not task.done():
            await asyncio.wait_for(task, 30)
        worker.close()


def _start_analyser_and_report(settings: Any, write_fd: int) -> None:
    """In a throw-away 'worker' process: fork the analysis child, report its pid, idle."""
    analyser = ChildAnalyser(settings, parse_limits(settings), FixedLabels, isolation.threading.Event())
    analyser._ensure_child()
    os.write(write_fd, str(analyser.child_pid).encode())
    time.sleep(600)


def test_the_analysis_child_dies_with_a_killed_worker(make_settings) -> None:
    """A child that outlived a SIGKILLed worker kept the worker's database sockets open, so
    PostgreSQL kept the dead worker's row locks and every other worker blocked (the intake
    soak stalled on the reference counter)."""
    import multiprocessing
    import signal

    settings = make_settings()
    read_fd, write_fd = os.pipe()
    worker = multiprocessing.get_context("fork").Process(
        target=_start_analyser_and_report, args=(settings, write_fd)
    )
    worker.start()
    try:
        child_pid = int(os.read(read_fd, 32))

        def child_alive() -> bool:
            try:
                os.kill(child_pid, 0)
            except ProcessLookupError:
                return False
            with open(f"/proc/{child_pid}/stat") as fh:  # a zombie waiting for its reaper
                return fh.read().split(")")[-1].split()[0] != "Z"

        assert child_alive()
        os.kill(worker.pid or 0, signal.SIGKILL)
        worker.join(10)
        wait_for(lambda: not child_alive(), timeout_s=30)  # fails: the child outlived its worker
    finally:
        os.close(read_fd)
        os.close(write_fd)
        if worker.is_alive():
            worker.kill()


def test_the_child_is_recycled_after_the_set_number_of_messages(make_settings) -> None:
    settings = make_settings(processing_child_recycle_messages=2)
    loads: list[int] = []

    def factory() -> FixedLabels:
        loads.append(1)
        return FixedLabels()

    analyser = ChildAnalyser(settings, parse_limits(settings), factory, isolation.threading.Event())
    pids: list[int | None] = []
    try:
        for n in range(5):
            job = analysis.Job(pk=n + 1, raw=mail(n + 1, mid=f"r{n}@example.nl", body="#access inzage"))
            [result] = analyser.analyse([job])
            assert result.error is None and result.pk == n + 1
            pids.append(analyser.child_pid)
    finally:
        analyser.close()
    # Two messages per child: a fresh child for the third and the fifth message.
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
    assert len(set(pids)) == 3
    assert loads == [1]  # the model is loaded once, before the first fork, and shared


# --- issue 16: one batch in flight while the parent writes the one before -------------------
def _job(n: int) -> analysis.Job:
    return analysis.Job(pk=n, raw=mail(n, mid=f"j{n}@example.nl", body="#access inzage"))


def test_the_child_works_on_a_submitted_batch_before_it_is_collected(make_settings) -> None:
    """Fails before: there was only analyse(), which waited for the child's results."""
    settings = make_settings(processing_child_recycle_messages=1)
    analyser = ChildAnalyser(settings, parse_limits(settings), FixedLabels, isolation.threading.Event())
    try:
        analyser.submit([_job(1)])  # returns at once
        assert analyser._conn is not None
        conn = analyser._conn
        wait_for(conn.poll, timeout_s=60)  # the child answers while nobody waits for it
        pid = analyser.child_pid
        # Collecting reads that same child, although it has served its recycle quota.
        [first] = analyser.collect()
        assert first.pk == 1 and first.error is None and analyser.child_pid == pid
        # A batch abandoned in flight kills the child: the next batch never reads its results.
        analyser.submit([_job(2)])
        analyser.cancel()
        assert analyser.child_pid is None
        analyser.submit([_job(3)])
        assert [a.pk for a in analyser.collect()] == [3]
    finally:
        analyser.close()


def test_a_stop_while_a_batch_is_written_keeps_that_batch_and_gives_the_next_back(
    engine, make_settings, monkeypatch
) -> None:
    """The stop request comes during batch 1's write, with batch 2 already in the child:
    batch 1 is committed, batch 2's claim is given back and the child killed. Fails before:
    batch 2 was claimed only after batch 1's write."""
    import pytest

    settings = make_settings(processing_batch=2)
    pks = [store_local_message(engine, mail(n), source="imap")[0] for n in range(1, 5)]
    stop = isolation.threading.Event()
    analyser = ChildAnalyser(settings, parse_limits(settings), FixedLabels, stop)
    claimed_at_write: list[list[int]] = []
    write = Processor._write

    def write_and_stop(self: Processor, *args: Any) -> Any:
        if not claimed_at_write:
            claimed_at_write.append([_state(engine, pk).attempts for pk in pks[2:]])
            stop.set()  # SIGTERM arrives while batch 1 is being written
        return write(self, *args)

    monkeypatch.setattr(Processor, "_write", write_and_stop)
    try:
        with pytest.raises(isolation.AnalysisStopped):
            Processor(engine, settings, analyser=analyser).drain()
        assert analyser.child_pid is None  # killed on the stop
    finally:
        analyser.close()
    assert claimed_at_write == [[1, 1]]  # batch 2 claimed before batch 1's write
    rows = [_state(engine, pk) for pk in pks]
    assert [r.state for r in rows[:2]] == [MessageState.PROCESSED] * 2
    assert [r.state for r in rows[2:]] == [MessageState.RECEIVED] * 2
    assert [(r.claim_token, r.attempts) for r in rows[2:]] == [(None, 1), (None, 1)]


def test_a_collect_that_breaks_off_never_hands_its_answers_to_the_next_batch(
    make_settings, monkeypatch
) -> None:
    """Fails before (found by an attack review of 6ab86c7): an exception while reading that
    was not the child's death or a stop left the child alive with the rest of batch 1's
    answers in the pipe, and batch 2 read them as its own (a TypeError in collect)."""
    settings = make_settings()
    analyser = ChildAnalyser(settings, parse_limits(settings), FixedLabels, isolation.threading.Event())
    real = analyser._receive
    calls = {"n": 0}

    def breaks_once(conn: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt("an interrupt, or an answer that cannot be unpickled")
        return real(conn)

    try:
        analyser.submit([_job(1), _job(2)])
        monkeypatch.setattr(analyser, "_receive", breaks_once)
        with pytest.raises(KeyboardInterrupt):
            analyser.collect()
        assert analyser.child_pid is None  # the child and its pipe are gone
        analyser.submit([_job(3)])
        got = analyser.collect()
        assert [(a.pk, a.error) for a in got] == [(3, None)]
    finally:
        analyser.close()
