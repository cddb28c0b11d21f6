"""Intake against a real IMAP server (Dovecot, or pymap where it is missing), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from avgdesk.mailbox.imap import ImapConnection
from avgdesk.models.errors import MailboxUnavailable
from avgdesk.models.tables import InboundMessage, MailboxCursor, MessageRaw
from avgdesk.triage.intake.ingest import Intake
from avgdesk.triage.worker.runner import imap_params


def _connect(settings: Any) -> ImapConnection:
    conn = ImapConnection(imap_params(settings))
    conn.connect()
    return conn


def _count(engine: Any) -> int:
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(InboundMessage)).scalar_one())


def test_new_mail_is_stored_then_moved_and_never_twice(mailbox, engine, make_settings, mail_factory) -> None:
    mails = [mail_factory(i) for i in range(5)]
    mailbox.append(*mails)
    settings = make_settings(**mailbox.settings_kwargs())
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        first = intake.sync_once(conn)
        second = intake.sync_once(conn)
    finally:
        conn.close()
    assert (first.stored, first.acked) == (5, 5)
    assert (second.stored, second.acked) == (0, 0)
    assert mailbox.uids("INBOX") == []
    assert len(mailbox.uids(settings.imap_processed_folder)) == 5
    with Session(engine) as s:
        raws = {r.data for r in s.execute(select(MessageRaw)).scalars()}
        rows = list(s.execute(select(InboundMessage)).scalars())
    # Raw bytes are kept exactly as fetched (servers may only normalise line endings).
    assert {r.replace(b"\r\n", b"\n") for r in raws} == {m.replace(b"\r\n", b"\n") for m in mails}
    assert all(r.server_acked and r.received_at.tzinfo is not None for r in rows)
    assert all(r.received_at_source == "internaldate" for r in rows)


def test_seen_mode_flags_and_advances_cursor(mailbox, engine, make_settings, mail_factory) -> None:
    mailbox.append(*[mail_factory(i) for i in range(3)])
    settings = make_settings(**mailbox.settings_kwargs(), imap_server_action="seen")
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        assert intake.sync_once(conn).stored == 3
        # UID SEARCH last+1:* returns the last message again (RFC 3501 '*'); it must be filtered.
        assert intake.sync_once(conn).stored == 0
        mailbox.append(mail_factory(99))
        assert intake.sync_once(conn).stored == 1
    finally:
        conn.close()
    flags = mailbox.flags()
    assert len(flags) == 4 and all(b"\\Seen" in f for f in flags.values())
    with Session(engine) as s:
        cursor = s.execute(select(MailboxCursor)).scalar_one()
    assert cursor.last_uid == max(flags) and cursor.last_poll_at is not None


class _MoveFailsOnce:
    """A gateway whose first MOVE fails as if the process died right after the commit."""

    def __init__(self, inner: ImapConnection) -> None:
        self.inner = inner
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def move(self, uids: Sequence[int], folder: str) -> None:
        if not self.failed:
            self.failed = True
            raise MailboxUnavailable("simulated crash before MOVE")
        self.inner.move(uids, folder)


def test_crash_between_commit_and_move_is_harmless(mailbox, engine, make_settings, mail_factory) -> None:
    mailbox.append(*[mail_factory(i) for i in range(4)])
    settings = make_settings(**mailbox.settings_kwargs())
    intake = Intake(engine, settings)
    conn = _connect(settings)
    flaky = _MoveFailsOnce(conn)
    try:
        with pytest.raises(MailboxUnavailable):
            intake.sync_once(flaky)
        assert _count(engine) == 4  # committed before the server action
        assert len(mailbox.uids("INBOX")) == 4  # still on the server
        again = intake.sync_once(flaky)
    finally:
        conn.close()
    assert again.stored == 0 and again.acked == 4
    assert _count(engine) == 4
    assert mailbox.uids("INBOX") == []


def test_uidvalidity_change_rescans_without_duplicates(mailbox, engine, make_settings, mail_factory) -> None:
    folder = "Aanvragen"
    mails = [mail_factory(i) for i in range(3)]
    mailbox.append(*mails, folder=folder)
    settings = make_settings(**mailbox.settings_kwargs(), imap_folder=folder, imap_server_action="seen")
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        assert intake.sync_once(conn).stored == 3
    finally:
        conn.close()
    # Delete and recreate the folder: a new UIDVALIDITY, the same messages plus one.
    c = mailbox.client()
    c.delete_folder(folder)
    c.create_folder(folder)
    c.logout()
    mailbox.append(*mails, mail_factory(50), folder=folder)
    conn = _connect(settings)
    try:
        result = intake.sync_once(conn)
    finally:
        conn.close()
    assert result.uidvalidity_reset
    assert (result.stored, result.duplicates) == (1, 3)
    assert _count(engine) == 4


def test_reused_message_id_with_other_content_is_a_new_message(
    mailbox, engine, make_settings, mail_factory
) -> None:
    a = mail_factory(1, message_id="<same@example.nl>")
    b = mail_factory(2, message_id="<same@example.nl>", body="Verwijder mijn account alstublieft.")
    mailbox.append(a, a, b)
    settings = make_settings(**mailbox.settings_kwargs())
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        result = intake.sync_once(conn)
    finally:
        conn.close()
    assert (result.stored, result.duplicates, result.acked) == (2, 1, 3)
    assert mailbox.uids("INBOX") == []


def test_message_above_size_limit_is_stored_header_only(mailbox, engine, make_settings, mail_factory) -> None:
    big = mail_factory(1, body="x" * 50_000)
    mailbox.append(big, mail_factory(2))
    settings = make_settings(**mailbox.settings_kwargs(), imap_max_message_bytes=20_000)
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        result = intake.sync_once(conn)
    finally:
        conn.close()
    assert (result.stored, result.oversized) == (2, 1)
    with Session(engine) as s:
        rows = {r.uid: r for r in s.execute(select(InboundMessage)).scalars()}
        raw_sizes = {r.message_pk: len(r.data) for r in s.execute(select(MessageRaw)).scalars()}
    truncated = [r for r in rows.values() if r.truncated_reason]
    assert len(truncated) == 1 and "exceeds the limit" in (truncated[0].truncated_reason or "")
    assert raw_sizes[truncated[0].id] < 2_000  # the header only
    assert truncated[0].size_bytes > 50_000


def test_a_run_is_bounded_and_continues(mailbox, engine, make_settings, mail_factory) -> None:
    mailbox.append(*[mail_factory(i) for i in range(7)])
    settings = make_settings(
        **mailbox.settings_kwargs(), ingest_run_max_messages=3, imap_fetch_batch_messages=2
    )
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        first = intake.sync_once(conn)
        assert (first.stored, first.more_waiting) == (3, True)
        rest = [intake.sync_once(conn) for _ in range(3)]
    finally:
        conn.close()
    assert sum(r.stored for r in rest) == 4
    assert _count(engine) == 7


class _ServerDiesMidBatch:
    """Drops the connection and restarts the IMAP server right after the first batch of
    bodies was fetched (Dovecot's running sessions outlive a master restart, so the
    connection is cut explicitly)."""

    def __init__(self, inner: ImapConnection, server: Any) -> None:
        self.inner = inner
        self.server = server
        self.done = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        bodies = self.inner.fetch_bodies(uids)
        if not self.done:
            self.done = True
            self.server.stop()
            self.inner.abort()
            self.server.start()
        return bodies


def test_imap_server_restarted_mid_batch_loses_and_duplicates_nothing(
    imap_server, mailbox, engine, make_settings, mail_factory
) -> None:
    if imap_server.kind != "dovecot":
        pytest.skip("restarting with the data kept needs the Dovecot fixture (pymap keeps mail in memory)")
    mailbox.append(*[mail_factory(i) for i in range(12)])
    settings = make_settings(**mailbox.settings_kwargs(), imap_fetch_batch_messages=5)
    intake = Intake(engine, settings)
    conn = _connect(settings)
    try:
        with pytest.raises(MailboxUnavailable):
            intake.sync_once(_ServerDiesMidBatch(conn, imap_server))
    finally:
        conn.abort()
    # The batch in hand was committed; its server action failed with the connection.
    assert _count(engine) == 5
    assert len(mailbox.uids("INBOX")) == 12
    conn = _connect(settings)
    try:
        result = intake.sync_once(conn)
    finally:
        conn.close()
    assert (result.stored, result.acked) == (7, 12) and _count(engine) == 12
    assert mailbox.uids("INBOX") == []
    assert len(mailbox.uids(settings.imap_processed_folder)) == 12
