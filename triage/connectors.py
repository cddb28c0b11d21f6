"""Settings → the IMAP parameters and the outbox Mailer, password or OAuth 2.0.

The one place that reads the authentication settings (AVGDESK_IMAP_AUTH, _SMTP_AUTH,
_OAUTH_*, _GOOGLE_*, _OUTBOX_TRANSPORT, _GRAPH_*) and builds what :mod:`avgdesk.mailbox`
needs. Token providers are shared per process (same configuration and scope, same
provider), so every IMAP connection, SMTP submission and Graph call reuses the cached
token until it is due for renewal.

Each acquired token's expiry (never the token) is written to
``<data_dir>/oauth-status.json`` so ``avgdesk status`` — another process — can show which
authentication is in use and when the token expires.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avgdesk.models.errors import ConfigurationError
from avgdesk.triage.settings import AuthMethod, OAuthProvider, OutboxTransport, Settings

if TYPE_CHECKING:
    # The transports are imported where they are built: ``avgdesk status`` reads only
    # auth_status(), and mailbox.graph alone loads httpx (issue 10: start-up time).
    from avgdesk.mailbox.check import CheckReport
    from avgdesk.mailbox.graph import GraphMailer
    from avgdesk.mailbox.imap import ImapParams
    from avgdesk.mailbox.oauth import AccessToken, CachedTokenProvider, OAuthConfig
    from avgdesk.replies.transport import Mailer

log = logging.getLogger(__name__)

STATUS_FILE = "oauth-status.json"
_providers: dict[tuple[OAuthConfig, str], CachedTokenProvider] = {}
_providers_lock = threading.Lock()
_status_lock = threading.Lock()


def oauth_config(settings: Settings) -> OAuthConfig:
    from avgdesk.mailbox.oauth import OAuthConfig

    if settings.oauth_provider is None:
        raise ConfigurationError("AVGDESK_IMAP_AUTH/SMTP_AUTH=oauth2 needs AVGDESK_OAUTH_PROVIDER")
    secret = settings.oauth_client_secret
    refresh = settings.google_refresh_token
    return OAuthConfig(
        provider=settings.oauth_provider.value,
        tenant_id=settings.oauth_tenant_id,
        client_id=settings.oauth_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        certificate_path=settings.oauth_certificate_path,
        certificate_thumbprint=settings.oauth_certificate_thumbprint,
        authority_url=settings.oauth_authority_url,
        google_service_account_file=settings.google_service_account_file,
        google_subject=settings.google_subject or settings.imap_username or settings.smtp_username,
        google_refresh_token=refresh.get_secret_value() if refresh else None,
        google_token_uri=settings.google_token_uri,
        refresh_margin_s=settings.oauth_refresh_margin_s,
        timeout_s=settings.oauth_timeout_s,
        ca_file=settings.oauth_ca_file,
    )


def token_provider(settings: Settings, purpose: str) -> CachedTokenProvider:
    """The shared provider for ``purpose`` (imap, smtp or graph)."""
    from avgdesk.mailbox.oauth import GOOGLE_MAIL_SCOPE, make_token_provider

    config = oauth_config(settings)
    if purpose == "graph":
        if config.provider != OAuthProvider.MICROSOFT.value:
            raise ConfigurationError("AVGDESK_OUTBOX_TRANSPORT=graph needs AVGDESK_OAUTH_PROVIDER=microsoft")
        scope = settings.graph_scope
    elif config.provider == OAuthProvider.GOOGLE.value:
        scope = GOOGLE_MAIL_SCOPE
    else:
        scope = settings.oauth_mail_scope
    key = (config, scope)
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None:
            provider = make_token_provider(config, scope)
            provider.listener = _status_writer(settings.data_dir, scope)
            _providers[key] = provider
    return provider


def _audience(settings: Settings) -> str | None:
    """Microsoft tokens name Exchange as their audience; Google's are opaque."""
    if settings.oauth_provider is not OAuthProvider.MICROSOFT:
        return None
    return settings.oauth_mail_scope.removesuffix("/.default").removesuffix("/")


def imap_params(settings: Settings) -> ImapParams:
    from avgdesk.mailbox.imap import ImapParams

    oauth = settings.imap_auth is AuthMethod.OAUTH2
    password = settings.imap_password.get_secret_value() if settings.imap_password else ""
    return ImapParams(
        host=settings.imap_host or "",
        port=settings.effective_imap_port,
        username=settings.imap_username or "",
        password="" if oauth else password,
        security=settings.imap_security.value,
        connect_timeout_s=settings.imap_connect_timeout_s,
        read_timeout_s=settings.imap_read_timeout_s,
        uid_batch=settings.imap_uid_batch,
        token_provider=token_provider(settings, "imap") if oauth else None,
        token_audience=_audience(settings) if oauth else None,
    )


def outbox_mailer(settings: Settings) -> Mailer | None:
    """SMTP (password or XOAUTH2) or Graph sendMail; None when nothing is configured."""
    from avgdesk.mailbox.smtp import SmtpMailer, SmtpParams

    if settings.outbox_transport is OutboxTransport.GRAPH:
        return graph_mailer(settings)
    if not settings.smtp_host:
        return None
    port = settings.smtp_port or {"ssl": 465, "starttls": 587}.get(settings.smtp_security.value, 25)
    oauth = settings.smtp_auth is AuthMethod.OAUTH2
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpMailer(
        SmtpParams(
            host=settings.smtp_host,
            port=port,
            username=settings.smtp_username,
            password=None if oauth else password,
            security=settings.smtp_security.value,
            timeout_s=settings.smtp_timeout_s,
            token_provider=token_provider(settings, "smtp") if oauth else None,
            token_audience=_audience(settings) if oauth else None,
        )
    )


