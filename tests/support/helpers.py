"""Helpers shared by several test modules (importable: pyproject puts tests/support on sys.path)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class FixedLabels:
    """A classifier stand-in that labels by a marker in the text (the model is tested elsewhere)."""

    version = "fixed"

    def predict(self, docs: Any) -> Any:
        from avgdesk.classifiers import Prediction

        out = []
        for d in docs:
            text = f"{d.subject} {d.text}".lower()
            labels = [lab for lab in ("access", "erasure", "objection", "complaint") if f"#{lab}" in text]
            out.append(
                Prediction(labels or ["question"], {lab: 0.9 for lab in labels}, False, "nl", {}, "fixed")
            )
        return out


def mail(
    n: int,
    *,
    sender: str = "klant@example.nl",
    subject: str = "Verzoek",
    body: str = "#access",
    headers: str = "",
    mid: str | None = None,
    date_hdr: str = "Thu, 05 Mar 2026 11:00:00 +0100",
) -> bytes:
    mid = mid or f"m{n}@example.nl"
    return (
        f"From: Klant <{sender}>\r\nTo: privacy@nhmbsoftware.nl\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}>\r\nDate: {date_hdr}\r\n{headers}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def avgdesk(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("avgdesk")
    cmd = [exe] if exe else [sys.executable, "-P", "-c", "from avgdesk.triage.cli.root import main; main()"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AVGDESK_")}
    return subprocess.run(
        [*cmd, *args], env={**clean, **env}, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


async def until(predicate: Callable[[], bool], timeout_s: float = 60.0, poll_s: float = 0.05) -> None:
    """Wait for a condition, not a fixed time: a busy machine only makes this slower, never red.

    The bound is generous on purpose; it only turns a hang into a failure with a message.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        await asyncio.sleep(poll_s)


def wait_for(predicate: Callable[[], bool], timeout_s: float = 60.0, poll_s: float = 0.05) -> None:
    """The blocking twin of `until`, for tests that watch other processes or threads."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s")
        time.sleep(poll_s)


PG_ADMIN_URL = os.environ.get(
    "AVGDESK_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextlib.contextmanager
def temporary_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (its URL), dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
