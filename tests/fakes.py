"""In-memory stand-ins for the worker's seams, for fast unit tests only.

``FakeImapServer`` holds folders of messages; each ``connect()`` of a ``FakeImap`` it hands
out behaves like one IMAP session (the ``ImapGateway`` protocol plus what the worker needs).
``RecordingMailer`` records what would have been sent (the ``Mailer`` protocol) and can be
told to fail. Real-server tests (Dovecot, aiosmtpd) stay in ``tests/integration/``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from avgdesk.mailbox.imap import FolderState, MessageMeta
from avgdesk.mailbox.smtp import SendResult
from avgdesk.models.errors import MailboxUnavailable


@dataclass
class _Stored:
    uid: int
    raw: bytes
    flags: set[bytes] = field(default_factory=set)
    internaldate: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class _Folder:
    uidvalidity: int = 1
    next_uid: int = 1
    messages: dict[int, _Stored] = field(default_factory=dict)

    def add(self, raw: bytes, flags: Sequence[bytes] = ()) -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.messages[uid] = _Stored(uid, raw, set(flags))
        return uid


class FakeImapServer:
    """Folders shared by every session it hands out (thread-safe, like a server)."""

    def __init__(self, *, idle: bool = True) -> None:
        self.folders: dict[str, _Folder] = {"INBOX": _Folder()}
        self.idle = idle
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.down = False
        """While true, connect() and every command raise MailboxUnavailable."""
        self.connections = 0
        self.active = 0

    def deliver(self, raw: bytes, folder: str = "INBOX") -> int:
        with self.lock:
            uid = self.folders.setdefault(folder, _Folder()).add(raw)
            self.changed.notify_all()
            return uid

    def raws(self, folder: str) -> list[bytes]:
        with self.lock:
            return [m.raw for m in self.folders.get(folder, _Folder()).messages.values()]

    def session(self) -> FakeImap:
        return FakeImap(self)


class FakeImap:
    """One session; see :class:`avgdesk.triage.worker.runner.ImapSession`."""

    def __init__(self, server: FakeImapServer) -> None:
        self.server = server
        self.selected: str | None = None
        self.connected = False
        self.reported_next_uid = 0
        """The folder's next UID as of the last command: like a real server, IDLE then reports
        mail that arrived after that command, even if it came before IDLE started."""

    # --- connection ---------------------------------------------------------------------
    def _check(self) -> None:
        if self.server.down or not self.connected:
            raise MailboxUnavailable("fake IMAP server is down")

    def connect(self) -> None:
        if self.server.down:
            raise MailboxUnavailable("fake IMAP server is down")
        with self.server.lock:
            self.server.connections += 1
            self.server.active += 1
        self.connected = True

    def close(self) -> None:
        if self.connected:
            with self.server.lock:
                self.server.active -= 1
        self.connected = False

    def abort(self) -> None:
        self.close()

    def has_capability(self, name: str) -> bool:
        return name.upper() != "IDLE" or self.server.idle

    # --- ImapGateway ----------------------------------------------------------------------
    def select(self, folder: str) -> FolderState:
        self._check()
        with self.server.lock:
            f = self.server.folders.setdefault(folder, _Folder())
            self.selected = folder
            self.reported_next_uid = f.next_uid
            return FolderState(uidvalidity=f.uidvalidity, uidnext=f.next_uid, exists=len(f.messages))

    def _folder(self) -> _Folder:
        self._check()
        assert self.selected is not None, "no folder selected"
        return self.server.folders[self.selected]

    def search_uids(self, after_uid: int = 0) -> list[int]:
        with self.server.lock:
            f = self._folder()
            self.reported_next_uid = f.next_uid
            return sorted(u for u, m in f.messages.items() if u > after_uid and b"\\Deleted" not in m.flags)

    def fetch_meta(self, uids: Sequence[int]) -> dict[int, MessageMeta]:
        with self.server.lock:
            f = self._folder()
            return {
                u: MessageMeta(u, len(m.raw), m.internaldate, tuple(sorted(m.flags)))
                for u in uids
                if (m := f.messages.get(u)) is not None
            }

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        with self.server.lock:
            f = self._folder()
            return {u: f.messages[u].raw for u in uids if u in f.messages}

    def fetch_headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        with self.server.lock:
            f = self._folder()
            head = {u: f.messages[u].raw.split(b"\r\n\r\n", 1)[0] for u in uids if u in f.messages}
            return {u: h + b"\r\n\r\n" for u, h in head.items()}

    def ensure_folder(self, folder: str) -> None:
        self._check()
        with self.server.lock:
            self.server.folders.setdefault(folder, _Folder())

    def move(self, uids: Sequence[int], folder: str) -> None:
        with self.server.lock:
            source = self._folder()
            target = self.server.folders.setdefault(folder, _Folder())
            for u in uids:
                m = source.messages.pop(u, None)
                if m is not None:
                    target.add(m.raw, tuple(m.flags))

    def mark_seen(self, uids: Sequence[int]) -> None:
        with self.server.lock:
            f = self._folder()
            for u in uids:
                if u in f.messages:
                    f.messages[u].flags.add(b"\\Seen")

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        self._check()
        with self.server.lock:
            self.server.folders.setdefault(folder, _Folder()).add(raw, (b"\\Seen",) if seen else ())

    def wait_for_change(self, *, max_wait_s: float, check_s: float, keep_waiting: Callable[[], bool]) -> bool:
        """Like IDLE: returns on new mail in the selected folder, on timeout or when
        ``keep_waiting()`` turns false (asked every ``check_s``)."""
        deadline = time.monotonic() + max_wait_s
        self._check()
        start = self.reported_next_uid
        while time.monotonic() < deadline and keep_waiting():
            with self.server.changed:
                self.server.changed.wait(min(check_s, max(0.0, deadline - time.monotonic())))
                self._check()
                if self._folder().next_uid != start:
                    return True
        return False


@dataclass
class Sent:
    raw: bytes
    sender: str
    recipients: list[str]


class RecordingMailer:
    """See :class:`avgdesk.mailbox.smtp.Mailer`. ``fail_with``: raised instead of sending
    (once per queued exception); ``delay_s``: a slow server."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.fail_with: list[BaseException] = []
        self.delay_s = 0.0

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> SendResult:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.sent.append(Sent(raw, sender, list(recipients)))
        return SendResult(response="250 OK (recorded)")
