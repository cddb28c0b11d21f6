"""Settings of the web UI.

``avgdesk.triage.settings.Settings`` is the one place settings are read; the web UI takes
what it needs from there (``AVGDESK_WEB_*``); limits without a setting keep the defaults
below. Each limit carries its unit in its name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields
from typing import Any

from avgdesk.triage.settings import Settings


@dataclass(frozen=True)
class WebSettings:
    session_idle_minutes: int = 30
    """A session not used for this long ends (idle timeout)."""
    session_absolute_minutes: int = 12 * 60
    """A session ends this long after login, however active (absolute timeout)."""
    session_touch_s: int = 60
    """``last_seen_at`` is written at most this often (fewer writes next to the worker)."""
    secure_cookies: bool = False
    """Set the Secure flag (and the __Host- cookie prefix): on when served over TLS."""
    login_max_failures_per_user: int = 5
    """Failed logins for one name from one address before further tries wait (doubling)."""
    login_max_failures_per_ip: int = 20
    """Failed logins per client address within the window."""
    login_window_s: int = 15 * 60
    contact_max_per_ip: int = 5
    """Contact-form submissions per client address within the window."""
    contact_window_s: int = 10 * 60
    download_max_failures_per_ip: int = 20
    """Dead download links (wrong, expired, used-up token) per client address within the
    window before /download answers 429: a guesser is slowed; a customer with a live link is not."""
    download_window_s: int = 15 * 60
    contact_max_body_bytes: int = 256 * 1024
    """Largest accepted POST /contact request body."""
    contact_max_name_chars: int = 200
    contact_max_email_chars: int = 254
    contact_max_subject_chars: int = 200
    contact_max_message_chars: int = 20_000
    staff_max_body_bytes: int = 1_000_000
    """Largest accepted POST body of a staff form."""
    attachment_max_bytes: int = 15_000_000
    """Largest file uploaded to a draft (from AVGDESK_ATTACHMENT_MAX_BYTES; issue 17)."""
    four_eyes: bool = False
    """The approver of a draft must not be its author."""
    trust_proxy_headers: bool = False
    """A reverse proxy on this host: loopback is added to ``trusted_proxies``."""
    trusted_proxies: tuple[str, ...] = ()
    """Proxies (IP addresses or networks) whose X-Forwarded-For uvicorn's middleware reads."""
    contact_process_max_messages: int = 25
    """Messages processed synchronously after a contact-form submission (to show the reference)."""
    page_rows: int = 50
    """Rows per page of the queue and of the drafts list (both count their total in SQL)."""
    dashboard_rows: int = 10
    """Rows of each list on the dashboard; a link opens the whole list in the queue."""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """Signs the short-lived contact confirmation link; random per process unless configured."""

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> WebSettings:
        """Defaults, overridden by ``web_<name>`` fields of Settings where they exist."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            for name in (f"web_{f.name}", f.name):
                if name in type(settings).model_fields:
                    value = getattr(settings, name)
                    if value is not None:
                        values[f.name] = (
                            value.get_secret_value() if hasattr(value, "get_secret_value") else value
                        )
                    break
        values.update(overrides)
        if "trusted_proxies" in values:
            values["trusted_proxies"] = tuple(values["trusted_proxies"])
        return cls(**values)

    @property
    def proxy_addresses(self) -> list[str]:
        """Every proxy whose X-Forwarded-For is believed (empty: none)."""
        loopback = ["127.0.0.1", "::1"] if self.trust_proxy_headers else []
        return [*self.trusted_proxies, *(a for a in loopback if a not in self.trusted_proxies)]