def graph_mailer(settings: Settings) -> GraphMailer:
    from avgdesk.mailbox.graph import GraphMailer, GraphParams

    mailbox = settings.graph_mailbox or settings.smtp_username or settings.imap_username
    if not mailbox:
        raise ConfigurationError("AVGDESK_OUTBOX_TRANSPORT=graph needs AVGDESK_GRAPH_MAILBOX")
    return GraphMailer(
        GraphParams(
            mailbox=mailbox,
            token_provider=token_provider(settings, "graph"),
            base_url=settings.graph_base_url,
            connect_timeout_s=settings.graph_connect_timeout_s,
            timeout_s=settings.graph_timeout_s,
            ca_file=settings.oauth_ca_file,
        )
    )


def copies_to_sent(settings: Settings) -> bool:
    """Graph's sendMail keeps the copy in Sent Items itself; an IMAP append would double it."""
    return settings.smtp_copy_to_sent and settings.outbox_transport is OutboxTransport.SMTP


# --- for avgdesk status ------------------------------------------------------------------------


def _status_writer(data_dir: Path, scope: str) -> Any:
    def write(description: str, token: AccessToken) -> None:
        entry = {
            "provider": description,
            "expires_at": token.expires_at.isoformat(timespec="seconds"),
            "acquired_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "pid": os.getpid(),
        }
        try:
            with _status_lock:
                path = data_dir / STATUS_FILE
                current = _read_status(path)
                current[scope] = entry
                data_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(json.dumps(current, sort_keys=True))
                # Atomic: status never reads a half-written file.
                os.replace(tmp, path)
        except OSError as exc:  # status is a convenience; the mail must keep flowing
            log.warning("could not record the token expiry for status: %s", exc)

    return write


def _read_status(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def auth_status(settings: Settings) -> dict[str, Any]:
    """Which authentication is configured, and the last token expiries the worker recorded."""
    tokens = _read_status(settings.data_dir / STATUS_FILE)
    return {
        "imap_auth": settings.imap_auth.value,
        "smtp_auth": settings.smtp_auth.value,
        "outbox_transport": settings.outbox_transport.value,
        "oauth_provider": settings.oauth_provider.value if settings.oauth_provider else None,
        "tokens": {scope: {k: v for k, v in entry.items() if k != "pid"} for scope, entry in tokens.items()}
        if _uses_oauth(settings)
        else {},
    }


def _uses_oauth(settings: Settings) -> bool:
    return (
        settings.imap_auth is AuthMethod.OAUTH2
        or settings.smtp_auth is AuthMethod.OAUTH2
        or settings.outbox_transport is OutboxTransport.GRAPH
    )


# --- avgdesk mailbox check -----------------------------------------------------------------------


async def mailbox_check(settings: Settings) -> CheckReport:
    """Log in to IMAP (folders, IDLE, MOVE) and to the outbox transport; send nothing."""
    import asyncio

    from avgdesk.mailbox.check import CheckReport, ImapCheckConfig, check_imap, check_sender
    from avgdesk.mailbox.graph import GraphMailer
    from avgdesk.mailbox.smtp import SmtpMailer

    report = CheckReport()
    microsoft = settings.oauth_provider is OAuthProvider.MICROSOFT
    if not settings.imap_configured:
        report.add("imap", "fail", "no mailbox configured", "set AVGDESK_IMAP_HOST and AVGDESK_IMAP_USERNAME")
    else:
        try:
            params = imap_params(settings)
        except ConfigurationError as exc:
            report.add("imap settings", "fail", str(exc))
        else:
            config = ImapCheckConfig(
                folder=settings.imap_folder,
                processed_folder=settings.imap_processed_folder,
                sent_folder=settings.imap_sent_folder if copies_to_sent(settings) else None,
                server_action=settings.imap_server_action.value,
                token_role="IMAP.AccessAsApp" if microsoft and params.token_provider else None,
            )
            await asyncio.to_thread(check_imap, params, config, report)
    try:
        mailer = outbox_mailer(settings)
    except ConfigurationError as exc:
        report.add("sending", "fail", str(exc))
        return report
    if isinstance(mailer, GraphMailer):
        fix = "grant the application permission Mail.Send with admin consent (docs/oauth.md)"
        await check_sender("graph sendMail", mailer.check_token, report, fix)
    elif isinstance(mailer, SmtpMailer):
        fix = (
            mailer.params.token_provider.refused_hint()
            if mailer.params.token_provider
            else "check AVGDESK_SMTP_HOST, _PORT, _SECURITY, _USERNAME and _PASSWORD"
        )
        await check_sender("smtp login", mailer.check_login, report, fix)
    else:
        report.add(
            "sending",
            "warn",
            "no SMTP server configured: approved replies wait in the outbox",
            "set AVGDESK_SMTP_HOST, or AVGDESK_OUTBOX_TRANSPORT=graph",
        )
    return report
