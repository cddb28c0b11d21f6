"""The worker: the composition root that runs intake and processing.

Blocking libraries stay in threads: the IMAP connection lives in its own
single-thread executor (imapclient is not thread-safe); processing runs in another.
The event loop only orchestrates and never blocks, so a stop request is honoured
within ``imap_idle_check_s``.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from avgdesk.mailbox.imap import ImapConnection, ImapParams
from avgdesk.mailbox.smtp import Mailer, SmtpMailer, SmtpParams
from avgdesk.models.errors import AvgdeskError, MailboxAuthError, RetryableError
from avgdesk.replies import outbox
from avgdesk.replies.outbox import DrainResult
from avgdesk.triage.cases.retention import PurgeResult, purge_daily
from avgdesk.triage.drafting_config import outbox_policy
from avgdesk.triage.intake.ingest import IngestResult, Intake
from avgdesk.triage.intake.processing import Processor, ProcessResult
from avgdesk.triage.settings import Settings
from avgdesk.triage.worker import lease
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
    if not settings.smtp_host:
        return None
    port = settings.smtp_port or {"ssl": 465, "starttls": 587}.get(settings.smtp_security.value, 25)
    return SmtpMailer(
        SmtpParams(
            host=settings.smtp_host,
            port=port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            security=settings.smtp_security.value,
            timeout_s=settings.smtp_timeout_s,
        )
    )


def imap_params(settings: Settings) -> ImapParams:
    return ImapParams(
        host=settings.imap_host or "",
        port=settings.effective_imap_port,
        username=settings.imap_username or "",
        password=settings.imap_password.get_secret_value() if settings.imap_password else "",
        security=settings.imap_security.value,
        connect_timeout_s=settings.imap_connect_timeout_s,
        read_timeout_s=settings.imap_read_timeout_s,
        uid_batch=settings.imap_uid_batch,
    )


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


class Worker:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        classifier_factory: Callable[[], Classifier | None] = lambda: None,
        mailer: Mailer | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.worker_id = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._classifier_factory = classifier_factory
        self.mailer = mailer if mailer is not None else smtp_mailer(settings)
        self.outbox_policy = outbox_policy(settings)
        self._processor: Processor | None = None
        self._imap_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imap")
        self._work_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="process")
        self._stopping = threading.Event()
        self._wake_processing: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.intake = Intake(engine, settings) if settings.imap_configured else None

    # --- shared ------------------------------------------------------------------------
    def processor(self) -> Processor:
        if self._processor is None:
            self._processor = Processor(
                self.engine,
                self.settings,
                classifier=self._classifier_factory(),
            )
        return self._processor

    def request_stop(self) -> None:
        self._stopping.set()
        if self._wake_processing is not None:
            self._wake_processing.set()

    def close(self) -> None:
        self._imap_pool.shutdown(wait=True, cancel_futures=True)
        self._work_pool.shutdown(wait=True, cancel_futures=True)

    async def _in(self, pool: ThreadPoolExecutor, fn: Callable[[], object]) -> object:
        return await asyncio.get_running_loop().run_in_executor(pool, fn)

    # --- run --once ------------------------------------------------------------------------
    async def run_once(self) -> OnceReport:
        """Drain everything waiting: mailbox (if configured), then processing."""
        report = OnceReport(mailbox_configured=self.intake is not None)
        if self.intake is not None:
            try:
                await self._in(self._imap_pool, lambda: self._drain_mailbox(report))
            except AvgdeskError as exc:
                report.intake_error = str(exc)
                self.intake.record_error(str(exc))
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
        if result.sent and self.intake is not None and self.settings.smtp_copy_to_sent:
            try:
                await self._in(self._imap_pool, self._copy_to_sent)
            except AvgdeskError as exc:
                log.warning("could not copy sent mail to %s: %s", self.settings.imap_sent_folder, exc)
        return result

    def _copy_to_sent(self) -> None:
        """Append sent replies to the IMAP Sent folder (a separate short connection)."""
        items = outbox.sent_not_copied(self.engine)
        if not items:
            return
        conn = ImapConnection(imap_params(self.settings))
        conn.connect()
        try:
            conn.ensure_folder(self.settings.imap_sent_folder)
            for item in items:
                # Crash after the append, before marking: the copy is appended again (harmless).
                conn.append(self.settings.imap_sent_folder, item.raw, seen=True)
        finally:
            conn.close()
        outbox.mark_copied(self.engine, [i.id for i in items if i.id is not None])

    def _drain_mailbox(self, report: OnceReport) -> None:
        assert self.intake is not None
        conn = ImapConnection(imap_params(self.settings))
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
            asyncio.create_task(run_scheduler(self.settings, self.engine, self._stopping), name="scheduler"),
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
                lease.release(self.engine, POLLER_LEASE, self.worker_id)

    async def _processing_loop(self) -> None:
        assert self._wake_processing is not None
        while not self._stopping.is_set():
            # Cleared before the pass, not after: a wake-up or a stop request that arrives
            # during the pass must not be lost (a lost stop kept shutdown waiting a full interval).
            self._wake_processing.clear()
            try:
                await self._in(
                    self._work_pool, lambda: self.processor().drain(self.settings.processing_batch * 5)
                )
            except RetryableError as exc:
                log.warning("processing paused: %s", exc)
            except Exception:
                log.exception("processing pass failed; retrying")
            try:
                purged = await self._in(self._work_pool, lambda: purge_daily(self.engine, self.settings))
                if isinstance(purged, PurgeResult) and (purged.cases or purged.messages):
                    log.info(
                        "retention: purged %d case(s), %d message(s)", len(purged.cases), purged.messages
                    )
            except Exception:
                log.exception("retention purge failed; retried tomorrow")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake_processing.wait(), timeout=self.settings.imap_poll_interval_s
                )

    async def _outbox_loop(self) -> None:
        if self.mailer is None:
            log.info("no SMTP server configured (AVGDESK_SMTP_HOST); approved mail waits in the outbox")
            return
        while not self._stopping.is_set():
            try:
                await self.drain_outbox()
            except Exception:
                log.exception("outbox pass failed; retrying")
            await self._sleep(self.settings.outbox_poll_interval_s)

    async def _intake_loop(self) -> None:
        s = self.settings
        backoff = Backoff(s.imap_backoff_initial_s, s.imap_backoff_max_s)
        while not self._stopping.is_set():
            held = await self._in(
                self._imap_pool,
                lambda: lease.try_acquire(self.engine, POLLER_LEASE, self.worker_id, s.poller_lease_s),
            )
            if not held:
                await self._sleep(s.poller_renew_s)
                continue
            try:
                await self._in(self._imap_pool, lambda: self._poll_session(backoff))
            except MailboxAuthError as exc:
                self._report_intake_error(exc)
                await self._sleep(s.imap_auth_backoff_s)
            except AvgdeskError as exc:
                self._report_intake_error(exc)
                await self._sleep(backoff.next_delay())
            except Exception as exc:  # a bug must not stop intake for good
                log.exception("unexpected intake error")
                self._report_intake_error(exc)
                await self._sleep(backoff.next_delay())

    def _report_intake_error(self, exc: BaseException) -> None:
        log.warning("intake error (will reconnect): %s", exc)
        if self.intake is not None:
            try:
                self.intake.record_error(f"{type(exc).__name__}: {exc}")
            except Exception:
                log.exception("could not record the intake error")

    def _poll_session(self, backoff: Backoff) -> None:
        """One connection's life, in the IMAP thread: sync, wait for change, repeat."""
        assert self.intake is not None
        s = self.settings
        conn = ImapConnection(imap_params(s))
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
                return True

            while not self._stopping.is_set() and not lost:
                result = self.intake.sync_once(conn)
                backoff.reset()
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
