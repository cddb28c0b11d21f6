"""The worker without a mailbox, and its backoff (the live tests are in tests/integration/test_worker.py)."""

from __future__ import annotations

import random

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
