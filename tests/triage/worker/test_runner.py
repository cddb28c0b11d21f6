"""The worker without a mailbox, and its backoff (the live tests are in tests/integration/test_worker.py)."""

from __future__ import annotations

import random

import pytest

from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.worker.runner import Backoff, Worker


async def test_run_once_without_mailbox_processes_stored(engine, make_settings, mail_factory) -> None:
    store_local_message(engine, mail_factory(1), source="form")
    worker = Worker(make_settings(), engine)
    try:
        report = await worker.run_once()
    finally:
        worker.close()
    assert not report.mailbox_configured
    assert report.processing.processed == 1


def test_backoff_grows_with_jitter_and_caps() -> None:
    b = Backoff(1.0, 8.0, random.Random(1))
    delays = [b.next_delay() for _ in range(6)]
    assert 0.5 <= delays[0] <= 1.0
    assert all(d <= 8.0 for d in delays) and delays[-1] >= 4.0
    b.reset()
    assert b.next_delay() <= 1.0


# --- the loops on in-memory fakes (tests/fakes.py): fast, no servers ----------------------------

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
from collections.abc import AsyncIterator, Callable  # noqa: E402
from typing import Any  # noqa: E402

from fakes import FakeImapServer, RecordingMailer  # noqa: E402
from helpers import FixedLabels, mail, until  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from avgdesk.models.engine import session_scope  # noqa: E402
from avgdesk.models.tables import (  # noqa: E402
    Case,
    Draft,
    DraftState,
    InboundMessage,
    MailboxCursor,
    MessageState,
)
from avgdesk.replies.drafting import approve_draft  # noqa: E402
from avgdesk.triage.drafting_config import drafting_context  # noqa: E402
from avgdesk.triage.reports.status import collect  # noqa: E402
from avgdesk.triage.worker import health  # noqa: E402

FAKE_IMAP = {
    "imap_host": "fake.invalid",
    "imap_username": "privacy",
    "imap_idle_check_s": 0.1,
    "imap_backoff_initial_s": 0.05,
    "imap_backoff_max_s": 0.2,
    "poller_renew_s": 0.2,
    "outbox_poll_interval_s": 0.2,
    "imap_poll_interval_s": 0.5,
}


def _count(engine: Any, model: Any, *where: Any) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    task = asyncio.create_task(worker.run_forever())
    try:
        yield worker
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, 60)
        worker.close()


def _fake_worker(engine: Any, make_settings: Callable[..., Any], server: FakeImapServer, **kw: Any) -> Worker:
    settings = make_settings(**{**FAKE_IMAP, **kw})
    mailer = RecordingMailer()
    factory = server.session
    return Worker(settings, engine, classifier_factory=FixedLabels, mailer=mailer, imap_factory=factory)


async def test_intake_processing_and_outbox_on_fakes(engine, make_settings) -> None:
    server = FakeImapServer()
    worker = _fake_worker(engine, make_settings, server)
    assert isinstance(worker.mailer, RecordingMailer)
    async with running(worker):
        server.deliver(mail(1, body="#access graag inzage", mid="one@example.nl"))
        server.deliver(mail(2, body="#erasure wis alles", sender="twee@example.nl", mid="two@example.nl"))
        await until(lambda: _count(engine, Draft) == 2, timeout_s=60)
        assert server.raws("INBOX") == [] and len(server.raws("avgdesk-processed")) == 2
        # Two approvals while the intake session sits in IDLE: both leave within seconds,
        # and both copies reach Sent (the copy has its own connection).
        with session_scope(engine) as s:
            for draft in s.execute(select(Draft)).scalars():
                approve_draft(s, draft, approver="bert", ctx=drafting_context(worker.settings))
            s.commit()
        await until(lambda: len(worker.mailer.sent) == 2, timeout_s=20)  # type: ignore[union-attr]
        await until(lambda: len(server.raws("Sent")) == 2, timeout_s=20)
    assert {m.raw for m in worker.mailer.sent} == set(server.raws("Sent"))  # type: ignore[union-attr]
    assert _count(engine, Case) == 2
    assert _count(engine, Draft, Draft.state == DraftState.SENT) == 2


async def test_idle_moves_last_poll_at_and_health_is_written(engine, make_settings) -> None:
    server = FakeImapServer()
    worker = _fake_worker(engine, make_settings, server)

    def last_poll() -> Any:
        with Session(engine) as s:
            cursor = s.execute(select(MailboxCursor)).scalar_one_or_none()
            return cursor.last_poll_at if cursor else None

    async with running(worker):
        await until(lambda: last_poll() is not None, timeout_s=30)
        first = last_poll()
        # Nothing arrives; the session stays in IDLE, and last_poll_at still moves.
        await until(lambda: last_poll() > first, timeout_s=30)
        await until(lambda: health.read(worker.settings.data_dir) is not None, timeout_s=30)
        status = collect(engine, worker.settings)
        assert status["healthy"], status["problems"]
    assert health.read(worker.settings.data_dir)["running"] is False  # type: ignore[index]


async def test_mailbox_outage_is_reported_and_recovers_by_itself(engine, make_settings) -> None:
    server = FakeImapServer()
    worker = _fake_worker(engine, make_settings, server)
    async with running(worker):
        await until(lambda: server.connections >= 1, timeout_s=30)
        server.down = True
        with server.changed:
            server.changed.notify_all()
        await until(lambda: any("intake" in p for p in collect(engine, worker.settings)["problems"]), 30)
        server.down = False
        server.deliver(mail(3, mid="three@example.nl"))
        await until(lambda: _count(engine, InboundMessage) == 1, timeout_s=30)
        await until(lambda: collect(engine, worker.settings)["healthy"], timeout_s=30)


