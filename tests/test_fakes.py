"""The fakes keep the promises of the real seams they stand in for."""

from __future__ import annotations

from fakes import FakeImapServer
from helpers import mail


def test_idle_reports_mail_that_arrived_between_search_and_idle() -> None:
    # A real server reports, when IDLE starts, what arrived since the last command; the worker
    # relies on it. Without this the fake waited for the next delivery (a 300 s IDLE renew).
    server = FakeImapServer()
    conn = server.session()
    conn.connect()
    conn.select("INBOX")
    assert conn.search_uids() == []
    server.deliver(mail(1, mid="late@example.nl"))
    assert conn.wait_for_change(max_wait_s=5.0, check_s=0.05, keep_waiting=lambda: True)


def test_idle_times_out_without_mail() -> None:
    server = FakeImapServer()
    conn = server.session()
    conn.connect()
    conn.select("INBOX")
    conn.search_uids()
    assert not conn.wait_for_change(max_wait_s=0.2, check_s=0.05, keep_waiting=lambda: True)
