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

import logging
import ssl
from dataclasses import dataclass, field
from typing import Protocol

import aiosmtplib

from avgdesk.models.errors import SmtpPermanentError, SmtpTemporaryError

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


@dataclass(frozen=True)
class SendResult:
    response: str
    refused: dict[str, str] = field(default_factory=dict)


class AmbiguousDelivery(SmtpTemporaryError):
    """The connection timed out or dropped after DATA was sent: delivery unknown."""


class Mailer(Protocol):
    """What the outbox needs: send raw bytes to recipients, or raise from our tree."""

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> SendResult: ...


class SmtpMailer:
    """See :class:`Mailer`. One connection per call: approved replies come in trickles."""

    def __init__(self, params: SmtpParams) -> None:
        self.params = params

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> SendResult:
        p = self.params
        client = aiosmtplib.SMTP(
            hostname=p.host,
            port=p.port,
            timeout=p.timeout_s,
            use_tls=p.security == "ssl",
            start_tls=p.security == "starttls",
            tls_context=p.ssl_context,
        )
        progress = _Progress()
        try:
            await client.connect()
            if p.username:
                await client.login(p.username, p.password or "")
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
            if client.is_connected:
                try:
                    await client.quit()
                except Exception:  # the answer is in; a failed QUIT changes nothing
                    client.close()
        refused = {addr: f"{resp.code} {resp.message}" for addr, resp in errors.items()}
        return SendResult(response=response, refused=refused)


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