async def test_a_database_error_in_a_loop_is_reported_and_retried(engine, make_settings, monkeypatch) -> None:
    server = FakeImapServer()
    worker = _fake_worker(engine, make_settings, server)
    from avgdesk.models.errors import DatabaseBusy
    from avgdesk.triage.worker import lease

    real = lease.try_acquire
    broken = {"on": True}

    def flaky(*args: Any, **kwargs: Any) -> bool:
        if broken["on"]:
            raise DatabaseBusy("database or disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(lease, "try_acquire", flaky)
    async with running(worker):
        folder = worker.settings.data_dir
        await until(lambda: "intake" in (health.read(folder) or {}).get("problems", {}), 30)
        problems = json.dumps(collect(engine, worker.settings)["problems"])
        assert "disk is full" in problems
        broken["on"] = False
        server.deliver(mail(4, mid="four@example.nl"))
        processed = InboundMessage.state == MessageState.PROCESSED
        await until(lambda: _count(engine, InboundMessage, processed) == 1, 30)
        await until(lambda: collect(engine, worker.settings)["healthy"], timeout_s=30)


def test_fake_mailer_failures_follow_the_outbox_rules(engine, make_settings) -> None:
    """Two timeouts after DATA: at most 1 + ambiguous_retries copies, then 'ambiguous'."""
    from avgdesk.mailbox.smtp import AmbiguousDelivery
    from avgdesk.models.tables import OutboxItem, OutboxState
    from avgdesk.replies import outbox
    from avgdesk.replies.outbox import OutboxPolicy

    settings = make_settings()
    policy = OutboxPolicy(lease_s=60, retry_initial_s=0.0, retry_max_s=0.0, ambiguous_retries=1)
    mailer = RecordingMailer()
    item_id = _approved_item(engine, settings)
    mailer.fail_with = [AmbiguousDelivery("timeout after DATA"), AmbiguousDelivery("timeout after DATA")]
    asyncio.run(outbox.drain(engine, mailer, "w1", policy))
    asyncio.run(outbox.drain(engine, mailer, "w1", policy))
    asyncio.run(outbox.drain(engine, mailer, "w1", policy))
    with Session(engine) as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None and item.state is OutboxState.AMBIGUOUS and item.uncertain_attempts == 2
        assert "may have been delivered" in (item.last_error or "")
    assert mailer.sent == []  # the fake never delivered; a real server may have, twice at most


def _approved_item(engine: Any, settings: Any) -> int:
    from avgdesk.models.tables import OutboxItem
    from avgdesk.triage.intake.local import store_local_message
    from avgdesk.triage.intake.processing import Processor

    store_local_message(engine, mail(9, body="#access inzage"), source="form")
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with session_scope(engine) as s:
        draft = s.execute(select(Draft)).scalars().first()
        approve_draft(s, draft, approver="bert", ctx=drafting_context(settings))
        s.commit()
    with Session(engine) as s:
        return int(s.execute(select(OutboxItem.id)).scalar_one())


# --- one-shot runs (cron): healthy while they succeed (issue 12) ------------------------------

from datetime import UTC, datetime, timedelta  # noqa: E402

from avgdesk.triage.reports.status import assess  # noqa: E402


async def test_a_successful_one_shot_run_is_healthy_until_it_is_stale(engine, make_settings) -> None:
    server = FakeImapServer()
    worker = _fake_worker(engine, make_settings, server, health_once_stale_s=600)
    server.deliver(mail(1, body="#access graag inzage", mid="once@example.nl"))
    try:
        report = await worker.run_once()
    finally:
        worker.close()
    assert report.ingested == 1 and report.intake_error is None
    written = health.read(worker.settings.data_dir)
    assert written is not None and written["running"] is False and written["last_run_ok"] is True
    status = collect(engine, worker.settings)
    assert status["healthy"], status["problems"]
    # An hour later without another run: the cron job stopped.
    later = datetime.now(UTC) + timedelta(hours=1)
    stale = assess(status, worker.settings, later)
    assert not stale["healthy"]
    assert any("last one-shot run" in p for p in stale["problems"]), stale["problems"]


async def test_a_failed_one_shot_run_is_unhealthy(engine, make_settings, monkeypatch) -> None:
    server = FakeImapServer()
    worker = _fake_worker(engine, make_settings, server)

    def broken() -> Any:
        raise OSError("database or disk is full")

    monkeypatch.setattr(worker, "processor", broken)
    try:
        with pytest.raises(OSError):
            await worker.run_once()
    finally:
        worker.close()
    written = health.read(worker.settings.data_dir)
    assert written is not None and written["last_run_ok"] is False
    status = collect(engine, worker.settings)
    assert not status["healthy"]
    assert any("one-shot run failed (OSError: database or disk is full)" in p for p in status["problems"])


async def test_a_one_shot_run_with_nothing_waiting_never_loads_the_model(engine, make_settings) -> None:
    """Issue 16: a fresh install's first ``run --once`` must not train (20-60 s) or load a
    model when no message waits; the factory is only asked once there is mail to classify."""
    calls: list[str] = []

    def factory() -> FixedLabels:
        calls.append("loaded")
        return FixedLabels()

    server = FakeImapServer()
    settings = make_settings(**FAKE_IMAP)
    worker = Worker(
        settings, engine, classifier_factory=factory, mailer=RecordingMailer(), imap_factory=server.session
    )
    try:
        report = await worker.run_once()
        assert report.intake_error is None and report.ingested == 0
        assert calls == []
        server.deliver(mail(1, body="#access graag inzage", mid="waits@example.nl"))
        await worker.run_once()
    finally:
        worker.close()
    assert calls == ["loaded"] and _count(engine, Case) == 1
