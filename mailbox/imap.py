"""The IMAP session: imapclient confined to one thread, with every error translated.

``IMAPClient`` is blocking and not thread-safe (its api.rst), and its maintainer
ruled out asyncio support (#437). So one :class:`ImapConnection` belongs to one
thread — the worker runs it in a single-thread executor — and every blocking call is
bounded: socket timeouts are always set, IDLE waits in short ``idle_check`` slices.

Errors leave this module only as :mod:`avgdesk.models.errors` types. On any error the
caller drops the connection (never sends DONE on a dead socket, imapclient #449) and
reconnects with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import (
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)
from imapclient.util import chunk

from avgdesk.mailbox.oauth import TokenProvider, claims_problem
from avgdesk.models.errors import (
    MailboxAuthError,
    MailboxCapabilityError,
    MailboxUnavailable,
)

log = logging.getLogger(__name__)


class _NoProtocolTrace(logging.Filter):
    """imapclient logs every protocol line — mail content included — at DEBUG. Those
    records never pass, whatever level the application configures."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


for _name in ("imapclient.imapclient", "imapclient.imaplib", "imapclient.util"):
    logging.getLogger(_name).addFilter(_NoProtocolTrace())


@dataclass(frozen=True)
class ImapParams:
    host: str
    port: int
    username: str
    password: str
    security: str = "ssl"
    """ssl | starttls | none"""
    connect_timeout_s: float = 15.0
    read_timeout_s: float = 60.0
    uid_batch: int = 1000
    ssl_context: ssl.SSLContext | None = None
    token_provider: TokenProvider | None = None
    """Set: log in with XOAUTH2 and this provider's token instead of the password."""
    token_audience: str | None = None
    """The audience a Microsoft token must carry (explains a refusal); None: not checked."""

    @property
    def auth(self) -> str:
        return "oauth2" if self.token_provider is not None else "password"


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class MessageMeta:
    uid: int
    size: int
    internaldate: datetime | None
    flags: tuple[bytes, ...]


class ImapGateway(Protocol):
    """What intake needs from an IMAP server. All UIDs; every call may raise
    :class:`MailboxUnavailable` (reconnect) or a permanent mailbox error."""

    def select(self, folder: str) -> FolderState: ...
    def search_uids(self, after_uid: int = 0) -> list[int]: ...
    def fetch_meta(self, uids: Sequence[int]) -> dict[int, MessageMeta]: ...
    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]: ...
    def fetch_headers(self, uids: Sequence[int]) -> dict[int, bytes]: ...
    def ensure_folder(self, folder: str) -> None: ...
    def move(self, uids: Sequence[int], folder: str) -> None: ...
    def mark_seen(self, uids: Sequence[int]) -> None: ...


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Map imapclient/imaplib/socket errors onto avgdesk's exception tree."""
    try:
        yield
    except LoginError as exc:
        raise MailboxAuthError(f"IMAP login refused during {action}") from exc
    except CapabilityError as exc:
        raise MailboxCapabilityError(f"IMAP server lacks a capability for {action}: {exc}") from exc
    except (IMAPClientAbortError, TimeoutError, OSError, ssl.SSLError, EOFError) as exc:
        raise MailboxUnavailable(
            f"IMAP connection failed during {action}: {type(exc).__name__}: {exc}"
        ) from exc
    except IMAPClientError as exc:
        # A NO/BAD answer: the connection may be in an unknown state, so treat it as
        # something to reconnect over; a persistent cause shows up in status.
        raise MailboxUnavailable(f"IMAP server refused {action}: {exc}") from exc


