"""Fast checks of the OAuth pieces that need no server: caching and renewal on a fake
clock, the one-line error translations, the claims diagnosis, and the settings wiring."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from avgdesk.mailbox.oauth import (
    AccessToken,
    CachedTokenProvider,
    aadsts_message,
    claims_problem,
    google_message,
    xoauth2_string,
)
from avgdesk.models.errors import ConfigurationError
from avgdesk.triage import connectors
from avgdesk.triage.settings import load_settings


class Clocked(CachedTokenProvider):
    """Hands out numbered tokens living ``lifetime`` on a clock the test moves."""

    def __init__(self, margin_s: float, lifetime: timedelta) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        super().__init__(margin_s, clock=lambda: self.now)
        self.lifetime = lifetime

    def _fetch(self) -> AccessToken:
        return AccessToken(f"token-{self.fetches + 1}", self.now + self.lifetime)


def test_renewed_exactly_at_the_margin() -> None:
    p = Clocked(margin_s=300, lifetime=timedelta(hours=1))
    seen: list[str] = []
    p.listener = lambda description, token: seen.append(token.value)
    assert p.token().value == "token-1"
    p.now += timedelta(minutes=54, seconds=59)
    assert p.token().value == "token-1"  # 5 min 1 s left: still good
    p.now += timedelta(seconds=1)
    assert p.token().value == "token-2"  # 5 min left: renewed before it expires
    p.invalidate()
    assert p.token().value == "token-3"
    assert seen == ["token-1", "token-2", "token-3"]
    assert p.expires_at == p.now + timedelta(hours=1)


def test_xoauth2_string() -> None:
    assert xoauth2_string("a@b.nl", "T0k") == b"user=a@b.nl\x01auth=Bearer T0k\x01\x01"


def test_aadsts_messages_are_one_line_with_the_fix() -> None:
    message = aadsts_message(
        {
            "error": "invalid_client",
            "error_description": "AADSTS7000222: expired.\r\nTrace ID: x",
            "error_codes": [7000222],
        }
    )
    assert message.startswith(
        "Microsoft Entra ID refused the token request (AADSTS7000222): the client secret has expired"
    )
    unknown = aadsts_message(
        {"error": "x", "error_description": "AADSTS123456: Something new.\r\nTrace ID: 1"}
    )
    assert unknown == "Microsoft Entra ID refused the token request: AADSTS123456: Something new."


def _jwt(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_claims_problem() -> None:
    exchange = "https://outlook.office365.com"
    good = _jwt({"aud": exchange, "roles": ["IMAP.AccessAsApp"]})
    assert claims_problem(good, audience=exchange, role="IMAP.AccessAsApp") is None
    by_app_id = _jwt({"aud": "00000002-0000-0ff1-ce00-000000000000", "roles": ["IMAP.AccessAsApp"]})
    assert claims_problem(by_app_id, audience=exchange, role="IMAP.AccessAsApp") is None
    assert "not 'https://outlook.office365.com'" in (
        claims_problem(_jwt({"aud": "https://graph.microsoft.com"}), audience=exchange, role=None) or ""
    )
    no_roles = claims_problem(_jwt({"aud": exchange}), audience=exchange, role="IMAP.AccessAsApp")
    assert no_roles is not None and "admin consent" in no_roles
    other = claims_problem(
        _jwt({"aud": exchange, "roles": ["Mail.Send"]}), audience=exchange, role="IMAP.AccessAsApp"
    )
    assert other is not None and "no IMAP.AccessAsApp role" in other
    assert claims_problem("ya29.opaque-google-token", audience=exchange, role="IMAP.AccessAsApp") is None


def test_google_messages() -> None:
    from google.auth.exceptions import RefreshError

    exc = RefreshError("unauthorized_client: Client is unauthorized", {"error": "unauthorized_client"})
    assert "Domain-wide delegation" in google_message(exc)
    assert "invalid_grant" in google_message(
        RefreshError("invalid_grant: Bad Request", {"error": "invalid_grant"})
    )


def _settings(tmp_path: Path, **values: object) -> object:
    base: dict[str, object] = {"data_dir": tmp_path, "imap_host": "imap.example", "imap_username": "p@x.nl"}
    base.update(values)
    return load_settings(None, **base)


def test_wiring_shares_one_provider_and_checks_combinations(tmp_path: Path) -> None:
    connectors._providers.clear()
    ms = {
        "imap_auth": "oauth2",
        "smtp_auth": "oauth2",
        "oauth_provider": "microsoft",
        "oauth_tenant_id": "t",
        "oauth_client_id": "c",
        "oauth_client_secret": "s",
        "smtp_host": "smtp.example",
        "smtp_username": "p@x.nl",
    }
    s = _settings(tmp_path, **ms)
    imap = connectors.imap_params(s)  # type: ignore[arg-type]
    mailer = connectors.outbox_mailer(s)  # type: ignore[arg-type]
    assert imap.auth == "oauth2" and imap.password == ""
    assert imap.token_provider is mailer.params.token_provider  # type: ignore[union-attr]
    assert imap.token_audience == "https://outlook.office365.com"
    assert connectors.copies_to_sent(s)  # type: ignore[arg-type]

    graph = _settings(tmp_path, **ms, outbox_transport="graph")
    assert type(connectors.outbox_mailer(graph)).__name__ == "GraphMailer"  # type: ignore[arg-type]
    assert not connectors.copies_to_sent(graph)  # type: ignore[arg-type]

    with pytest.raises(ConfigurationError, match="AVGDESK_OAUTH_PROVIDER"):
        connectors.imap_params(_settings(tmp_path, imap_auth="oauth2"))  # type: ignore[arg-type]
    google_graph = _settings(
        tmp_path,
        oauth_provider="google",
        outbox_transport="graph",
        google_refresh_token="r",
        oauth_client_id="c",
        oauth_client_secret="s",
    )
    with pytest.raises(ConfigurationError, match="needs AVGDESK_OAUTH_PROVIDER=microsoft"):
        connectors.outbox_mailer(google_graph)  # type: ignore[arg-type]
    password = connectors.imap_params(_settings(tmp_path, imap_password="pw"))  # type: ignore[arg-type]
    assert password.auth == "password" and password.token_provider is None
    connectors._providers.clear()


def test_status_reports_recorded_expiry_only(tmp_path: Path) -> None:
    s = _settings(tmp_path, imap_auth="oauth2", oauth_provider="microsoft")
    writer = connectors._status_writer(tmp_path, "https://outlook.office365.com/.default")
    writer(
        "microsoft client-credentials", AccessToken("SECRET-TOKEN", datetime(2026, 11, 30, 10, tzinfo=UTC))
    )
    assert "SECRET-TOKEN" not in (tmp_path / connectors.STATUS_FILE).read_text()
    auth = connectors.auth_status(s)  # type: ignore[arg-type]
    assert auth["imap_auth"] == "oauth2" and auth["smtp_auth"] == "password"
    assert (
        auth["tokens"]["https://outlook.office365.com/.default"]["expires_at"] == "2026-11-30T10:00:00+00:00"
    )
    assert connectors.auth_status(_settings(tmp_path))["tokens"] == {}  # type: ignore[arg-type]
