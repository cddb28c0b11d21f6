"""Sending through Microsoft Graph ``sendMail``, behind the outbox's :class:`Mailer`.

For tenants that keep SMTP AUTH off. The approved MIME bytes are posted as they are
(base64, ``Content-Type: text/plain``), so the Message-ID fixed per draft, the headers
and the body are exactly the ones approved; Exchange keeps the sent copy in Sent Items
(so the worker does not append one over IMAP).

Outcomes map onto the SMTP ones, so the outbox needs no change:

* 202 — accepted (Graph queues the message; there is no per-recipient answer);
* 429, 500, 502, 503, 504 and connection failures *before* the request was sent —
  :class:`SmtpTemporaryError` (``retry_after_s`` carries Graph's Retry-After);
* 401 — the token was refused: it is dropped and the request repeated once with a fresh
  token; a second 401 and every 403 are :class:`SmtpPermanentError` saying what to grant;
* other 4xx — :class:`SmtpPermanentError` with Graph's error code;
* a timeout or a dropped connection *after* the request went out —
  :class:`AmbiguousDelivery`: Graph may have queued the mail, as after a timeout after
  DATA. The outbox resends with the same Message-ID at most its ambiguous-retry count.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from avgdesk.mailbox.oauth import AccessToken, TokenProvider, claims_problem
from avgdesk.mailbox.smtp import SendResult
from avgdesk.models.errors import (
    AmbiguousDelivery,
    MailboxAuthError,
    MailboxUnavailable,
    SmtpPermanentError,
    SmtpTemporaryError,
)

log = logging.getLogger(__name__)

# httpx logs every request line at INFO (the mailbox address is in the URL).
logging.getLogger("httpx").setLevel(logging.WARNING)

GRAPH_BASE_URL = "https://graph.microsoft.com"
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class GraphThrottled(SmtpTemporaryError):
    """Graph answered 429/503; ``retry_after_s`` is its Retry-After (None when absent)."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class GraphParams:
    mailbox: str
    """The mailbox that sends (user principal name or address; a shared mailbox works)."""
    token_provider: TokenProvider
    base_url: str = GRAPH_BASE_URL
    connect_timeout_s: float = 15.0
    timeout_s: float = 60.0
    ca_file: Path | None = None


class GraphMailer:
    """See :class:`avgdesk.mailbox.smtp.Mailer`. One HTTPS request per mail."""

    def __init__(self, params: GraphParams, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.params = params
        self._transport = transport

    @property
    def description(self) -> str:
        return f"microsoft graph sendMail as {self.params.mailbox} ({self.params.base_url})"

    @property
    def url(self) -> str:
        base = self.params.base_url.rstrip("/")
        return f"{base}/v1.0/users/{quote(self.params.mailbox, safe='@')}/sendMail"

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> SendResult:
        """``sender``/``recipients`` are not sent: Graph reads From/To/Cc from the MIME
        headers, which approval fixed (a Bcc would be read from the headers as well)."""
        body = base64.b64encode(raw)
        async with self._client() as client:
            for attempt in (1, 2):
                token = await _token(self.params.token_provider)
                response = await self._post(client, body, token)
                if response.status_code == 202:
                    return SendResult(
                        response=f"202 Accepted {response.headers.get('request-id', '')}".strip()
                    )
                if response.status_code == 401 and attempt == 1:
                    # Revoked or expired early: one more with a fresh token.
                    self.params.token_provider.invalidate()
                    continue
                raise self._failure(response, token)
        raise AssertionError("unreachable")  # pragma: no cover

    async def check_token(self) -> str:
        """Fetch a Graph token and read its roles, send nothing: for ``mailbox check``."""
        token = await _token(self.params.token_provider)
        problem = claims_problem(token.value, audience=None, role="Mail.Send")
        if problem:
            raise SmtpPermanentError(f"Graph: {problem}")
        return self.description

    def _client(self) -> httpx.AsyncClient:
        p = self.params
        verify: ssl.SSLContext | bool = True
        if p.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(p.ca_file))
        timeout = httpx.Timeout(p.timeout_s, connect=p.connect_timeout_s)
        return httpx.AsyncClient(timeout=timeout, verify=verify, transport=self._transport)

    async def _post(self, client: httpx.AsyncClient, body: bytes, token: AccessToken) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token.value}", "Content-Type": "text/plain"}
        try:
            # Sends the message. A crash after it, before the outbox commit: the lease expires and the
            # item is resent with the same Message-ID (an uncertain attempt); a timeout is AmbiguousDelivery.
            return await client.post(self.url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise SmtpTemporaryError(f"Graph unreachable: {type(exc).__name__}") from exc
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise AmbiguousDelivery(
                f"Graph {type(exc).__name__} after the request: delivery unknown"
            ) from exc
        except httpx.HTTPError as exc:
            raise SmtpTemporaryError(f"Graph request failed: {type(exc).__name__}") from exc

    def _failure(self, response: httpx.Response, token: AccessToken) -> Exception:
        status = response.status_code
        code, message = _graph_error(response)
        text = f"Graph {status} {code}: {message}".strip()
        if status in RETRYABLE_STATUS:
            return GraphThrottled(text, _retry_after(response))
        if status in {401, 403}:
            problem = claims_problem(token.value, audience=None, role="Mail.Send")
            hint = problem or self.params.token_provider.refused_hint()
            return SmtpPermanentError(f"{text} — {hint}")
        if status == 404:
            return SmtpPermanentError(f"{text} — no mailbox {self.params.mailbox!r} in the tenant")
        if status == 413:
            return SmtpPermanentError(f"{text} — the message is larger than Graph accepts in one request")
        return SmtpPermanentError(text)


async def _token(provider: TokenProvider) -> AccessToken:
    try:
        return await asyncio.to_thread(provider.token)
    except MailboxAuthError as exc:
        raise SmtpPermanentError(str(exc)) from exc
    except MailboxUnavailable as exc:
        raise SmtpTemporaryError(str(exc)) from exc


def _graph_error(response: httpx.Response) -> tuple[str, str]:
    try:
        payload = response.json()
    except ValueError:
        return "", response.reason_phrase
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return "", response.reason_phrase
    return str(error.get("code") or ""), str(error.get("message") or "")[:300]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare for Graph; the outbox's own backoff applies
