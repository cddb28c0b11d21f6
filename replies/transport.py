"""What the outbox needs from a mail transport, defined here, next to its user.

``mailbox/smtp.py`` (SMTP) and ``mailbox/graph.py`` (Microsoft Graph) satisfy these
protocols structurally, without importing this package: replies and mailbox stay
independent (the layering contract in pyproject.toml). A transport raises from the one
exception tree: ``AmbiguousDelivery`` when the mail may have been delivered,
``SmtpTemporaryError``/``SmtpPermanentError`` otherwise (``avgdesk.models.errors``).
"""

from __future__ import annotations

from typing import Protocol


class SendOutcome(Protocol):
    """The server's answer to one accepted mail."""

    @property
    def response(self) -> str: ...

    @property
    def refused(self) -> dict[str, str]:
        """Recipients the server refused, with its reason; the others were accepted."""
        ...


class Mailer(Protocol):
    """Send raw bytes to recipients, or raise from our tree."""

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> SendOutcome: ...
