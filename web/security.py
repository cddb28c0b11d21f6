"""Security plumbing: response headers (a CSP without any script), request size limits,
same-origin checks, a last-resort error page, CSRF tokens and in-memory rate limits."""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from avgdesk.web.config import WebSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

PUBLIC_CACHEABLE_PREFIXES = ("/static/",)


def content_security_policy() -> str:
    # No page uses a script (everything works without JavaScript), so none may run.
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "media-src 'none'",
            "object-src 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
            "manifest-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        )
    )


class SecurityHeadersMiddleware:
    """Adds the security headers to every response (error pages included), refuses
    oversized request bodies and cross-origin POSTs, and turns an unexpected error into
    a plain Dutch 500 page that still carries the headers."""

    def __init__(self, app: ASGIApp, web: WebSettings) -> None:
        self.app = app
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers_to_add = self._headers(path)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                existing = list(message.get("headers", []))
                own_csp = any(k.lower() == b"content-security-policy" for k, _ in existing)
                # A route may set a stricter CSP of its own (downloads: sandbox).
                adding = [
                    (k, v) for k, v in headers_to_add if not (own_csp and k == b"content-security-policy")
                ]
                names = {name for name, _ in adding}
                message["headers"] = [(k, v) for k, v in existing if k.lower() not in names] + adding
            await send(message)

        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD", "OPTIONS"):
            if not _same_origin(scope):
                await _plain(send_with_headers, 403, "Verzoek geweigerd: andere herkomst (Origin).")
                return
            limit = (
                self.web.contact_max_body_bytes
                if path.startswith("/contact")
                else self.web.staff_max_body_bytes
            )
            if path.startswith("/drafts/") and path.endswith("/attachments"):
                # Issue 17: a file upload to a draft, bounded by its own setting.
                limit = self.web.attachment_max_bytes + 64 * 1024
            length = _header(scope, b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                await _plain(send_with_headers, 413, "Het formulier is te groot om te verwerken.")
                return
            receive = _limited_receive(receive, limit)
        try:
            await self.app(scope, receive, send_with_headers)
        except _BodyTooLarge:
            await _plain(send_with_headers, 413, "Het formulier is te groot om te verwerken.")
        except Exception:
            # Starlette's own 500 page is sent outside this middleware, without our headers.
            log.exception("unhandled error on %s %s", method, path[:200])
            if started:
                raise
            await _plain(
                send_with_headers,
                500,
                "Er ging iets mis aan onze kant. Probeer het later opnieuw; blijft het misgaan, "
                "meld dan de tijd aan de beheerder.",
            )

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"content-security-policy", content_security_policy().encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ]
        if self.web.secure_cookies:
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        if path.startswith(PUBLIC_CACHEABLE_PREFIXES):
            headers.append((b"cache-control", b"public, max-age=3600"))
        else:
            headers.append((b"cache-control", b"no-store"))
            headers.append((b"pragma", b"no-cache"))
        return headers


class _BodyTooLarge(Exception):
    pass


def _limited_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def inner() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _BodyTooLarge()
        return message

    return inner


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _same_origin(scope: Scope) -> bool:
    """A POST whose Origin names another host is refused.

    Browsers send ``Origin: null`` on form POSTs when the page's Referrer-Policy is
    ``no-referrer`` (ours is), so ``null`` and a missing Origin prove nothing either way:
    such requests are left to the other two layers, the per-session CSRF token and the
    SameSite cookie.
    """
    origin = _header(scope, b"origin")
    if origin is None or origin == "null":
        return True
    host = _header(scope, b"host")
    return host is not None and urlsplit(origin).netloc.lower() == host.lower()


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- CSRF ------------------------------------------------------------------------------

CSRF_FIELD = "csrf_token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


# --- client address ----------------------------------------------------------------------


def client_ip(request: Request, web: WebSettings) -> str:
    """The client's address. Behind trusted proxies uvicorn's ``ProxyHeadersMiddleware``
    (installed by ``create_app``) has already put the right-most untrusted X-Forwarded-For
    entry here; the left-most entry is whatever the client wrote, so it is never read."""
    return request.client.host[:64] if request.client else "unknown"


# --- access log -------------------------------------------------------------------------------


class NoQueryStringFilter(logging.Filter):
    """uvicorn's access log line without the query string: searches carry e-mail
    addresses and names, and tokens ride in query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and str(args[2]).startswith("/download/"):
            # Issue 17: a download link's token opens the file; it never goes to a log.
            record.args = (*args[:2], "/download/…", *args[3:])
        return True


def install_access_log_filter() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, NoQueryStringFilter) for f in logger.filters):
        logger.addFilter(NoQueryStringFilter())


# --- login throttle -----------------------------------------------------------------------


class LoginThrottle:
    """Failed logins per (user name, client address), slowed rather than locked.

    After ``free`` failures each further try from that address for that name waits,
    doubling from 1 s up to ``max_delay_s``; a success or ``forget_after_s`` without a
    failure clears it. The real user at another address is never held up by someone
    else's guesses (a lock per user name let anyone lock any colleague out); an address
    that sprays many names is held by the per-address :class:`RateLimit`.
    """

    MAX_KEYS = 50_000

    def __init__(
        self,
        free: int,
        max_delay_s: float,
        forget_after_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = "login_per_user_address"
        self.free = free
        self.max_delay_s = max_delay_s
        self.forget_after_s = forget_after_s
        self.clock = clock
        self._failures: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, user: str, ip: str) -> int:
        """Seconds before this name may be tried again from this address (0: now)."""
        with self._lock:
            now = self.clock()
            failures, last = self._failures.get((user, ip), (0, now))
            if failures < self.free or now - last > self.forget_after_s:
                return 0
            delay = min(self.max_delay_s, 2.0 ** (failures - self.free))
            return max(0, math.ceil(last + delay - now))

    def failed(self, user: str, ip: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._failures) > self.MAX_KEYS:
                stale = [k for k, (_, last) in self._failures.items() if now - last > self.forget_after_s]
                for k in stale:
                    del self._failures[k]
            failures, last = self._failures.get((user, ip), (0, now))
            if now - last > self.forget_after_s:
                failures = 0
            self._failures[(user, ip)] = (failures + 1, now)

    def succeeded(self, user: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((user, ip), None)


# --- rate limits ---------------------------------------------------------------------------


class RateLimit:
    """A named sliding-window limit kept in memory (one process).

    ``hit(key)`` records an event; ``blocked(key)`` tells whether ``limit`` events already
    happened within ``window_s``. Memory is bounded: old keys are pruned.
    """

    MAX_KEYS = 50_000

    def __init__(self, name: str, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key, self.clock())) >= self.limit

    def retry_after_s(self, key: str) -> int:
        with self._lock:
            events = self._trim(key, self.clock())
            if len(events) < self.limit:
                return 0
            return max(1, int(events[0] + self.window_s - self.clock()) + 1)

    def hit(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._events) > self.MAX_KEYS:
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
                    del self._events[k]
            self._trim(key, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)
