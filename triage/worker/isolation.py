"""Parsing and classification in a child process the worker can kill.

A message that makes the parser or the model run away (or crash) must delay only itself:
the worker's loops (intake, outbox, scheduler, the SIGTERM handler) keep running in the
parent, and after ``processing_message_timeout_s`` the child is killed, the message
quarantined with the reason, and a fresh child takes the rest of the batch.

The child is forked *after* the parent loaded the classifier, so the model is loaded once
per worker and its pages are shared copy-on-write; the child never touches the database
(it gets raw bytes, returns plain data) and never logs. It is replaced every
``processing_child_recycle_messages`` messages to bound slow memory growth.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from avgdesk.mailbox.parsing import ParseLimits
from avgdesk.models.errors import RetryableError
from avgdesk.triage.intake.analysis import Analysis, Job, classify, parse_one
from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)

_POLL_S = 0.2


class AnalysisStopped(RetryableError):
    """The worker is stopping; the batch was abandoned (its claim is given back)."""


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this child when the worker dies (PR_SET_PDEATHSIG).

    A forked child inherits the worker's database sockets: if it outlived a worker killed
    with SIGKILL, PostgreSQL would never see that connection close, and a row lock of the
    dead worker's open transaction (the reference counter) would block every other worker.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the EOF on the pipe still ends the child
        pass


def _child_main(
    conn: Connection, parent_end: Connection, settings: Settings, limits: ParseLimits, classifier: Any
) -> None:
    _die_with_parent()
    # The fork copied the parent's end of the pipe too: close it, or the child would never
    # see EOF when the parent dies (it would be its own writer) and live on.
    parent_end.close()
    if os.getppid() == 1:  # the parent died before the line above took effect
        os._exit(0)
    # The parent's asyncio signal handling must not see our signals: a SIGTERM to this
    # child would otherwise be written to the parent's wake-up pipe and stop the worker.
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.disable(logging.CRITICAL)
    while True:
        try:
            jobs: list[Job] = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        results = []
        for job in jobs:
            results.append(parse_one(job, settings, limits))
            conn.send(("parsed", job.pk))
        classify(results, classifier, {j.pk for j in jobs if j.truncated_reason})
        conn.send(("done", results))


class ChildAnalyser:
    """See module docstring. Used from one thread (the worker's processing thread)."""

    def __init__(
        self,
        settings: Settings,
        limits: ParseLimits,
        classifier_factory: Callable[[], Classifier | None],
        stopping: threading.Event,
    ) -> None:
        self.settings = settings
        self.limits = limits
        self.timeout_s = settings.processing_message_timeout_s
        self.recycle_after = settings.processing_child_recycle_messages
        self._factory = classifier_factory
        self._classifier: Classifier | None = None
        self._loaded = False
        self._stopping = stopping
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._served = 0
        self._inflight: list[Job] | None = None
        self._sent = False

    # --- child lifecycle ----------------------------------------------------------------
    def _ensure_child(self) -> Connection:
        if self._proc is not None and self._proc.is_alive() and self._conn is not None:
            if self._served < self.recycle_after:
                return self._conn
            self._kill()
        if not self._loaded:
            # Loaded here, before the fork, so that every child shares the one model.
            self._classifier = self._factory()
            self._loaded = True
        ctx = multiprocessing.get_context("fork")
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(
            target=_child_main,
            args=(child_end, parent_end, self.settings, self.limits, self._classifier),
            name="avgdesk-analysis",
            daemon=True,
        )
        proc.start()
        child_end.close()
        self._proc, self._conn, self._served = proc, parent_end, 0
        return parent_end

    def _kill(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(5)

    def close(self) -> None:
        self._inflight, self._sent = None, False
        self._kill()

    @property
    def child_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # --- work -----------------------------------------------------------------------------
    background = True
    """The child parses and classifies a submitted batch while the caller writes the last one."""

    def submit(self, jobs: Sequence[Job]) -> None:
        """Hand a batch to the child and return at once. A child that died meanwhile is
        replaced in ``collect`` (which sends the batch again), so this never raises for it."""
        if self._inflight is not None:
            raise RuntimeError("a batch is already in flight")
        self._inflight, self._sent = list(jobs), False
        if not jobs:
            return
        conn = self._ensure_child()
        try:
            conn.send(self._inflight)
        except (OSError, ValueError):
            self._kill()  # a dead child (broken pipe): collect starts a fresh one
            return
        except BaseException:
            self._kill()  # a half-sent batch must not reach the child as the next one's start
            self._inflight = None
            raise
        self._served += len(jobs)
        self._sent = True

    def collect(self) -> list[Analysis]:
        """The submitted batch's results. The per-message time limit runs from here, so a
        runaway message gets the limit plus however long the caller took to come back."""
        jobs, sent = self._inflight or [], self._sent
        self._inflight, self._sent = None, False
        try:
            return self._collect(jobs, sent)
        except BaseException:
            # Whatever broke off the reading (a stop, an unpicklable answer, a bug), the rest
            # of this batch's answers may still be in the pipe: the next batch must never
            # read them as its own, so the child goes and the next batch gets a fresh one.
            self._kill()
            raise

    def _collect(self, jobs: list[Job], sent: bool) -> list[Analysis]:
        done: dict[int, Analysis] = {}
        remaining = list(jobs)
        while remaining:
            # Not _ensure_child for a batch already sent: a recycle would kill its child.
            conn = self._conn if sent and self._conn is not None else None
            if conn is None:
                conn = self._ensure_child()
                conn.send(remaining)
                self._served += len(remaining)
            sent = False  # a retry after a kill goes to a fresh child: send again
            if not self._collect_round(conn, remaining, done):
                break
            remaining = [j for j in remaining if j.pk not in done]
        return [done[j.pk] for j in jobs if j.pk in done]

    def cancel(self) -> None:
        """Abandon the batch in flight: the child is killed, so no stale result is read later."""
        if self._inflight is not None:
            self._inflight, self._sent = None, False
            self._kill()

    def analyse(self, jobs: Sequence[Job]) -> list[Analysis]:
        self.submit(jobs)
        return self.collect()

    def _collect_round(self, conn: Connection, remaining: list[Job], done: dict[int, Analysis]) -> bool:
        """One child's answers for ``remaining``; False when nothing is left to retry."""
        parsed = 0
        for _ in remaining:
            if self._receive(conn) is None:
                break
            parsed += 1
        if parsed < len(remaining):
            victim = remaining[parsed]
            done[victim.pk] = self._gave_up(victim, "parsing")
            return True  # the rest goes to a fresh child
        message = self._receive(conn)
        if message is None:
            # The model ran away on this batch: each message is retried alone later
            # (attempts counted); a message alone here is quarantined at once.
            for job in remaining:
                done[job.pk] = self._gave_up(job, "classification", quarantine=len(remaining) == 1)
            return False
        for analysis in message[1]:
            done[analysis.pk] = analysis
        return False

    def _receive(self, conn: Connection) -> tuple[str, Any] | None:
        """The child's next message, or None after the time limit (the child is killed)."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self._stopping.is_set():
                self._kill()
                raise AnalysisStopped("the worker is stopping")
            try:
                if conn.poll(min(_POLL_S, max(0.0, deadline - time.monotonic()))):
                    received: tuple[str, Any] = conn.recv()
                    return received
            except (EOFError, OSError):
                self._kill()  # the child died (a crash in a C extension, or the OOM killer)
                return None
            if time.monotonic() >= deadline:
                self._kill()
                return None

    def _gave_up(self, job: Job, stage: str, *, quarantine: bool = True) -> Analysis:
        reason = f"{stage} exceeded {self.timeout_s:g} s or crashed the analysis process; stopped"
        log.error("message %s: %s", job.pk, reason)
        return Analysis(job.pk, error=reason, timed_out=quarantine)
