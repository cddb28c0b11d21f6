"""The worker: the composition root that runs intake, processing, the outbox and the scheduler.

Blocking libraries stay in threads, each loop in its own: the IMAP intake session in one
single-thread executor (imapclient is not thread-safe), the copy to Sent on its *own*
connection in another (never waiting on the intake session, which lives in IDLE), and
processing in a third, which hands parsing and classification to a child process it can
kill (:mod:`avgdesk.triage.worker.isolation`). The event loop only orchestrates and never
blocks, so a stop request is honoured within ``imap_idle_check_s`` (plus the time to
close connections).

Faults degrade, they do not kill: an error in any loop (a database that is locked, gone
or out of disk space; a mailbox that is down) is logged, recorded in the health file that
``avgdesk status`` reads, and retried with capped backoff; the loop recovers by itself.

Seams: the IMAP connection factory and the Mailer are constructor arguments (defaults
built from the settings), so tests run the loops against ``tests/fakes.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Engine

from avgdesk.mailbox.imap import ImapConnection, ImapGateway, ImapParams
from avgdesk.models.errors import AvgdeskError, ConfigurationError, MailboxAuthError
from avgdesk.replies import outbox
from avgdesk.replies.outbox import DrainResult
from avgdesk.replies.transport import Mailer
from avgdesk.triage import connectors
from avgdesk.triage.cases.retention import PurgeResult, purge_daily
from avgdesk.triage.drafting_config import outbox_policy
from avgdesk.triage.intake.analysis import Analyser, describe
from avgdesk.triage.intake.ingest import IngestResult, Intake
from avgdesk.triage.intake.processing import Processor, ProcessResult
from avgdesk.triage.intake.reading import parse_limits
from avgdesk.triage.settings import Settings
from avgdesk.triage.worker import lease
from avgdesk.triage.worker.health import Health
from avgdesk.triage.worker.isolation import AnalysisStopped, ChildAnalyser
from avgdesk.triage.worker.scheduler import run_scheduler

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)

POLLER_LEASE = "imap-poller"


@dataclass
class OnceReport:
    mailbox_configured: bool
    ingested: int = 0
    duplicates: int = 0
    oversized: int = 0
    processing: ProcessResult = field(default_factory=ProcessResult)
    outbox: DrainResult | None = None
    intake_error: str | None = None


def smtp_mailer(settings: Settings) -> Mailer | None:
    """The outbox transport: SMTP (password or OAuth) or Graph (triage.connectors)."""
    return connectors.outbox_mailer(settings)


def imap_params(settings: Settings) -> ImapParams:
    """Password or OAuth login (triage.connectors; the token provider is shared per process)."""
    return connectors.imap_params(settings)


class Backoff:
    """Exponential backoff with full jitter between ``initial_s`` and ``max_s``."""

    def __init__(self, initial_s: float, max_s: float, rng: random.Random | None = None) -> None:
        self.initial_s = initial_s
        self.max_s = max_s
        self.failures = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.max_s, self.initial_s * (2**self.failures))
        self.failures += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.failures = 0


class ImapSession(ImapGateway, Protocol):
    """What the worker needs from one IMAP connection besides what intake needs."""

    def connect(self) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...
    def has_capability(self, name: str) -> bool: ...
    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None: ...
    def wait_for_change(
        self, *, max_wait_s: float, check_s: float, keep_waiting: Callable[[], bool]
    ) -> object: ...


ImapFactory = Callable[[], ImapSession]


class Worker:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        classifier_factory: Callable[[], Classifier | None] = lambda: None,
        mailer: Mailer | None = None,
        *,
        imap_factory: ImapFactory | None = None,
        isolate_processing: bool | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.worker_id = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._classifier_factory = classifier_factory
        self.mailer = mailer if mailer is not None else smtp_mailer(settings)
        self.imap_factory: ImapFactory = imap_factory or (lambda: ImapConnection(imap_params(settings)))
        self.outbox_policy = outbox_policy(settings)
        self.isolate_processing = (
            settings.processing_isolation if isolate_processing is None else isolate_processing
        )
        self.health = Health(settings.data_dir, self.worker_id)
        self._processor: Processor | None = None
        self._imap_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap")
        self._sent_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap-sent")
        self._work_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process")
        self._stopping = threading.Event()
        self._wake_processing: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.intake = Intake(engine, settings) if settings.imap_configured else None

    # --- shared ------------------------------------------------------------------------
    def processor(self) -> Processor:
        if self._processor is None:
            analyser: Analyser | None = None
            classifier: Classifier | None = None
            if self.isolate_processing:
                limits = parse_limits(self.settings)
                analyser = ChildAnalyser(self.settings, limits, self._classifier_factory, self._stopping)
            else:
                classifier = self._classifier_factory()
            self._processor = Processor(self.engine, self.settings, classifier=classifier, analyser=analyser)
        return self._processor

    def request_stop(self) -> None:
        self._stopping.set()
        if self._wake_processing is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_processing.set)

    def close(self) -> None:
        self._stopping.set()
        for pool in (self._imap_pool, self._sent_pool, self._work_pool):
            pool.shutdown(wait=True, cancel_futures=True)
        if self._processor is not None:
            self._processor.analyser.close()
        self.health.close()

    async def _in(self, pool: ThreadPoolExecutor, fn: Callable[[], object]) -> object:
        return await asyncio.get_running_loop().run_in_executor(pool, fn)

    # --- run --once ------------------------------------------------------------------------
    async def run_once(self) -> OnceReport:
        """Drain everything waiting: mailbox (if configured), then processing, then the outbox.

        The result goes into the health file (``last_run_at``/``last_run_ok``), so a cron
        setup's worker is healthy while its runs succeed, not "stopped" (issue 12)."""
        try:
            report = await self._run_once()
        except BaseException as exc:
            self.health.run_finished(False, describe(exc))
            raise
        problems = self.health.problems()
        reason = report.intake_error or next((f"{k}: {p.reason}" for k, p in problems.items()), None)
        self.health.run_finished(reason is None, reason)
        return report

    async def _run_once(self) -> OnceReport:
        report = OnceReport(mailbox_configured=self.intake is not None)
        if self.intake is not None:
            try:
                await self._in(self._imap_pool, lambda: self._drain_mailbox(report))
            except AvgdeskError as exc:
                report.intake_error = str(exc)
                self._record_intake_error(exc)
                log.error("intake failed: %s", exc)
        else:
            log.info("no mailbox configured (AVGDESK_IMAP_HOST); processing stored messages only")
        result = await self._in(self._work_pool, lambda: self.processor().drain())
        assert isinstance(result, ProcessResult)
        report.processing = result
        report.outbox = await self.drain_outbox()
        return report

    async def drain_outbox(self) -> DrainResult | None:
        """Send approved mail that is due (None when no SMTP server is configured)."""
        if self.mailer is None:
            return None
        result = await outbox.drain(self.engine, self.mailer, self.worker_id, self.outbox_policy)
        # What sent letters change on their cases (an extension binds, a requested pause
        # starts). Every pass, not only after a send: it is idempotent and repairs a crash
        # between a send and this step.
        from avgdesk.triage.cases.actions import letters_sent

        await self._in(self._work_pool, lambda: letters_sent(self.engine, self.settings))
        if self.intake is not None and connectors.copies_to_sent(self.settings):
            try:
                # Its own thread and connection: never queued behind the intake session.
                await self._in(self._sent_pool, self._copy_to_sent)
                self.health.ok("copy-to-sent")
            except Exception as exc:
                self.health.problem("copy-to-sent", describe(exc))
                folder = self.settings.imap_sent_folder
                log.warning("could not copy sent mail to %s: %s", folder, describe(exc))
        return result

    def _copy_to_sent(self) -> None:
        """Append every sent reply not yet copied to the IMAP Sent folder (one short connection)."""
        items = outbox.sent_not_copied(self.engine)
        if not items:
            return
        conn = self.imap_factory()
        conn.connect()
        try:
            conn.ensure_folder(self.settings.imap_sent_folder)
            while items:
                for item in items:
                    # Crash after the append, before marking: the copy is appended again (harmless).
                    conn.append(self.settings.imap_sent_folder, item.raw, seen=True)
                outbox.mark_copied(self.engine, [i.id for i in items if i.id is not None])
                items = [] if self._stopping.is_set() else list(outbox.sent_not_copied(self.engine))
        finally:
            conn.close()

    def _drain_mailbox(self, report: OnceReport) -> None:
        assert self.intake is not None
        conn = self.imap_factory()
        conn.connect()
        try:
            while True:
                res: IngestResult = self.intake.sync_once(conn)
                report.ingested += res.stored
                report.duplicates += res.duplicates
                report.oversized += res.oversized
                if not res.more_waiting:
                    break
        finally:
            conn.close()

    # --- run forever -------------------------------------------------------------------------
    async def run_forever(self) -> None:
        self._wake_processing = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        tasks = [
            asyncio.create_task(self._processing_loop(), name="processing"),
            asyncio.create_task(self._outbox_loop(), name="outbox"),
            asyncio.create_task(self._scheduler_loop(), name="scheduler"),
            asyncio.create_task(self._health_loop(), name="health"),
        ]
        if self.intake is not None:
            tasks.append(asyncio.create_task(self._intake_loop(), name="intake"))
        else:
            log.info("no mailbox configured; the worker processes stored messages (contact form) only")
        try:
            await asyncio.gather(*tasks)
        finally:
            self._stopping.set()
            for task in tasks:
                task.cancel()
            if self.intake is not None:
                try:
                    lease.release(self.engine, POLLER_LEASE, self.worker_id)
                except Exception as exc:  # a full disk or a gone database: the lease just expires
                    log.warning("could not release the poller lease: %s", describe(exc))

    async def _guarded(self, name: str, step: Callable[[], Awaitable[float]]) -> None:
        """Run ``step`` until stopped; it returns how long to wait before the next run. An
        error is logged, shown in the health file, and retried after a capped backoff."""
        backoff = Backoff(1.0, self.settings.worker_error_backoff_max_s)
        while not self._stopping.is_set():
            try:
                wait = await step()
                backoff.reset()
            except AnalysisStopped:
                return
            except ConfigurationError:
                raise  # a bad setting stops the worker at once (exit 2), it does not heal
            except Exception as exc:
                self.health.problem(name, describe(exc))
                wait = backoff.next_delay()
                log.warning("%s loop failed (retrying in %.1f s): %s", name, wait, describe(exc))
                self._write_health()
            await self._pause(name, wait)

    async def _pause(self, name: str, seconds: float) -> None:
        if name != "processing" or self._wake_processing is None:
            await self._sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake_processing.wait(), timeout=seconds)

    async def _processing_loop(self) -> None:
        async def step() -> float:
            assert self._wake_processing is not None
            # Cleared before the pass, not after: a wake-up or a stop request that arrives
            # during the pass must not be lost (a lost stop kept shutdown waiting a full interval).
            self._wake_processing.clear()
            limit = self.settings.processing_batch * 5
            await self._in(self._work_pool, lambda: self.processor().drain(limit))
            self.health.ok("processing")
            await self._purge()
            return self.settings.imap_poll_interval_s

        await self._guarded("processing", step)

    async def _purge(self) -> None:
        try:
            purged = await self._in(self._work_pool, lambda: purge_daily(self.engine, self.settings))
            if isinstance(purged, PurgeResult) and (purged.cases or purged.messages):
                log.info("retention: purged %d case(s), %d message(s)", len(purged.cases), purged.messages)
            self.health.ok("retention")
        except Exception as exc:
            self.health.problem("retention", describe(exc))
            log.warning("retention purge failed; retried at the next pass: %s", describe(exc))

    async def _outbox_loop(self) -> None:
        if self.mailer is None:
            log.info("no SMTP server configured (AVGDESK_SMTP_HOST); approved mail waits in the outbox")
            return

        async def step() -> float:
            await self.drain_outbox()
            self.health.ok("outbox")
            return self.settings.outbox_poll_interval_s

        await self._guarded("outbox", step)

    async def _scheduler_loop(self) -> None:
        async def step() -> float:
            # run_scheduler only returns when stopped; it reports each tick's outcome.
            await run_scheduler(self.settings, self.engine, self._stopping, report=self._scheduler_report)
            return 0.0

        await self._guarded("scheduler", step)

    def _scheduler_report(self, problem: str | None) -> None:
        if problem is None:
            self.health.ok("scheduler")
        else:
            self.health.problem("scheduler", problem)

    async def _health_loop(self) -> None:
        while not self._stopping.is_set():
            self._write_health()
            await self._sleep(min(5.0, self.settings.health_heartbeat_stale_s / 4))

    def _write_health(self) -> None:
        self.health.write()

    # --- intake --------------------------------------------------------------------------------
    async def _intake_loop(self) -> None:
        s = self.settings
        backoff = Backoff(s.imap_backoff_initial_s, s.imap_backoff_max_s)
        while not self._stopping.is_set():
            failure: BaseException | None = None
            delay = 0.0
            try:
                held = await self._in(
                    self._imap_pool,
                    lambda: lease.try_acquire(self.engine, POLLER_LEASE, self.worker_id, s.poller_lease_s),
                )
                if not held:
                    self.health.ok("intake")  # a standby is healthy
                    await self._sleep(s.poller_renew_s)
                    continue
                await self._in(self._imap_pool, lambda: self._poll_session(backoff))
            except MailboxAuthError as exc:
                failure, delay = exc, s.imap_auth_backoff_s
            except Exception as exc:  # the mailbox, the database or a bug: never stop intake for good
                failure, delay = exc, backoff.next_delay()
            if failure is not None:
                self._report_intake_error(failure, delay)
                await self._sleep(delay)

    def _report_intake_error(self, exc: BaseException, delay: float) -> None:
        log.warning("intake error (retrying in %.1f s): %s", delay, describe(exc))
        self.health.problem("intake", describe(exc))
        self._write_health()
        self._record_intake_error(exc)

    def _record_intake_error(self, exc: BaseException) -> None:
        if self.intake is None:
            return
        try:
            self.intake.record_error(describe(exc))
        except Exception as db_exc:  # the database may be what failed
            log.debug("could not record the intake error: %s", describe(db_exc))

    def _poll_session(self, backoff: Backoff) -> None:
        """One connection's life, in the IMAP thread: sync, wait for change, repeat."""
        assert self.intake is not None
        intake = self.intake
        s = self.settings
        conn = self.imap_factory()
        conn.connect()
        try:
            last_renew = time.monotonic()
            lost = False

            def keep_waiting() -> bool:
                nonlocal last_renew, lost
                if self._stopping.is_set():
                    return False
                if time.monotonic() - last_renew >= s.poller_renew_s:
                    last_renew = time.monotonic()
                    if not lease.try_acquire(self.engine, POLLER_LEASE, self.worker_id, s.poller_lease_s):
                        lost = True
                        return False
                    # A healthy IDLE moves last_poll_at too, so a stall stands out in status.
                    intake.record_poll()
                return True

            while not self._stopping.is_set() and not lost:
                result = intake.sync_once(conn)
                backoff.reset()
                self.health.ok("intake")
                if result.stored:
                    self._wake()
                if result.more_waiting or result.stored:
                    if not keep_waiting():
                        break
                    continue
                conn.wait_for_change(
                    max_wait_s=s.imap_idle_renew_s if conn.has_capability("IDLE") else s.imap_poll_interval_s,
                    check_s=s.imap_idle_check_s,
                    keep_waiting=keep_waiting,
                )
            if lost:
                log.warning("poller lease lost to another worker; standing by")
        except BaseException:
            conn.abort()
            raise
        else:
            conn.close()

    def _wake(self) -> None:
        event, loop = self._wake_processing, self._loop
        if event is not None and loop is not None:
            loop.call_soon_threadsafe(event.set)

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._stopping.is_set() and time.monotonic() < end:
            await asyncio.sleep(min(0.5, end - time.monotonic()))
