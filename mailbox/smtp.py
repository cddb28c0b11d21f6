"""SMTP transport (aiosmtplib), with its errors translated onto avgdesk's tree.

Outcomes, after engineering notes A.7 / B.2:

* success — possibly with some recipients refused (aiosmtplib *returns* those);
* :class:`SmtpTemporaryError` — 4xx, connection refused or dropped, timeouts: retry
  later with the same Message-ID;
* :class:`SmtpPermanentError` — 5xx, all recipients refused: show staff.

A timeout *after* DATA is ambiguous: the server may have accepted the message (a probe
saw 250 arrive after the client gave up). It is reported as temporary with
``ambiguous=True``; the outbox retries with the same Message-ID so a duplicate at
least threads as the same mail, and marks the item so staff can see it.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from dataclasses import dataclass, field

import aiosmtplib

from avgdesk.mailbox.oauth import AccessToken, TokenProvider, claims_problem, xoauth2_string
from avgdesk.models.errors import (
    AmbiguousDelivery,
    MailboxAuthError,
    MailboxUnavailable,
    SmtpPermanentError,
    SmtpTemporaryError,
)

log = logging.getLogger(__name__)

# aiosmtplib logs protocol lines (mail content) at DEBUG; keep them out of any log.
logging.getLogger("aiosmtplib").setLevel(logging.INFO)


@dataclass(frozen=True)
class SmtpParams:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    security: str = "starttls"
    """ssl | starttls | none"""
    timeout_s: float = 60.0
    ssl_context: ssl.SSLContext | None = None
    token_provider: TokenProvider | None = None
    """Set: AUTH XOAUTH2 with this provider's token (as ``username``) instead of the password."""
    token_audience: str | None = None
    """The audience a Microsoft token must carry (explains a refusal); None: not checked."""


@dataclass(frozen=True)
class SendResult:
    response: str
    refused: dict[str, str] = field(default_factory=dict)


