"""``avgdesk mailbox check``: try the configured mailbox settings and say what to fix.

Connects and logs in exactly as the worker does (password or OAuth 2.0), lists the
folders, checks IDLE, MOVE, the folder avgdesk reads, the processed and the Sent folder,
and logs in to SMTP (or fetches a Graph token). It creates nothing, moves nothing and
sends nothing; the folder it reads is selected read-only.

Each finding is ``ok``, ``warn`` (works, but not as well as it could) or ``fail``
(the worker cannot do its job until it is fixed); the command exits 1 on any ``fail``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from avgdesk.mailbox.imap import ImapConnection, ImapParams, translate_errors
from avgdesk.mailbox.oauth import claims_problem
from avgdesk.models.errors import AvgdeskError, MailboxAuthError

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.status != "fail" for f in self.findings)

    def add(self, check: str, status: Status, detail: str, fix: str = "") -> None:
        self.findings.append(Finding(check, status, detail, fix))

    def lines(self) -> list[str]:
        out: list[str] = []
        for f in self.findings:
            out.append(f"{f.status.upper():<5} {f.check}: {f.detail}")
            if f.fix:
                out.append(f"      fix: {f.fix}")
        out.append("all checks passed" if self.ok else "some checks failed: see the fix lines above")
        return out


@dataclass(frozen=True)
class ImapCheckConfig:
    folder: str = "INBOX"
    processed_folder: str = "avgdesk-processed"
    sent_folder: str | None = "Sent"
    """None: replies are not copied over IMAP (Graph keeps Sent Items itself, or copying is off)."""
    server_action: str = "move"
    token_role: str | None = None
    """The application permission a Microsoft token must carry (IMAP.AccessAsApp)."""


def check_imap(params: ImapParams, config: ImapCheckConfig, report: CheckReport) -> None:
    """The IMAP half, blocking (imapclient): run it in a thread from async code."""
    if params.token_provider is not None and not _check_token(params, config, report):
        return
    conn = ImapConnection(params)
    try:
        conn.connect()
    except AvgdeskError as exc:
        report.add("imap login", "fail", str(exc), _login_fix(params, exc))
        return
    report.add("imap login", "ok", f"{params.username}@{params.host}:{params.port} ({params.auth})")
    try:
        _check_folders(conn, config, report)
        _check_capabilities(conn, config, report)
    except AvgdeskError as exc:
        report.add("imap session", "fail", str(exc))
    finally:
        with contextlib.suppress(AvgdeskError):
            conn.close()


def _check_token(params: ImapParams, config: ImapCheckConfig, report: CheckReport) -> bool:
    provider = params.token_provider
    assert provider is not None
    try:
        token = provider.token()
    except AvgdeskError as exc:
        report.add("oauth2 token", "fail", str(exc))
        return False
    problem = claims_problem(token.value, audience=params.token_audience, role=config.token_role)
    if problem:
        report.add("oauth2 token", "fail", f"{provider.description}: {problem}")
        return False
    expires = token.expires_at.isoformat(timespec="seconds")
    report.add("oauth2 token", "ok", f"{provider.description}, expires {expires}")
    return True


def _login_fix(params: ImapParams, exc: AvgdeskError) -> str:
    if not isinstance(exc, MailboxAuthError):
        return "check AVGDESK_IMAP_HOST, AVGDESK_IMAP_PORT and AVGDESK_IMAP_SECURITY (and the firewall)"
    if params.token_provider is not None:
        return params.token_provider.refused_hint()
    return "check AVGDESK_IMAP_USERNAME and AVGDESK_IMAP_PASSWORD"


def _check_folders(conn: ImapConnection, config: ImapCheckConfig, report: CheckReport) -> None:
    with translate_errors("list folders"):
        listed: list[tuple[Any, Any, str]] = conn.client.list_folders()
    names = [name for _flags, _delim, name in listed]
    report.add("imap folders", "ok", f"{len(names)} folder(s)")
    if config.folder in names or config.folder.upper() == "INBOX":
        with translate_errors(f"select {config.folder}"):
            info = conn.client.select_folder(config.folder, readonly=True)
        report.add("read folder", "ok", f"{config.folder} ({int(info.get(b'EXISTS', 0))} message(s))")
    else:
        report.add(
            "read folder",
            "fail",
            f"{config.folder!r} does not exist",
            f"set AVGDESK_IMAP_FOLDER to one of: {_some(names)}",
        )
    if config.server_action == "move":
        if config.processed_folder in names:
            report.add("processed folder", "ok", config.processed_folder)
        else:
            report.add(
                "processed folder",
                "warn",
                f"{config.processed_folder!r} does not exist yet",
                "avgdesk creates it at the first move; create it now if the account may not",
            )
    if config.sent_folder is None:
        return
    if config.sent_folder in names:
        report.add("sent folder", "ok", config.sent_folder)
        return
    special = [name for flags, _d, name in listed if b"\\Sent" in tuple(flags or ())]
    if special:
        report.add(
            "sent folder",
            "fail",
            f"{config.sent_folder!r} does not exist; the server's Sent folder is {special[0]!r}",
            f"set AVGDESK_IMAP_SENT_FOLDER={special[0]}",
        )
    else:
        report.add(
            "sent folder",
            "warn",
            f"{config.sent_folder!r} does not exist yet",
            "avgdesk creates it at the first copy; check the name your mail client shows",
        )


def _check_capabilities(conn: ImapConnection, config: ImapCheckConfig, report: CheckReport) -> None:
    if conn.has_capability("IDLE"):
        report.add("idle", "ok", "new mail is picked up at once")
    else:
        report.add("idle", "warn", "no IDLE: the worker polls every AVGDESK_IMAP_POLL_INTERVAL_S")
    if config.server_action != "move":
        report.add("move", "ok", "not needed (AVGDESK_IMAP_SERVER_ACTION=seen)")
    elif conn.has_capability("MOVE"):
        report.add("move", "ok", "MOVE")
    elif conn.has_capability("UIDPLUS"):
        report.add("move", "warn", "no MOVE: COPY + UID EXPUNGE (UIDPLUS) is used instead")
    else:
        report.add("move", "fail", "neither MOVE nor UIDPLUS", "set AVGDESK_IMAP_SERVER_ACTION=seen")


async def check_sender(name: str, probe: Callable[[], Awaitable[str]], report: CheckReport, fix: str) -> None:
    """The sending half: ``probe`` logs in (SMTP) or fetches a token (Graph), sends nothing."""
    try:
        detail = await probe()
    except AvgdeskError as exc:
        report.add(name, "fail", str(exc), fix)
        return
    report.add(name, "ok", detail)


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:12])
    return shown + (", …" if len(names) > 12 else "")
