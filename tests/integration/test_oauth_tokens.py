"""Token providers against a local Entra ID / Google token endpoint: msal and google-auth
run their real code paths (OpenID discovery, client-credentials with a secret or a
certificate, JWT-bearer for a service account, refresh tokens) over HTTPS."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from oauth_fixtures import CLIENT_SECRET, MAILBOX, OAuthEnv
from oauth_servers import GRAPH_AUDIENCE, MAIL_AUDIENCE, EntraApp, make_app_certificate

from avgdesk.mailbox.oauth import (
    GOOGLE_MAIL_SCOPE,
    MICROSOFT_GRAPH_SCOPE,
    MICROSOFT_MAIL_SCOPE,
    AccessToken,
    claims_problem,
    make_token_provider,
    unverified_claims,
)
from avgdesk.models.errors import ConfigurationError, MailboxAuthError, MailboxUnavailable


def test_microsoft_secret_token_is_for_exchange_and_cached(oauth: OAuthEnv) -> None:
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    first = provider.token()
    claims = unverified_claims(first.value)
    assert claims["aud"] == MAIL_AUDIENCE
    assert "IMAP.AccessAsApp" in claims["roles"]
    assert first.expires_at > datetime.now(UTC) + timedelta(minutes=55)
    assert provider.token() is first  # cached in memory
    assert oauth.stub.requests == [
        f"GET /{oauth.stub.tenant}/v2.0/.well-known/openid-configuration",
        f"POST /{oauth.stub.tenant}/oauth2/v2.0/token",
    ]


def test_graph_scope_gives_a_graph_token(oauth: OAuthEnv) -> None:
    token = make_token_provider(oauth.microsoft(), MICROSOFT_GRAPH_SCOPE).token()
    assert unverified_claims(token.value)["aud"] == GRAPH_AUDIENCE
    assert claims_problem(token.value, audience=MAIL_AUDIENCE, role=None) is not None
    assert claims_problem(token.value, audience=GRAPH_AUDIENCE, role="Mail.Send") is None


def test_refreshes_within_the_margin_and_after_invalidate(oauth: OAuthEnv) -> None:
    oauth.stub.token_lifetime_s = 90  # inside the 60 s margin after 30 s: renewed at once
    provider = make_token_provider(oauth.microsoft(refresh_margin_s=100.0), MICROSOFT_MAIL_SCOPE)
    first = provider.token()
    second = provider.token()
    assert second is not first
    assert oauth.stub.token_requests() == 2
    oauth.stub.token_lifetime_s = 3600
    provider2 = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    a = provider2.token()
    provider2.invalidate()
    assert provider2.token() is not a
    assert oauth.stub.token_requests() == 4


def test_one_fetch_for_concurrent_callers(oauth: OAuthEnv) -> None:
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_MAIL_SCOPE)
    results: list[AccessToken] = []
    threads = [threading.Thread(target=lambda: results.append(provider.token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in results}) == 1
    assert oauth.stub.token_requests() == 1


@pytest.mark.parametrize(
    ("change", "code", "fix"),
    [
        ({"client_secret": "the-secret-id-not-its-value"}, "AADSTS7000215", "AVGDESK_OAUTH_CLIENT_SECRET"),
        ({"client_id": "99999999-0000-0000-0000-000000000000"}, "AADSTS700016", "AVGDESK_OAUTH_CLIENT_ID"),
        ({"tenant_id": "no-such-tenant"}, "AADSTS90002", "AVGDESK_OAUTH_TENANT_ID"),
    ],
)
def test_entra_errors_say_what_to_fix(oauth: OAuthEnv, change: dict[str, str], code: str, fix: str) -> None:
    provider = make_token_provider(oauth.microsoft(**change), MICROSOFT_MAIL_SCOPE)
    with pytest.raises(MailboxAuthError) as info:
        provider.token()
    message = str(info.value)
    assert code in message and fix in message
    assert "\n" not in message
    assert CLIENT_SECRET not in message


def test_certificate_credential_with_computed_thumbprint(oauth: OAuthEnv, tmp_path: Path) -> None:
    pem, thumbprint, public_key = make_app_certificate(tmp_path)
    oauth.stub.apps["cert-app"] = EntraApp("cert-app", None, public_key, thumbprint)
    config = oauth.microsoft(client_id="cert-app", client_secret=None, certificate_path=pem)
    token = make_token_provider(config, MICROSOFT_MAIL_SCOPE).token()
    assert unverified_claims(token.value)["aud"] == MAIL_AUDIENCE


def test_certificate_not_registered_is_a_clear_error(oauth: OAuthEnv, tmp_path: Path) -> None:
    _, thumbprint, public_key = make_app_certificate(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    other_pem, _, _ = make_app_certificate(other)
    oauth.stub.apps["cert-app"] = EntraApp("cert-app", None, public_key, thumbprint)
    config = oauth.microsoft(client_id="cert-app", client_secret=None, certificate_path=other_pem)
    with pytest.raises(MailboxAuthError, match=r"AADSTS700027.*thumbprint"):
        make_token_provider(config, MICROSOFT_MAIL_SCOPE).token()


def test_unreachable_endpoint_is_retryable(oauth: OAuthEnv) -> None:
    from servers import free_port

    config = oauth.microsoft(authority_url=f"https://127.0.0.1:{free_port()}", timeout_s=2.0)
    with pytest.raises(MailboxUnavailable):
        make_token_provider(config, MICROSOFT_MAIL_SCOPE).token()


def test_missing_settings_are_named() -> None:
    from avgdesk.mailbox.oauth import OAuthConfig

    with pytest.raises(ConfigurationError, match="AVGDESK_OAUTH_TENANT_ID"):
        make_token_provider(OAuthConfig("microsoft", client_id="x", client_secret="y"), MICROSOFT_MAIL_SCOPE)
    with pytest.raises(ConfigurationError, match="CLIENT_SECRET or AVGDESK_OAUTH_CERTIFICATE_PATH"):
        make_token_provider(OAuthConfig("microsoft", tenant_id="t", client_id="x"), MICROSOFT_MAIL_SCOPE)
    with pytest.raises(ConfigurationError, match="AVGDESK_GOOGLE_SUBJECT"):
        make_token_provider(
            OAuthConfig("google", google_service_account_file=Path("/nonexistent.json")), GOOGLE_MAIL_SCOPE
        )


def test_google_service_account_impersonates_the_mailbox(oauth: OAuthEnv) -> None:
    token = make_token_provider(oauth.google(), GOOGLE_MAIL_SCOPE).token()
    assert unverified_claims(token.value)["email"] == MAILBOX
    assert token.expires_at > datetime.now(UTC) + timedelta(minutes=55)
    assert oauth.stub.requests == ["POST /google/token"]


def test_google_without_delegation_says_where_to_grant_it(oauth: OAuthEnv) -> None:
    oauth.stub.google_delegated = False
    expected = r"unauthorized_client.*Domain-wide delegation.*mail\.google\.com"
    with pytest.raises(MailboxAuthError, match=expected):
        make_token_provider(oauth.google(), GOOGLE_MAIL_SCOPE).token()


def test_google_unknown_subject_is_invalid_grant(oauth: OAuthEnv) -> None:
    with pytest.raises(MailboxAuthError, match=r"invalid_grant.*AVGDESK_GOOGLE_SUBJECT"):
        make_token_provider(oauth.google(google_subject="nobody@nhmb.example"), GOOGLE_MAIL_SCOPE).token()


def test_google_refresh_token(oauth: OAuthEnv) -> None:
    oauth.stub.google_refresh_tokens["1//refresh"] = ("desktop-client", MAILBOX)
    config = oauth.google(
        google_service_account_file=None,
        google_subject=None,
        client_id="desktop-client",
        client_secret="desktop-secret",
        google_refresh_token="1//refresh",
    )
    token = make_token_provider(config, GOOGLE_MAIL_SCOPE).token()
    assert unverified_claims(token.value)["email"] == MAILBOX
    revoked = make_token_provider(
        oauth.google(
            google_service_account_file=None,
            client_id="desktop-client",
            client_secret="desktop-secret",
            google_refresh_token="1//revoked",
        ),
        GOOGLE_MAIL_SCOPE,
    )
    with pytest.raises(MailboxAuthError, match="invalid_grant"):
        revoked.token()


def test_tokens_and_secrets_never_logged_or_shown(oauth: OAuthEnv, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    config = oauth.microsoft()
    provider = make_token_provider(config, MICROSOFT_MAIL_SCOPE)
    token = provider.token()
    assert token.value not in repr(token)
    assert CLIENT_SECRET not in repr(config) and CLIENT_SECRET not in repr(provider.params)  # type: ignore[attr-defined]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert token.value not in logged
    assert token.value.split(".")[1] not in logged
    assert CLIENT_SECRET not in logged
    assert "oauth2 token acquired" in logged
