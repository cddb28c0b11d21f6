"""The worker with OAuth: it ingests over XOAUTH2, and a refused token ends the session
with the auth backoff, like a refused password (the token endpoint is not hammered)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import until
from imapclient import IMAPClient
from oauth_fixtures import CLIENT_ID, CLIENT_SECRET, MAILBOX, OAuthEnv
from servers import ImapServer
from sqlalchemy import select
from sqlmodel import Session

from avgdesk.models.tables import MailboxCursor
from avgdesk.triage import connectors
from avgdesk.triage.worker.runner import Worker


@pytest.fixture(autouse=True)
def fresh_providers() -> Iterator[None]:
    # Providers are shared per process on purpose; each test starts without cached tokens.
    connectors._providers.clear()
    yield
    connectors._providers.clear()


def _oauth_settings(oauth: OAuthEnv, dovecot: ImapServer, user: str) -> dict[str, Any]:
    return {
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_username": user,
        "imap_security": "none",
        "imap_auth": "oauth2",
        "imap_connect_timeout_s": 5.0,
        "imap_read_timeout_s": 10.0,
        "imap_idle_check_s": 0.5,
        "imap_backoff_initial_s": 0.1,
        "imap_backoff_max_s": 0.5,
        "oauth_provider": "microsoft",
        "oauth_tenant_id": oauth.stub.tenant,
        "oauth_client_id": CLIENT_ID,
        "oauth_client_secret": CLIENT_SECRET,
        "oauth_authority_url": oauth.stub.base_url,
        "oauth_ca_file": oauth.tls.ca_file,
        "oauth_timeout_s": 5.0,
    }


def _last_intake_error(engine: Any) -> str | None:
    with Session(engine) as s:
        errors = [c.last_error for c in s.execute(select(MailboxCursor)).scalars()]
    return next((e for e in errors if e), None)


def _append(dovecot: ImapServer, user: str, raws: list[bytes]) -> None:
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    client.login(user, dovecot.password)  # the fixture's password passdb: same mailbox
    try:
        for raw in raws:
            client.append("INBOX", raw)
    finally:
        client.logout()


async def test_run_once_ingests_over_xoauth2(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, engine: Any, make_settings: Any, mail_factory: Any
) -> None:
    user = f"w{time.monotonic_ns()}@nhmb.example"
    oauth.stub.mailbox_email = user
    _append(oauth_dovecot, user, [mail_factory(i) for i in range(3)])
    worker = Worker(make_settings(**_oauth_settings(oauth, oauth_dovecot, user)), engine)
    try:
        report = await worker.run_once()
    finally:
        worker.close()
    assert report.intake_error is None and report.ingested == 3
    assert oauth.stub.token_requests() == 1  # one token for the whole pass


async def test_refused_token_waits_the_auth_backoff(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, engine: Any, make_settings: Any
) -> None:
    oauth.stub.token_audience_override = "https://graph.microsoft.com"
    settings = make_settings(**_oauth_settings(oauth, oauth_dovecot, MAILBOX), imap_auth_backoff_s=600.0)
    worker = Worker(settings, engine)
    task = asyncio.create_task(worker.run_forever())
    try:
        await until(lambda: oauth.stub.token_requests() >= 2, timeout_s=120)
        # Normal reconnect backoff here is 0.1-0.5 s; the auth backoff is 600 s.
        await asyncio.sleep(4.0)
        assert oauth.stub.token_requests() == 2  # one login, one retry with a fresh token, then wait
        assert "IMAP refused the OAuth token" in (_last_intake_error(engine) or "")
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, timeout=60)
        worker.close()
