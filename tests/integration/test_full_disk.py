"""A full data folder (a small tmpfs): the worker stays up, reports the problem in status,
and recovers by itself when space returns. Needs root for ``mount -t tmpfs``."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeImapServer, RecordingMailer
from helpers import FixedLabels, mail, until
from sqlalchemy import func, select
from sqlmodel import Session

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import InboundMessage, MessageState
from avgdesk.triage.reports.status import collect
from avgdesk.triage.settings import load_settings
from avgdesk.triage.worker.runner import Worker

pytestmark = pytest.mark.integration


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    # Unbuffered: a buffered file kept the bytes the full disk refused and raised ENOSPC
    # again when it was closed (whether it did depended on where the disk filled up).
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def _count(engine: Any, *where: Any) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(InboundMessage).where(*where)).scalar_one())


async def test_full_disk_is_reported_and_the_worker_recovers_by_itself(small_disk: Path) -> None:
    settings = load_settings(
        None,
        data_dir=small_disk,
        imap_host="fake.invalid",
        imap_username="privacy",
        imap_idle_check_s=0.1,
        imap_backoff_initial_s=0.1,
        imap_backoff_max_s=1.0,
        worker_error_backoff_max_s=1.0,
        poller_renew_s=0.3,
        imap_poll_interval_s=0.5,
    )
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    server = FakeImapServer()
    mailer = RecordingMailer()
    factory = server.session
    worker = Worker(settings, engine, classifier_factory=FixedLabels, mailer=mailer, imap_factory=factory)
    task = asyncio.create_task(worker.run_forever())
    try:
        server.deliver(mail(1, mid="before@example.nl"))
        await until(lambda: _count(engine, InboundMessage.state == MessageState.PROCESSED) == 1, 60)
        filler = _fill(small_disk)
        big = "#access " + os.urandom(256 * 1024).hex()  # needs pages the disk no longer has
        server.deliver(mail(2, mid="during@example.nl", body=big))
        await until(lambda: bool(collect(engine, settings)["problems"]), timeout_s=60)
        problems = json.dumps(collect(engine, settings)["problems"])
        assert "full" in problems.lower(), problems
        await asyncio.sleep(2)
        assert not task.done(), "the worker stopped on a full disk"
        filler.unlink()  # space returns; no restart
        await until(lambda: _count(engine, InboundMessage.state == MessageState.PROCESSED) == 2, 60)
        await until(lambda: collect(engine, settings)["healthy"], timeout_s=60)
        assert server.raws("INBOX") == []  # the mail waited safely on the server meanwhile
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, 60)
        worker.close()
        engine.dispose()
