"""The worker's own view of its health, in a small file next to the database.

The worker cannot report a broken database *in* the database, so each loop's current
problem (or none) goes into ``worker-health.json`` in the data folder, rewritten every few
seconds. The file is kept at a fixed, pre-allocated size and overwritten in place, so the
write still succeeds when the disk is full (no new blocks are needed); ``avgdesk status``
reads it and treats a stale file as a worker that is not running.

A one-shot run (``avgdesk run --once``, e.g. from cron) ends with ``running`` false, so it
records ``last_run_at`` and ``last_run_ok`` too: ``status`` counts a recent successful
one-shot run as healthy (``health_once_stale_s``), not as a stopped worker (issue 12).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "worker-health.json"
_SIZE = 16384


@dataclass
class Problem:
    reason: str
    since: float
    count: int = 1


class Health:
    """Thread-safe record of each loop's current problem; ``write`` persists it."""

    def __init__(self, folder: Path | None, worker_id: str) -> None:
        self.path = folder / FILE_NAME if folder is not None else None
        self.worker_id = worker_id
        self._lock = threading.Lock()
        self._problems: dict[str, Problem] = {}
        self._fd: int | None = None
        self._last_run: tuple[float, bool, str | None] | None = None

    def run_finished(self, ok: bool, reason: str | None = None) -> None:
        """A one-shot run ended (``ok``: nothing failed); written with the next ``write``."""
        with self._lock:
            self._last_run = (time.time(), ok, reason[:300] if reason else None)

    def problem(self, loop: str, reason: str) -> None:
        with self._lock:
            current = self._problems.get(loop)
            if current is not None and current.reason == reason:
                current.count += 1
            else:
                count = current.count + 1 if current else 1
                self._problems[loop] = Problem(reason[:300], time.time(), count)

    def ok(self, loop: str) -> None:
        with self._lock:
            self._problems.pop(loop, None)

    def problems(self) -> dict[str, Problem]:
        with self._lock:
            return dict(self._problems)

    def snapshot(self, *, running: bool = True) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "worker_id": self.worker_id,
            "pid": os.getpid(),
            "running": running,
            "updated_at": now.isoformat(),
            "problems": {
                loop: {
                    "reason": p.reason,
                    "since": datetime.fromtimestamp(p.since, UTC).isoformat(),
                    "count": p.count,
                }
                for loop, p in self.problems().items()
            },
            **self._last_run_fields(),
        }

    def _last_run_fields(self) -> dict[str, Any]:
        with self._lock:
            last = self._last_run
        if last is None:
            return {}
        at, ok, reason = last
        return {
            "last_run_at": datetime.fromtimestamp(at, UTC).isoformat(),
            "last_run_ok": ok,
            "last_run_problem": reason,
        }

    def write(self, *, running: bool = True) -> bool:
        """Overwrite the file in place; False (and nothing raised) when that fails."""
        if self.path is None:
            return False
        data = json.dumps(self.snapshot(running=running)).encode()
        if len(data) >= _SIZE:
            data = json.dumps(
                {
                    **self.snapshot(running=running),
                    "problems": {"worker": {"reason": "too many problems to list", "since": "", "count": 0}},
                }
            ).encode()
        try:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
                if os.fstat(self._fd).st_size < _SIZE:
                    os.pwrite(self._fd, b" " * _SIZE, 0)
            os.pwrite(self._fd, data.ljust(_SIZE), 0)
            return True
        except OSError as exc:
            log.debug("could not write %s: %s", self.path, exc)
            if self._fd is not None:
                try:
                    os.close(self._fd)
                finally:
                    self._fd = None
            return False

    def close(self) -> None:
        self.write(running=False)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read(folder: Path) -> dict[str, Any] | None:
    """The last state the worker wrote, or None when there is no (readable) file."""
    try:
        text = (folder / FILE_NAME).read_text(encoding="utf-8").strip()
        data = json.loads(text) if text else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
