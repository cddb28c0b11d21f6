"""Fixtures for the OAuth tests; import them into a test module by name.

``oauth`` (session): a throwaway CA, the HTTPS stub (Entra ID, Google, Graph), an Entra app
with a secret, a Google service account, and Dovecot with the oauth2 passdb (password
logins still work there). ``provider_config`` builds an :class:`OAuthConfig` against the stub.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from oauth_servers import (
    EntraApp,
    OAuthStub,
    Signer,
    TestTls,
    make_service_account,
    make_tls,
    start_dovecot_oauth2,
)
from servers import ImapServer

from avgdesk.mailbox.oauth import OAuthConfig

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_SECRET = "Zq8~test-secret-value"
MAILBOX = "privacy@nhmb.example"


@dataclass
class OAuthEnv:
    tls: TestTls
    signer: Signer
    stub: OAuthStub
    dovecot: ImapServer | None
    root: Path
    service_account: Path

    def microsoft(self, **changes: Any) -> OAuthConfig:
        base = OAuthConfig(
            "microsoft",
            tenant_id=self.stub.tenant,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            authority_url=self.stub.base_url,
            ca_file=self.tls.ca_file,
            timeout_s=5.0,
            refresh_margin_s=60.0,
        )
        return replace(base, **changes)

    def google(self, **changes: Any) -> OAuthConfig:
        base = OAuthConfig(
            "google",
            google_service_account_file=self.service_account,
            google_subject=MAILBOX,
            google_token_uri=self.stub.google_token_uri,
            ca_file=self.tls.ca_file,
            timeout_s=5.0,
            refresh_margin_s=60.0,
        )
        return replace(base, **changes)

    def reset(self) -> None:
        s = self.stub
        s.apps = {CLIENT_ID: EntraApp(CLIENT_ID, secret=CLIENT_SECRET)}
        s.mailbox_email = MAILBOX
        s.token_lifetime_s = 3600.0
        s.jwt_lifetime_s = None
        s.jwt_lifetimes = []
        s.token_audience_override = None
        s.google_subjects = {MAILBOX}
        s.google_delegated = True
        s.google_refresh_tokens = {}
        s.graph_mode = "ok"
        s.graph_calls.clear()
        s.requests.clear()


@pytest.fixture(scope="session")
def oauth_session() -> Iterator[OAuthEnv]:
    root = Path(tempfile.mkdtemp(prefix="avgdesk-oauth-"))
    tls = make_tls(root / "tls")
    signer = Signer()
    stub = OAuthStub(tls, signer)
    sa_path, sa_email, sa_key = make_service_account(root, "https://oauth2.googleapis.com/token")
    stub.google_sa_email, stub.google_sa_key = sa_email, sa_key
    dovecot: ImapServer | None
    try:
        dovecot = start_dovecot_oauth2(root / "dovecot", signer)
    except FileNotFoundError as exc:
        print(f"\n[avgdesk tests] Dovecot unavailable ({exc}): OAuth IMAP tests skip", file=sys.stderr)
        dovecot = None
    env = OAuthEnv(tls, signer, stub, dovecot, root, sa_path)
    try:
        yield env
    finally:
        stub.stop()
        if dovecot is not None:
            dovecot.stop()


@pytest.fixture
def oauth(oauth_session: OAuthEnv) -> OAuthEnv:
    oauth_session.reset()
    return oauth_session


@pytest.fixture
def oauth_dovecot(oauth: OAuthEnv) -> ImapServer:
    if oauth.dovecot is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd): no oauth2 passdb to test")
    return oauth.dovecot
