"""The worker end to end against a real IMAP server (and aiosmtpd): once, forever, outages, two workers.

Waits are on conditions with generous bounds (120 s): a busy machine makes them slower, not red.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from helpers import FixedLabels, until
from sqlalchemy import func, select
from sqlmodel import Session

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Draft, InboundMessage, MailboxCursor, WorkerLease
from avgdesk.replies.drafting import approve_draft
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.worker.runner import Worker


def _states(engine: Any) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.execute(select(InboundMessage.state, func.count()).group_by(InboundMessage.state)).all()
    return {str(state.value if hasattr(state, "value") else state): int(n) for state, n in rows}


def _last_intake_error(engine: Any) -> str | None:
    with Session(engine) as s:
        errors = [c.last_error for c in s.execute(select(MailboxCursor)).scalars()]
    return next((e for e in errors if e), None)


def _holder(engine: Any) -> str | None:
    with Session(engine) as s:
        row = s.get(WorkerLease, "imap-poller")
        return row.holder if row is not None and row.expires_at.timestamp() > time.time() else None


async def test_run_once_drains_mailbox_and_processing(mailbox, engine, make_settings, mail_factory) -> None:
    mailbox.append(*[mail_factory(i) for i in range(6)])
    worker = Worker(make_settings(**mailbox.settings_kwargs()), engine)
    try:
        report = await worker.run_once()
    finally:
        worker.close()
    assert report.ingested == 6 and report.intake_error is None
    assert report.processing.processed == 6
    assert _states(engine) == {"processed": 6}
    assert mailbox.uids("INBOX") == []


async def test_run_forever_wakes_on_new_mail_and_survives_server_restart(
    imap_server, mailbox, engine, make_settings, mail_factory
) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("restart with data needs the Dovecot fixture (pymap loses its data)")
    settings = make_settings(**mailbox.settings_kwargs(), imap_idle_renew_s=5.0, imap_poll_interval_s=1.0)
    worker = Worker(settings, engine)
    task = asyncio.create_task(worker.run_forever())
    try:
        mailbox.append(mail_factory(1))
        await until(lambda: _states(engine).get("processed", 0) == 1, timeout_s=120)
        imap_server.stop()
        await until(lambda: _last_intake_error(engine) is not None)  # the worker saw the outage
        imap_server.start()
        mailbox.append(mail_factory(2), mail_factory(3))
        await until(lambda: _states(engine).get("processed", 0) == 3, timeout_s=120)
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, timeout=60)
        worker.close()
    assert mailbox.uids("INBOX") == []


async def test_second_worker_stands_by_and_takes_over(mailbox, engine, make_settings, mail_factory) -> None:
    kwargs = {
        **mailbox.settings_kwargs(),
        # A lease many renewals long: a busy machine delays a renewal, it must not lose the lease.
        "poller_lease_s": 6.0,
        "poller_renew_s": 0.5,
        "imap_idle_renew_s": 2.0,
    }
    first = Worker(make_settings(**kwargs, worker_id="first"), engine)
    second = Worker(make_settings(**kwargs, worker_id="second"), engine)
    t1 = asyncio.create_task(first.run_forever())
    await until(lambda: _holder(engine) == "first", timeout_s=120)
    t2 = asyncio.create_task(second.run_forever())
    try:
        mailbox.append(*[mail_factory(i) for i in range(5)])
        await until(lambda: _states(engine).get("processed", 0) == 5, timeout_s=120)
        assert _holder(engine) == "first"
        # The first worker dies without releasing its lease (stop intake only, keep the row).
        first._stopping.set()
        t1.cancel()
        await asyncio.gather(t1, return_exceptions=True)
        with Session(engine) as s:
            row = s.get(WorkerLease, "imap-poller")
            assert row is not None
        mailbox.append(*[mail_factory(i) for i in range(10, 13)])
        await until(lambda: _holder(engine) == "second", timeout_s=120)
        await until(lambda: _states(engine).get("processed", 0) == 8, timeout_s=120)
    finally:
        second.request_stop()
        await asyncio.wait_for(t2, timeout=60)
        first.close()
        second.close()
    with Session(engine) as s:
        total = s.execute(select(func.count()).select_from(InboundMessage)).scalar_one()
    assert total == 8


async def test_an_approved_reply_is_sent_and_copied_to_the_sent_folder(
    mailbox, engine, make_settings, mail_factory, smtp_sink
) -> None:
    mailbox.append(mail_factory(1, body="#access graag inzage"))
    settings = make_settings(
        **mailbox.settings_kwargs(), smtp_host="127.0.0.1", smtp_port=smtp_sink.port, smtp_security="none"
    )
    worker = Worker(settings, engine, classifier_factory=FixedLabels)
    try:
        await worker.run_once()
        with session_scope(engine) as s:
            draft = s.execute(select(Draft)).scalar_one()
            approve_draft(s, draft, approver="bert", ctx=drafting_context(settings))
            s.commit()
        report = await worker.run_once()
    finally:
        worker.close()
    assert report.outbox is not None and report.outbox.sent == 1
    assert len(smtp_sink.messages) == 1
    sent = mailbox.uids("Sent")
    assert len(sent) == 1
    c = mailbox.client()
    c.select_folder("Sent", readonly=True)
    raw = c.fetch(sent, ["BODY.PEEK[]"])[sent[0]][b"BODY[]"]
    c.logout()
    assert raw == smtp_sink.messages[0]
