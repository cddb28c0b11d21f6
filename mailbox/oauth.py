"""OAuth 2.0 access tokens for IMAP, SMTP and Microsoft Graph (XOAUTH2 / Bearer).

Providers, each behind :class:`TokenProvider`:

* Microsoft 365 — app-only client credentials through Microsoft's own ``msal``
  (a client secret or a certificate); scope ``https://outlook.office365.com/.default``
  for IMAP/SMTP and ``https://graph.microsoft.com/.default`` for Graph.
* Google Workspace — a service account with domain-wide delegation
  (``google.oauth2.service_account``, impersonating the mailbox), or an installed-app
  refresh token (``google.oauth2.credentials``); scope ``https://mail.google.com/``.

Tokens live in memory only (never on disk, never in a log line, never in a repr) and
are refreshed ``refresh_margin_s`` before they expire. A token the server refused is
dropped with :meth:`TokenProvider.invalidate` so the next call fetches a fresh one.

Errors leave as :class:`MailboxAuthError` (permanent: a setting or a grant is wrong;
the message says which one in one line) or :class:`MailboxUnavailable` (the token
endpoint could not be reached; retry with backoff).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from avgdesk.models.errors import ConfigurationError, MailboxAuthError, MailboxUnavailable

log = logging.getLogger(__name__)

# msal logs request details (and, at DEBUG, token responses): keep it quiet.
logging.getLogger("msal").setLevel(logging.WARNING)

MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
MICROSOFT_MAIL_SCOPE = "https://outlook.office365.com/.default"
MICROSOFT_GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_MAIL_SCOPE = "https://mail.google.com/"


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    expires_at: datetime

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) + timedelta(seconds=seconds) >= self.expires_at


class TokenProvider(Protocol):
    """Gives a valid access token; thread-safe."""

    @property
    def description(self) -> str:
        """Which provider and flow, for status lines (no secrets)."""
        ...

    @property
    def expires_at(self) -> datetime | None:
        """Expiry of the cached token, None before the first one."""
        ...

    def token(self) -> AccessToken: ...

    def invalidate(self) -> None:
        """Forget the cached token (the server refused it): the next call fetches anew."""
        ...

    def refused_hint(self) -> str:
        """What to fix when a mail server refuses a token this provider issued."""
        ...


class CachedTokenProvider:
    """Caching and refresh-before-expiry shared by every provider."""

    description = "oauth2"

    def __init__(self, refresh_margin_s: float, clock: Callable[[], datetime] | None = None) -> None:
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._cached: AccessToken | None = None
        self.fetches = 0
        self.listener: Callable[[str, AccessToken], None] | None = None
        """Told (description, token) after each fetch; e.g. to record the expiry for status."""

    @property
    def expires_at(self) -> datetime | None:
        cached = self._cached
        return cached.expires_at if cached else None

    def token(self) -> AccessToken:
        with self._lock:
            cached = self._cached
            if cached is None or cached.expires_within(self.refresh_margin_s, self._clock()):
                cached = self._fetch()
                self.fetches += 1
                self._cached = cached
                log.info(
                    "oauth2 token acquired provider=%s expires_at=%s",
                    self.description,
                    cached.expires_at.isoformat(timespec="seconds"),
                )
                if self.listener is not None:
                    self.listener(self.description, cached)
            return cached

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def refused_hint(self) -> str:
        return "check that the app may use this mailbox"

    def _fetch(self) -> AccessToken:
        raise NotImplementedError


# --- Microsoft 365 (Entra ID) ---------------------------------------------------------

# AADSTS codes a misconfiguration produces, and the one line that says what to fix.
AADSTS_HINTS: dict[int, str] = {
    7000215: (
        "the client secret is wrong: copy the secret's Value (not its ID) into AVGDESK_OAUTH_CLIENT_SECRET"
    ),
    7000222: "the client secret has expired: create a new one under Certificates & secrets",
    700016: (
        "no app with this client id in the tenant: check AVGDESK_OAUTH_CLIENT_ID and AVGDESK_OAUTH_TENANT_ID"
    ),
    90002: "the tenant does not exist: check AVGDESK_OAUTH_TENANT_ID (the Directory (tenant) ID)",
    900023: "the tenant id is malformed: use the Directory (tenant) ID GUID or the primary domain",
    700027: (
        "the certificate was not accepted: upload its public part to the app registration "
        "and check the thumbprint"
    ),
    700024: "the certificate assertion is out of its validity window: check the clock of this machine",
    500011: (
        "the resource is not in the tenant: check the scope (Exchange Online is https://outlook.office365.com)"
    ),
    65001: "admin consent is missing: grant admin consent for the app's API permissions",
    7000112: "the app is disabled in Entra ID: enable its enterprise application",
    50034: "the account does not exist in the tenant",
}


def aadsts_message(payload: dict[str, Any]) -> str:
    """One line for an Entra error answer (from msal's result dict or an OIDC error)."""
    codes = [int(c) for c in payload.get("error_codes") or [] if str(c).isdigit()]
    description = str(payload.get("error_description") or "")
    if not codes:
        codes = [int(c) for c in _aadsts_codes(description)]
    for code in codes:
        if code in AADSTS_HINTS:
            return f"Microsoft Entra ID refused the token request (AADSTS{code}): {AADSTS_HINTS[code]}"
    first_line = description.splitlines()[0] if description else str(payload.get("error") or "unknown error")
    return f"Microsoft Entra ID refused the token request: {first_line[:300]}"


def _aadsts_codes(text: str) -> list[str]:
    import re

    return re.findall(r"AADSTS(\d+)", text)


@dataclass(frozen=True)
class MicrosoftParams:
    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None
    certificate_thumbprint: str | None = None
    authority_url: str = MICROSOFT_AUTHORITY
    scope: str = MICROSOFT_MAIL_SCOPE
    timeout_s: float = 30.0
    ca_file: Path | None = None


class MicrosoftTokenProvider(CachedTokenProvider):
    """App-only tokens (client-credentials grant) through ``msal``."""

    def __init__(self, params: MicrosoftParams, refresh_margin_s: float = 300.0) -> None:
        super().__init__(refresh_margin_s)
        if not params.client_secret and params.certificate_path is None:
            raise ConfigurationError(
                "Microsoft OAuth needs AVGDESK_OAUTH_CLIENT_SECRET or AVGDESK_OAUTH_CERTIFICATE_PATH"
            )
        self.params = params
        self.description = f"microsoft client-credentials ({params.scope})"
        self._app: Any = None

    def refused_hint(self) -> str:
        if "graph" in self.params.scope:
            return (
                "the app lacks the Mail.Send application permission (with admin consent), or an "
                "application access policy excludes this mailbox"
            )
        return (
            "the app lacks IMAP.AccessAsApp / SMTP.SendAsApp (with admin consent) or the service "
            "principal has no mailbox permission: run New-ServicePrincipal and Add-MailboxPermission "
            "(see docs/oauth.md)"
        )

    def _application(self) -> Any:
        import msal
        import requests

        if self._app is not None:
            return self._app
        p = self.params
        credential: Any = p.client_secret
        if p.certificate_path is not None:
            credential = _certificate_credential(p.certificate_path, p.certificate_thumbprint)
        authority = f"{p.authority_url.rstrip('/')}/{p.tenant_id}"
        try:
            self._app = msal.ConfidentialClientApplication(
                p.client_id,
                client_credential=credential,
                authority=authority,
                # A sovereign cloud or a test endpoint is known to us, not to Microsoft's
                # public instance list; login.microsoftonline.com needs no discovery either.
                instance_discovery=False,
                http_client=http_session(p.ca_file, p.timeout_s),
            )
        except ValueError as exc:
            raise MailboxAuthError(_discovery_message(_chain_text(exc), authority)) from exc
        except requests.RequestException as exc:
            raise MailboxUnavailable(
                f"Microsoft Entra ID unreachable at {authority}: {type(exc).__name__}"
            ) from exc
        return self._app

    def _fetch(self) -> AccessToken:
        import msal
        import requests

        app = self._application()
        # msal keeps its own cache; this class decides when a new token is due.
        app.token_cache = msal.TokenCache()
        try:
            result = app.acquire_token_for_client(scopes=[self.params.scope])
        except requests.RequestException as exc:
            raise MailboxUnavailable(f"Microsoft Entra ID unreachable: {type(exc).__name__}") from exc
        except ValueError as exc:  # a non-JSON answer (a proxy page)
            raise MailboxUnavailable(f"Microsoft Entra ID answered unreadably: {exc}") from exc
        if "access_token" not in result:
            codes = [int(c) for c in result.get("error_codes") or []]
            if any(c in {50001, 500011} for c in codes) or result.get("error") == "invalid_scope":
                raise MailboxAuthError(aadsts_message(result))
            if result.get("error") in {"temporarily_unavailable", "server_error"}:
                raise MailboxUnavailable(aadsts_message(result))
            raise MailboxAuthError(aadsts_message(result))
        expires_in = float(result.get("expires_in") or 3600)
        return AccessToken(str(result["access_token"]), datetime.now(UTC) + timedelta(seconds=expires_in))


def _discovery_message(text: str, authority: str) -> str:
    codes = _aadsts_codes(text)
    if codes:
        return aadsts_message({"error_codes": [int(c) for c in codes], "error_description": text})
    if "should consist of an https url" in text:
        return f"AVGDESK_OAUTH_AUTHORITY_URL must be an https URL (got {authority})"
    return f"Microsoft Entra ID discovery failed for {authority}: {text.splitlines()[0][:200]}"


def _chain_text(exc: BaseException) -> str:
    """msal wraps the OIDC answer (with its AADSTS code) in a generic ValueError."""
    texts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(texts) < 5:
        texts.append(str(current))
        current = current.__cause__ or current.__context__
    return " | ".join(texts)


def _certificate_credential(path: Path, thumbprint: str | None) -> dict[str, str]:
    """msal's certificate credential from a PEM file holding the private key (and the
    certificate, from which the SHA-1 thumbprint is computed when it is not given)."""
    try:
        pem = path.read_text()
    except OSError as exc:
        raise ConfigurationError(f"cannot read AVGDESK_OAUTH_CERTIFICATE_PATH {path}: {exc}") from exc
    if "PRIVATE KEY" not in pem:
        raise ConfigurationError(f"{path} holds no private key (PEM with the key and the certificate)")
    if not thumbprint:
        thumbprint = _thumbprint_from_pem(pem, path)
    return {"private_key": pem, "thumbprint": thumbprint.replace(":", "").strip()}


def _thumbprint_from_pem(pem: str, path: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    start = pem.find("-----BEGIN CERTIFICATE-----")
    if start < 0:
        raise ConfigurationError(
            f"{path} holds no certificate: add it or set AVGDESK_OAUTH_CERTIFICATE_THUMBPRINT"
        )
    cert = x509.load_pem_x509_certificate(pem[start:].encode())
    return hashlib.sha1(cert.public_bytes(Encoding.DER)).hexdigest().upper()  # Entra's thumbprint is SHA-1


# --- Google Workspace ---------------------------------------------------------------------

GOOGLE_HINTS: dict[str, str] = {
    "unauthorized_client": (
        "domain-wide delegation is missing: in the Admin console (Security > API controls > "
        "Domain-wide delegation) add the service account's client id with scope https://mail.google.com/"
    ),
    "invalid_grant": (
        "the grant was refused: for a service account check AVGDESK_GOOGLE_SUBJECT (an existing user "
        "in the domain) and the clock; for a refresh token create a new one (it was revoked or expired)"
    ),
    "invalid_client": (
        "the OAuth client is unknown or its secret is wrong: check AVGDESK_OAUTH_CLIENT_ID and _SECRET"
    ),
    "access_denied": "the user or the admin denied access for this client",
    "invalid_scope": "the scope https://mail.google.com/ is not allowed for this client",
}


def google_message(exc: Exception) -> str:
    """One line for a google-auth RefreshError: the OAuth error code plus what to fix."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error") or "")
    if not code and exc.args:
        code = str(exc.args[0]).split(":", 1)[0].strip()
    hint = GOOGLE_HINTS.get(code)
    if hint:
        return f"Google refused the token request ({code}): {hint}"
    return f"Google refused the token request: {str(exc.args[0] if exc.args else exc)[:300]}"


@dataclass(frozen=True)
class GoogleParams:
    subject: str | None = None
    """The mailbox a service account acts as (domain-wide delegation)."""
    service_account_file: Path | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_uri: str = GOOGLE_TOKEN_URI
    scope: str = GOOGLE_MAIL_SCOPE
    timeout_s: float = 30.0
    ca_file: Path | None = None


class GoogleTokenProvider(CachedTokenProvider):
    """Service account with domain-wide delegation, or an installed-app refresh token."""

    def __init__(self, params: GoogleParams, refresh_margin_s: float = 300.0) -> None:
        super().__init__(refresh_margin_s)
        if params.service_account_file is None and not params.refresh_token:
            raise ConfigurationError(
                "Google OAuth needs AVGDESK_GOOGLE_SERVICE_ACCOUNT_FILE (with AVGDESK_GOOGLE_SUBJECT) "
                "or AVGDESK_GOOGLE_REFRESH_TOKEN (with AVGDESK_OAUTH_CLIENT_ID and _SECRET)"
            )
        if params.service_account_file is not None and not params.subject:
            raise ConfigurationError("a Google service account needs AVGDESK_GOOGLE_SUBJECT (the mailbox)")
        if params.service_account_file is None and not (params.client_id and params.client_secret):
            raise ConfigurationError(
                "a Google refresh token needs AVGDESK_OAUTH_CLIENT_ID and AVGDESK_OAUTH_CLIENT_SECRET"
            )
        self.params = params
        flow = "service-account" if params.service_account_file else "refresh-token"
        self.description = f"google {flow}"
        self._credentials: Any = None

    def refused_hint(self) -> str:
        if self.params.service_account_file is not None:
            return (
                "check domain-wide delegation for the service account's client id with scope "
                "https://mail.google.com/, and that IMAP is on for the user (Admin console)"
            )
        return "the refresh token's user must own the mailbox, and IMAP must be on for the user"

    def _build(self) -> Any:
        if self._credentials is not None:
            return self._credentials
        p = self.params
        if p.service_account_file is not None:
            from google.oauth2 import service_account

            try:
                info = json.loads(p.service_account_file.read_text())
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"cannot read the service-account JSON {p.service_account_file}: {type(exc).__name__}"
                ) from exc
            # The JSON names Google's token endpoint; an override points elsewhere (tests).
            info["token_uri"] = p.token_uri
            try:
                creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                    info, scopes=[p.scope]
                )
            except (ValueError, KeyError) as exc:
                raise ConfigurationError(f"the service-account JSON is not usable: {exc}") from exc
            self._credentials = creds.with_subject(p.subject)
        else:
            from google.oauth2 import credentials

            self._credentials = credentials.Credentials(  # type: ignore[no-untyped-call]
                None,
                refresh_token=p.refresh_token,
                token_uri=p.token_uri,
                client_id=p.client_id,
                client_secret=p.client_secret,
                scopes=[p.scope],
            )
        return self._credentials

    def _fetch(self) -> AccessToken:
        import google.auth.exceptions as gexc
        from google.auth.transport.requests import Request

        creds = self._build()
        session = http_session(self.params.ca_file, self.params.timeout_s)
        timeout = self.params.timeout_s

        class _Request(Request):
            def __call__(self, *args: Any, **kwargs: Any) -> Any:
                kwargs["timeout"] = timeout
                return super().__call__(*args, **kwargs)  # type: ignore[no-untyped-call]

        try:
            creds.refresh(_Request(session))
        except gexc.TransportError as exc:
            raise MailboxUnavailable(f"Google's token endpoint unreachable: {type(exc).__name__}") from exc
        except gexc.RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise MailboxUnavailable(google_message(exc)) from exc
            raise MailboxAuthError(google_message(exc)) from exc
        finally:
            session.close()
        expiry = creds.expiry or (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None)
        # google-auth reports a naive UTC datetime.
        return AccessToken(str(creds.token), expiry.replace(tzinfo=UTC))


def http_session(ca_file: Path | None, timeout_s: float) -> Any:
    """A requests session for the token endpoints with a timeout on every request.

    The CA bundle is passed per request: requests lets REQUESTS_CA_BUNDLE override a
    session-wide ``verify`` (psf/requests#3829), which would ignore AVGDESK_OAUTH_CA_FILE.
    """
    import functools

    import requests

    session = requests.Session()
    verify: str | bool = str(ca_file) if ca_file else True
    session.request = functools.partial(session.request, timeout=timeout_s, verify=verify)  # type: ignore[method-assign]
    adapter = requests.adapters.HTTPAdapter(max_retries=1)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


# --- helpers for XOAUTH2 and diagnostics -----------------------------------------------------


def xoauth2_string(user: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response, not yet base64-encoded."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT access token, read without checking the signature — only to
    explain a refusal (audience, roles). Google's tokens are opaque: an empty dict."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


# Entra names a resource by its URI or by its application id, depending on the token version.
AUDIENCE_ALIASES: dict[str, set[str]] = {
    "https://outlook.office365.com": {
        "https://outlook.office365.com",
        "https://outlook.office.com",
        "00000002-0000-0ff1-ce00-000000000000",
    },
    "https://graph.microsoft.com": {"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"},
}


def claims_problem(token: str, *, audience: str | None, role: str | None) -> str | None:
    """Why a Microsoft token cannot work for ``audience``/``role``, or None when it looks right
    (or cannot be read). The roles claim lists the application permissions consented."""
    claims = unverified_claims(token)
    if not claims:
        return None
    aud = claims.get("aud")
    auds = {str(a).rstrip("/") for a in (aud if isinstance(aud, list) else [aud]) if a}
    wanted = AUDIENCE_ALIASES.get(audience.rstrip("/"), {audience.rstrip("/")}) if audience else set()
    if audience and not auds & wanted:
        return f"the token is for {aud!r}, not {audience!r}: check the scope setting"
    roles = claims.get("roles")
    if role and isinstance(roles, list) and role not in roles:
        return (
            f"the token carries no {role} role: add the application permission {role} and grant admin consent"
        )
    if role and roles is None:
        return f"the token carries no roles: add the application permission {role} and grant admin consent"
    return None


# --- one place that turns settings into providers ----------------------------------------------


@dataclass(frozen=True)
class OAuthConfig:
    """The provider settings, as plain values (triage maps its Settings onto this)."""

    provider: str
    """microsoft | google"""
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None
    certificate_thumbprint: str | None = None
    authority_url: str = MICROSOFT_AUTHORITY
    google_service_account_file: Path | None = None
    google_subject: str | None = None
    google_refresh_token: str | None = field(default=None, repr=False)
    google_token_uri: str = GOOGLE_TOKEN_URI
    refresh_margin_s: float = 300.0
    timeout_s: float = 30.0
    ca_file: Path | None = None


def make_token_provider(config: OAuthConfig, scope: str) -> CachedTokenProvider:
    """A provider for ``scope`` (ignored for Google: its mail scope covers IMAP and SMTP).
    A missing setting is a :class:`ConfigurationError` naming it."""
    if config.provider == "microsoft":
        missing = [
            name
            for name, value in (
                ("AVGDESK_OAUTH_TENANT_ID", config.tenant_id),
                ("AVGDESK_OAUTH_CLIENT_ID", config.client_id),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(f"Microsoft OAuth needs {' and '.join(missing)}")
        assert config.tenant_id is not None and config.client_id is not None
        return MicrosoftTokenProvider(
            MicrosoftParams(
                tenant_id=config.tenant_id,
                client_id=config.client_id,
                client_secret=config.client_secret,
                certificate_path=config.certificate_path,
                certificate_thumbprint=config.certificate_thumbprint,
                authority_url=config.authority_url,
                scope=scope,
                timeout_s=config.timeout_s,
                ca_file=config.ca_file,
            ),
            config.refresh_margin_s,
        )
    if config.provider == "google":
        return GoogleTokenProvider(
            GoogleParams(
                subject=config.google_subject,
                service_account_file=config.google_service_account_file,
                client_id=config.client_id,
                client_secret=config.client_secret,
                refresh_token=config.google_refresh_token,
                token_uri=config.google_token_uri,
                timeout_s=config.timeout_s,
                ca_file=config.ca_file,
            ),
            config.refresh_margin_s,
        )
    raise ConfigurationError("OAuth needs AVGDESK_OAUTH_PROVIDER=microsoft or google")