class ImapConnection:
    """One logged-in IMAP connection. Use from one thread only."""

    def __init__(self, params: ImapParams) -> None:
        self.params = params
        self._client: IMAPClient | None = None
        self._selected: str | None = None

    # --- lifecycle ---------------------------------------------------------------
    def connect(self) -> None:
        """Connect and log in. With OAuth a refused token is dropped and the login tried
        once more on a new connection with a fresh token (it may have expired or been
        revoked early); a second refusal is a :class:`MailboxAuthError` saying what to fix."""
        provider = self.params.token_provider
        try:
            self._connect_once()
        except MailboxAuthError as exc:
            if provider is None or not isinstance(exc.__cause__, LoginError):
                raise
            provider.invalidate()
            log.info("imap refused the oauth2 token; fetching a new one and reconnecting")
            self._connect_once()

    def _connect_once(self) -> None:
        p = self.params
        timeout = _socket_timeout(p.connect_timeout_s, p.read_timeout_s)
        with translate_errors("connect"):
            client = IMAPClient(
                p.host,
                port=p.port,
                ssl=p.security == "ssl",
                ssl_context=p.ssl_context,
                timeout=timeout,
                use_uid=True,
            )
            try:
                if p.security == "starttls":
                    client.starttls(p.ssl_context)
                self._login(client)
            except Exception:
                _shutdown_quietly(client)
                raise
            # Aware datetimes for INTERNALDATE: receipt times start legal deadlines.
            client.normalise_times = False
        self._client = client
        log.info("imap connected host=%s port=%s security=%s auth=%s", p.host, p.port, p.security, p.auth)

    def _login(self, client: IMAPClient) -> None:
        p = self.params
        if p.token_provider is None:
            client.login(p.username, p.password)
            return
        token = p.token_provider.token()
        try:
            client.oauth2_login(p.username, token.value)
        except LoginError as exc:
            problem = claims_problem(token.value, audience=p.token_audience, role=None)
            raise MailboxAuthError(
                f"IMAP refused the OAuth token for {p.username}: {problem or p.token_provider.refused_hint()}"
            ) from exc

    def close(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            _shutdown_quietly(client)

    def abort(self) -> None:
        """Drop the connection without a goodbye (the socket may be dead)."""
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            _shutdown_quietly(client)

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise MailboxUnavailable("not connected")
        return self._client

    def has_capability(self, name: str) -> bool:
        with translate_errors("capability"):
            return bool(self.client.has_capability(name))

    # --- ImapGateway ---------------------------------------------------------------
    def select(self, folder: str) -> FolderState:
        with translate_errors(f"select {folder}"):
            info: dict[bytes, Any] = self.client.select_folder(folder)
        self._selected = folder
        return FolderState(
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None,
            exists=int(info.get(b"EXISTS", 0)),
        )

    def search_uids(self, after_uid: int = 0) -> list[int]:
        """UIDs above ``after_uid``, ascending.

        ``UID SEARCH N:*`` returns the highest UID even when it is below N (RFC 3501:
        ``*`` is the last message), so the list is always filtered here.
        """
        with translate_errors("search"):
            if after_uid > 0:
                found = self.client.search(["UID", f"{after_uid + 1}:*"])
            else:
                found = self.client.search(["ALL"])
        return sorted(int(u) for u in found if int(u) > after_uid)

    def fetch_meta(self, uids: Sequence[int]) -> dict[int, MessageMeta]:
        out: dict[int, MessageMeta] = {}
        for part in chunk(list(uids), self.params.uid_batch):
            with translate_errors("fetch metadata"):
                resp = self.client.fetch(list(part), ["RFC822.SIZE", "INTERNALDATE"])
            for uid, data in resp.items():
                internal = data.get(b"INTERNALDATE")
                if isinstance(internal, datetime) and internal.tzinfo is None:
                    internal = internal.replace(tzinfo=UTC)
                out[int(uid)] = MessageMeta(
                    uid=int(uid),
                    size=int(data.get(b"RFC822.SIZE", 0)),
                    internaldate=internal.astimezone(UTC) if isinstance(internal, datetime) else None,
                    flags=tuple(data.get(b"FLAGS", ())),
                )
        return out

    def fetch_bodies(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Raw bytes by UID. ``BODY.PEEK[]`` leaves \\Seen alone; the answer's key is
        ``b"BODY[]"`` (servers drop the .PEEK)."""
        if not uids:
            return {}
        with translate_errors("fetch bodies"):
            resp = self.client.fetch(list(uids), ["BODY.PEEK[]"])
        return {int(uid): bytes(d.get(b"BODY[]") or b"") for uid, d in resp.items() if b"BODY[]" in d}

    def fetch_headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        if not uids:
            return {}
        with translate_errors("fetch headers"):
            resp = self.client.fetch(list(uids), ["BODY.PEEK[HEADER]"])
        return {
            int(uid): bytes(d.get(b"BODY[HEADER]") or b"") for uid, d in resp.items() if b"BODY[HEADER]" in d
        }

    def ensure_folder(self, folder: str) -> None:
        with translate_errors(f"create {folder}"):
            if not self.client.folder_exists(folder):
                self.client.create_folder(folder)

    def move(self, uids: Sequence[int], folder: str) -> None:
        """MOVE (RFC 6851), or COPY + \\Deleted + UID EXPUNGE (RFC 4315) where MOVE is
        missing. Never a bare EXPUNGE: it would expunge other clients' \\Deleted mail."""
        if not uids:
            return
        with translate_errors(f"move to {folder}"):
            can_move = self.client.has_capability("MOVE")
            can_uidplus = self.client.has_capability("UIDPLUS")
        if not can_move and not can_uidplus:
            raise MailboxCapabilityError(
                "the server has neither MOVE nor UIDPLUS; set AVGDESK_IMAP_SERVER_ACTION=seen"
            )
        for part in chunk(list(uids), self.params.uid_batch):
            with translate_errors(f"move to {folder}"):
                if can_move:
                    # Crash before: messages stay in the folder and are re-acked next pass.
                    self.client.move(list(part), folder)
                else:
                    # Crash between these: a copy exists in both folders; the next pass
                    # finds the stored row (same UID) and completes the move; the extra
                    # copy in the target is harmless.
                    self.client.copy(list(part), folder)
                    self.client.add_flags(list(part), [b"\\Deleted"])
                    self.client.uid_expunge(list(part))

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        with translate_errors(f"append to {folder}"):
            self.client.append(folder, raw, flags=[b"\\Seen"] if seen else [])

    def mark_seen(self, uids: Sequence[int]) -> None:
        for part in chunk(list(uids), self.params.uid_batch):
            with translate_errors("mark seen"):
                # Crash before: the cursor was not advanced, the next pass repeats this.
                self.client.add_flags(list(part), [b"\\Seen"])

    # --- waiting ---------------------------------------------------------------------
    def wait_for_change(
        self,
        *,
        max_wait_s: float,
        check_s: float,
        keep_waiting: Callable[[], bool],
    ) -> bool:
        """Block until the selected folder changes, ``max_wait_s`` passes or
        ``keep_waiting()`` turns false (checked every ``check_s``).

        Uses IDLE (RFC 2177) when offered; otherwise sleeps in ``check_s`` slices and
        sends NOOP, which lets the server report new mail. Returns True when the
        server reported something. Any untagged response counts as a change: the
        caller runs a normal UID sync (IDLE reports sequence numbers, not UIDs).
        """
        deadline = time.monotonic() + max_wait_s
        if self.has_capability("IDLE"):
            with translate_errors("idle"):
                self.client.idle()
                changed = False
                while time.monotonic() < deadline and keep_waiting():
                    slice_s = max(0.1, min(check_s, deadline - time.monotonic()))
                    responses = self.client.idle_check(timeout=slice_s)
                    if any(_is_change(r) for r in responses):
                        changed = True
                        break
                    if any(_is_bye(r) for r in responses):
                        raise MailboxUnavailable("server closed the IDLE connection")
                self.client.idle_done()
            return changed
        while time.monotonic() < deadline and keep_waiting():
            time.sleep(max(0.05, min(check_s, deadline - time.monotonic())))
        with translate_errors("noop"):
            _, responses = (None, self.client.noop()[1])
        return any(_is_change(r) for r in responses)


def _is_change(response: Any) -> bool:
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and response[1] in {b"EXISTS", b"RECENT", b"EXPUNGE"}
    )


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def _socket_timeout(connect_s: float, read_s: float) -> Any:
    from imapclient.imapclient import SocketTimeout

    return SocketTimeout(connect=connect_s, read=read_s)


def _shutdown_quietly(client: IMAPClient) -> None:
    # The socket may already be gone; there is nothing else to do then.
    with contextlib.suppress(Exception):
        client.shutdown()
