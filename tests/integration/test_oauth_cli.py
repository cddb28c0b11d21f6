"""``avgdesk mailbox check`` and ``avgdesk status`` as an administrator runs them, against
Dovecot (password and OAuth), the XOAUTH2 SMTP server and the local Entra ID / Graph."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import avgdesk
from oauth_fixtures import CLIENT_ID, CLIENT_SECRET, MAILBOX, OAuthEnv
from oauth_servers import XOAuth2SmtpSink
from servers import ImapServer


@pytest.fixture
def sink(oauth: OAuthEnv) -> Iterator[XOAuth2SmtpSink]:
    s = XOAuth2SmtpSink(oauth.signer)
    yield s
    s.stop()


def _env(oauth: OAuthEnv, dovecot: ImapServer, sink: XOAuth2SmtpSink, tmp_path: Path) -> dict[str, str]:
    return {
        "AVGDESK_DATA_DIR": str(tmp_path / "data"),
        "AVGDESK_IMAP_HOST": dovecot.host,
        "AVGDESK_IMAP_PORT": str(dovecot.port),
        "AVGDESK_IMAP_SECURITY": "none",
        "AVGDESK_IMAP_USERNAME": MAILBOX,
        "AVGDESK_IMAP_AUTH": "oauth2",
        "AVGDESK_IMAP_SENT_FOLDER": "Sent Items",
        "AVGDESK_SMTP_HOST": "127.0.0.1",
        "AVGDESK_SMTP_PORT": str(sink.port),
        "AVGDESK_SMTP_SECURITY": "none",
        "AVGDESK_SMTP_USERNAME": MAILBOX,
        "AVGDESK_SMTP_AUTH": "oauth2",
        "AVGDESK_OAUTH_PROVIDER": "microsoft",
        "AVGDESK_OAUTH_TENANT_ID": oauth.stub.tenant,
        "AVGDESK_OAUTH_CLIENT_ID": CLIENT_ID,
        "AVGDESK_OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "AVGDESK_OAUTH_AUTHORITY_URL": oauth.stub.base_url,
        "AVGDESK_OAUTH_CA_FILE": str(oauth.tls.ca_file),
        "AVGDESK_OAUTH_TIMEOUT_S": "5",
        "AVGDESK_IMAP_CONNECT_TIMEOUT_S": "5",
        "AVGDESK_SMTP_TIMEOUT_S": "5",
    }


def test_mailbox_check_with_oauth_passes_and_sends_nothing(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, sink: XOAuth2SmtpSink, tmp_path: Path
) -> None:
    env = _env(oauth, oauth_dovecot, sink, tmp_path)
    done = avgdesk("mailbox", "check", env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for line in ("OK    oauth2 token", "OK    imap login", "OK    idle", "OK    move", "OK    smtp login"):
        assert line in done.stdout, done.stdout
    assert "all checks passed" in done.stdout
    assert CLIENT_SECRET not in done.stdout + done.stderr
    assert sink.messages == [] and sink.auth_users == [MAILBOX]

    # avgdesk status shows the login in use and the token's expiry the check recorded.
    assert avgdesk("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    status = avgdesk("status", "--json", env=env, cwd=tmp_path)
    auth = json.loads(status.stdout)["auth"]
    assert (auth["imap_auth"], auth["smtp_auth"], auth["oauth_provider"]) == ("oauth2", "oauth2", "microsoft")
    assert auth["tokens"]["https://outlook.office365.com/.default"]["expires_at"] > "2026"
    text = avgdesk("status", env=env, cwd=tmp_path).stdout
    assert "imap=oauth2 smtp=oauth2 outbox=smtp provider=microsoft" in text
    assert "token            https://outlook.office365.com/.default expires" in text


def test_mailbox_check_with_a_password_and_graph(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, sink: XOAuth2SmtpSink, tmp_path: Path
) -> None:
    env = _env(oauth, oauth_dovecot, sink, tmp_path)
    env.update(
        {
            "AVGDESK_IMAP_AUTH": "password",
            "AVGDESK_IMAP_USERNAME": "pw-user",
            "AVGDESK_IMAP_PASSWORD": oauth_dovecot.password,
            "AVGDESK_OUTBOX_TRANSPORT": "graph",
            "AVGDESK_GRAPH_BASE_URL": oauth.stub.base_url,
            "AVGDESK_GRAPH_MAILBOX": MAILBOX,
        }
    )
    done = avgdesk("mailbox", "check", "--json", env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    found = {f["check"]: f["status"] for f in json.loads(done.stdout)["findings"]}
    assert found["imap login"] == "ok" and found["graph sendMail"] == "ok"
    assert "oauth2 token" not in found and "sent folder" not in found  # Exchange keeps Sent Items
    assert oauth.stub.graph_calls == []


def test_mailbox_check_says_what_to_fix(
    oauth: OAuthEnv, oauth_dovecot: ImapServer, sink: XOAuth2SmtpSink, tmp_path: Path
) -> None:
    env = _env(oauth, oauth_dovecot, sink, tmp_path)
    env["AVGDESK_OAUTH_CLIENT_SECRET"] = "the-secret-id-not-its-value"
    done = avgdesk("mailbox", "check", env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  oauth2 token: Microsoft Entra ID refused the token request (AADSTS7000215)" in done.stdout
    assert "FAIL  smtp login" in done.stdout
    assert "some checks failed" in done.stdout
    assert "the-secret-id-not-its-value" not in done.stdout + done.stderr


def test_oauth_without_a_provider_is_a_configuration_error(tmp_path: Path) -> None:
    env = {
        "AVGDESK_DATA_DIR": str(tmp_path / "data"),
        "AVGDESK_IMAP_HOST": "127.0.0.1",
        "AVGDESK_IMAP_USERNAME": MAILBOX,
        "AVGDESK_IMAP_AUTH": "oauth2",
    }
    done = avgdesk("mailbox", "check", env=env, cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIL  imap settings: AVGDESK_IMAP_AUTH/SMTP_AUTH=oauth2 needs AVGDESK_OAUTH_PROVIDER" in (
        done.stdout
    )