class SmtpMailer:
    """The outbox's ``Mailer`` (``avgdesk.replies.transport``), satisfied structurally.

    One connection per call: approved replies come in trickles."""

    def __init__(self, params: SmtpParams) -> None:
        self.params = params

    @property
    def description(self) -> str:
        p = self.params
        auth = "oauth2" if p.token_provider else ("password" if p.username else "none")
        return f"smtp {p.host}:{p.port} security={p.security} auth={auth}"

    async def check_login(self) -> str:
        """Connect and log in, send nothing: for ``avgdesk mailbox check``."""
        client = self._client()
        try:
            await client.connect()
            await self._authenticate(client)
        except aiosmtplib.SMTPResponseException as exc:
            raise SmtpPermanentError(f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpTemporaryError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            await _quit(client)
        return self.description

    def _client(self) -> aiosmtplib.SMTP:
        p = self.params
        return aiosmtplib.SMTP(
            hostname=p.host,
            port=p.port,
            timeout=p.timeout_s,
            use_tls=p.security == "ssl",
            start_tls=p.security == "starttls",
            tls_context=p.ssl_context,
        )

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> SendResult:
        client = self._client()
        progress = _Progress()
        try:
            await client.connect()
            await self._authenticate(client)
            errors, response = await _transaction(client, sender, recipients, raw, progress)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = {r.recipient: f"{r.code} {r.message}" for r in exc.recipients}
            if any(400 <= r.code < 500 for r in exc.recipients):
                raise SmtpTemporaryError(f"all recipients refused, some temporarily: {refused}") from exc
            raise SmtpPermanentError(f"all recipients refused: {refused}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 400 <= exc.code < 500:
                raise SmtpTemporaryError(f"SMTP {exc.code}: {exc.message}") from exc
            raise SmtpPermanentError(f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPTimeoutError, aiosmtplib.SMTPServerDisconnected) as exc:
            if progress.data_sent:
                raise AmbiguousDelivery(f"{type(exc).__name__} after DATA: delivery unknown") from exc
            raise SmtpTemporaryError(f"{type(exc).__name__}: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SmtpTemporaryError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            await _quit(client)
        refused = {addr: f"{resp.code} {resp.message}" for addr, resp in errors.items()}
        return SendResult(response=response, refused=refused)

    async def _authenticate(self, client: aiosmtplib.SMTP) -> None:
        p = self.params
        if p.token_provider is None:
            if p.username:
                await client.login(p.username, p.password or "")
            return
        if not p.username:
            raise SmtpPermanentError("SMTP with OAuth needs AVGDESK_SMTP_USERNAME (the mailbox)")
        await client.ehlo()
        if "XOAUTH2" not in [m.upper() for m in client.server_auth_methods]:
            raise SmtpPermanentError(
                f"the SMTP server offers no AUTH XOAUTH2 (offers {client.server_auth_methods or 'no AUTH'})"
            )
        response = aiosmtplib.SMTPResponse(0, "")
        for _attempt in (1, 2):
            token = await _token(p.token_provider)
            response = await _auth_xoauth2(client, p.username, token, p.timeout_s)
            if response.code == 235:
                return
            if 400 <= response.code < 500:
                raise SmtpTemporaryError(f"SMTP AUTH XOAUTH2 {response.code}: {response.message}")
            # Refused: the token may have been revoked or expired early, so the second
            # attempt fetches a fresh one; a refused fresh token is a setup problem.
            p.token_provider.invalidate()
        problem = claims_problem(token.value, audience=p.token_audience, role=None)
        raise SmtpPermanentError(
            f"SMTP refused the OAuth token for {p.username} ({response.code} {response.message}): "
            f"{problem or _smtp_auth_hint(response.message, p.token_provider)}"
        )


async def _token(provider: TokenProvider) -> AccessToken:
    """msal and google-auth block (requests): fetch in a thread, translate for the outbox."""
    try:
        return await asyncio.to_thread(provider.token)
    except MailboxAuthError as exc:
        raise SmtpPermanentError(str(exc)) from exc
    except MailboxUnavailable as exc:
        raise SmtpTemporaryError(str(exc)) from exc


async def _auth_xoauth2(
    client: aiosmtplib.SMTP, user: str, token: AccessToken, timeout_s: float
) -> aiosmtplib.SMTPResponse:
    """AUTH XOAUTH2 with the initial response. On failure the server sends a 334 with a
    base64 JSON error; an empty line then fetches the final 535 (RFC 7628 §3.2.3)."""
    encoded = base64.b64encode(xoauth2_string(user, token.value))
    response = await client.execute_command(b"AUTH", b"XOAUTH2", encoded, timeout=timeout_s)
    if response.code == 334:
        response = await client.execute_command(b"", timeout=timeout_s)
    return response


def _smtp_auth_hint(message: str, provider: TokenProvider) -> str:
    if "5.7.139" in message or "SmtpClientAuthentication is disabled" in message:
        return (
            "SMTP AUTH is off for this mailbox or tenant: Set-CASMailbox -Identity <mailbox> "
            "-SmtpClientAuthenticationDisabled $false (or use AVGDESK_OUTBOX_TRANSPORT=graph)"
        )
    return provider.refused_hint()


async def _quit(client: aiosmtplib.SMTP) -> None:
    if client.is_connected:
        try:
            await client.quit()
        except Exception:  # the answer is in; a failed QUIT changes nothing
            client.close()


@dataclass
class _Progress:
    data_sent: bool = False


async def _transaction(
    client: aiosmtplib.SMTP, sender: str, recipients: list[str], raw: bytes, progress: _Progress
) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
    """MAIL, RCPT, DATA step by step, so a failure can be placed before or after DATA."""
    await client.ehlo()
    await client.mail(sender)
    errors: dict[str, aiosmtplib.SMTPResponse] = {}
    accepted: list[str] = []
    for rcpt in recipients:
        try:
            await client.rcpt(rcpt)
            accepted.append(rcpt)
        except aiosmtplib.SMTPRecipientRefused as exc:
            errors[rcpt] = aiosmtplib.SMTPResponse(exc.code, exc.message)
    if not accepted:
        raise aiosmtplib.SMTPRecipientsRefused(
            [aiosmtplib.SMTPRecipientRefused(r.code, r.message, a) for a, r in errors.items()]
        )
    progress.data_sent = True
    # Sends the message: from here on a timeout leaves delivery unknown (AmbiguousDelivery).
    response = await client.data(raw)
    return errors, response.message
