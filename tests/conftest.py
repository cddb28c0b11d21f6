"""Shared fixtures: real servers and real databases.

* ``imap_server`` (session): Dovecot on loopback from a temporary config; pymap
  (in-memory) when Dovecot is not installed — the reason is printed.
* ``mailbox`` (function): a fresh, empty mailbox on that server with helpers to
  append mail; ``Mailbox.settings()`` points avgdesk at it.
* ``db_url`` (function, parametrised): a fresh SQLite file and a fresh PostgreSQL
  database on 127.0.0.1:5432; PostgreSQL tests are skipped with the reason printed
  when the server cannot be reached (it always can on CI).
* ``engine``: a migrated engine on ``db_url``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import PG_ADMIN_URL, temporary_postgres_database
from hypothesis import settings as hypothesis_settings
from imapclient import IMAPClient
from servers import ImapServer, start_dovecot, start_pymap
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.triage.settings import Settings, load_settings

# Property tests check logic, not speed: hypothesis' 200 ms deadline per example turned a
# busy machine (the first example loads the holiday tables) into red runs.
hypothesis_settings.register_profile("avgdesk", deadline=None)
hypothesis_settings.load_profile("avgdesk")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def imap_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="avgdesk-dovecot-"))
    try:
        server = start_dovecot(root / "dovecot")
    except FileNotFoundError as exc:
        print(f"\n[avgdesk tests] Dovecot unavailable ({exc}); using pymap instead", file=sys.stderr)
        server = start_pymap()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Mailbox:
    server: ImapServer
    user: str

    def client(self) -> IMAPClient:
        c = IMAPClient(self.server.host, port=self.server.port, ssl=False, timeout=30)
        c.login(self.user, self.server.password)
        return c

    def append(self, *messages: bytes, folder: str = "INBOX", when: datetime | None = None) -> None:
        c = self.client()
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            if len(messages) > 1 and c.has_capability("MULTIAPPEND") and when is None:
                for start in range(0, len(messages), 200):
                    c.multiappend(folder, list(messages[start : start + 200]))
            else:
                for raw in messages:
                    c.append(folder, raw, msg_time=when)
        finally:
            c.logout()

    def uids(self, folder: str = "INBOX") -> list[int]:
        c = self.client()
        try:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            return sorted(c.search(["ALL"]))
        finally:
            c.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        c = self.client()
        try:
            c.select_folder(folder, readonly=True)
            return {uid: d[b"FLAGS"] for uid, d in c.fetch(c.search(["ALL"]), ["FLAGS"]).items()}
        finally:
            c.logout()

    def settings_kwargs(self) -> dict[str, Any]:
        return {
            "imap_host": self.server.host,
            "imap_port": self.server.port,
            "imap_username": self.user,
            "imap_password": self.server.password,
            "imap_security": "none",
            "imap_connect_timeout_s": 5.0,
            "imap_read_timeout_s": 10.0,
            "imap_idle_check_s": 0.5,
            "imap_backoff_initial_s": 0.1,
            "imap_backoff_max_s": 1.0,
        }


@pytest.fixture
def mailbox(imap_server: ImapServer) -> Mailbox:
    return Mailbox(imap_server, imap_server.new_user())


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'avgdesk.sqlite3'}"
        return
    problem = _pg_available()
    if problem:
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} unreachable: {problem}")
    with temporary_postgres_database("avgdesk_t_") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'avgdesk.sqlite3'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def make_settings(tmp_path: Path, db_url: str) -> Any:
    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path / "data", "database_url": db_url}
        values.update(overrides)
        return load_settings(None, **values)

    return factory


def make_mail(
    n: int,
    *,
    subject: str = "Inzageverzoek",
    body: str = "Ik wil graag weten welke gegevens u van mij verwerkt.",
    sender: str = "klant{n}@example.nl",
    extra_headers: str = "",
    message_id: str | None = None,
) -> bytes:
    mid = message_id if message_id is not None else f"<msg{n}.{uuid.uuid4().hex[:8]}@example.nl>"
    headers = (
        f"From: Klant {n} <{sender.format(n=n)}>\r\n"
        "To: privacy@nhmbsoftware.nl\r\n"
        f"Subject: {subject} {n}\r\n"
        "Date: Wed, 25 Nov 2026 10:00:00 +0100\r\n"
        + (f"Message-ID: {mid}\r\n" if mid else "")
        + "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n" + extra_headers
    )
    return (headers + "\r\n" + body + f"\r\n\r\nnr {n}\r\n").encode()


@pytest.fixture
def mail_factory() -> Any:
    return make_mail


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The classifier trained once per test session (the cache folder, to copy into a data dir)."""
    from avgdesk.classifiers import load_or_train

    folder = tmp_path_factory.mktemp("model")
    load_or_train(folder)
    return folder


@pytest.fixture
def smtp_sink() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) with fault modes; see tests/support/servers.py."""
    from servers import SmtpSink

    sink = SmtpSink()
    try:
        yield sink
    finally:
        sink.stop()
