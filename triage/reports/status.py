"""``avgdesk status``: one JSON object a monitoring system can read.

``healthy`` is false when ``problems`` (short reasons, English, for the on-call person)
is not empty: the worker is not running (its health file is stale or missing), a loop
reports an error (database, mailbox, SMTP), the intake has not polled for
``health_poll_stale_s``, or the last intake attempt failed. Reads only: no migration,
no write, and on SQLite a reader that never waits for a writer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from avgdesk.models.tables import (
    Case,
    Draft,
    DraftState,
    InboundMessage,
    MailboxCursor,
    MessageState,
    OutboxItem,
    OutboxState,
)
from avgdesk.replies import outbox
from avgdesk.triage.settings import Settings
from avgdesk.triage.worker import health as worker_health


def collect(engine: Engine, settings: Settings | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The counts, the heartbeat and the health verdict (needs ``settings`` for health)."""
    data = _counts(engine)
    if settings is not None:
        data.update(assess(data, settings, now or datetime.now(UTC)))
    return data


def unreadable(settings: Settings, reason: str, now: datetime | None = None) -> dict[str, Any]:
    """What status can still say when the database cannot be read."""
    data: dict[str, Any] = {"database_error": reason}
    verdict = assess({"last_poll_at": None, "intake_errors": []}, settings, now or datetime.now(UTC))
    verdict["problems"] = [f"database: {reason}", *verdict["problems"]]
    verdict["healthy"] = False
    data.update(verdict)
    return data


def assess(data: dict[str, Any], settings: Settings, now: datetime) -> dict[str, Any]:
    problems: list[str] = []
    worker = worker_health.read(settings.data_dir)
    if worker is None:
        problems.append("worker: not running (no health file)")
    else:
        age = (now - datetime.fromisoformat(worker["updated_at"])).total_seconds()
        if not worker.get("running", True) and "last_run_at" in worker:
            problems.extend(_once_problems(worker, settings, now))
        elif not worker.get("running", True):
            problems.append("worker: stopped")
        elif age > settings.health_heartbeat_stale_s:
            problems.append(f"worker: no heartbeat for {age:.0f} s")
        else:
            for loop, p in sorted(worker.get("problems", {}).items()):
                problems.append(f"{loop}: {p['reason']} (since {p['since']}, {p['count']}x)")
    if settings.imap_configured:
        last = data.get("last_poll_at")
        if last is None:
            problems.append("intake: never polled")
        else:
            age = (now - datetime.fromisoformat(last)).total_seconds()
            # A cron setup polls once a run: its polls are as old as its runs may be.
            one_shot = worker is not None and "last_run_at" in worker and not worker.get("running", True)
            limit = settings.health_poll_stale_s
            if age > (max(limit, settings.health_once_stale_s) if one_shot else limit):
                problems.append(f"intake: last poll {age:.0f} s ago")
        for err in data.get("intake_errors", []):
            at = err.get("at")
            if at and (last is None or datetime.fromisoformat(at) > datetime.fromisoformat(last)):
                problems.append(f"intake: {err['error']}")
    return {"healthy": not problems, "problems": problems, "worker": worker}


def _once_problems(worker: dict[str, Any], settings: Settings, now: datetime) -> list[str]:
    """A worker run as one-shot runs (cron): healthy while its last run succeeded recently."""
    age = (now - datetime.fromisoformat(worker["last_run_at"])).total_seconds()
    if not worker.get("last_run_ok", False):
        return [f"worker: last one-shot run failed ({worker.get('last_run_problem') or 'unknown'})"]
    if age > settings.health_once_stale_s:
        return [f"worker: last one-shot run {age:.0f} s ago"]
    return []


def _counts(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:

        def count(stmt: Any) -> int:
            return int(session.execute(stmt).scalar_one())

        messages = count(select(func.count()).select_from(InboundMessage))
        by_state: dict[Any, int] = {
            state: int(n)
            for state, n in session.execute(
                select(col(InboundMessage.state), func.count()).group_by(col(InboundMessage.state))
            ).all()
        }
        automatic = count(
            select(func.count()).select_from(InboundMessage).where(col(InboundMessage.is_automatic).is_(True))
        )
        cases = count(select(func.count()).select_from(Case))
        drafts_pending = count(
            select(func.count()).select_from(Draft).where(col(Draft.state) == DraftState.DRAFT)
        )
        outbox_pending = outbox.pending_count(session)
        outbox_failed = count(
            select(func.count()).select_from(OutboxItem).where(col(OutboxItem.state) == OutboxState.FAILED)
        )
        # Replies that may have reached the recipient twice (or, given up, once or not at all).
        outbox_ambiguous = count(
            select(func.count()).select_from(OutboxItem).where(col(OutboxItem.ambiguous).is_(True))
        )
        cursors = list(session.execute(select(MailboxCursor)).scalars())
    last_poll = max((c.last_poll_at for c in cursors if c.last_poll_at), default=None)
    errors = [
        {"account": c.account, "folder": c.folder, "error": c.last_error, "at": _iso(c.last_error_at)}
        for c in cursors
        if c.last_error
    ]
    return {
        "messages": messages,
        "received": int(by_state.get(MessageState.RECEIVED, 0)),
        "processed": int(by_state.get(MessageState.PROCESSED, 0)),
        "quarantined": int(by_state.get(MessageState.QUARANTINED, 0)),
        "automatic": automatic,
        "cases": cases,
        "drafts_pending": drafts_pending,
        "outbox_pending": outbox_pending,
        "outbox_failed": outbox_failed,
        "outbox_ambiguous": outbox_ambiguous,
        "last_poll_at": _iso(last_poll),
        "mailboxes": [
            {
                "account": c.account,
                "folder": c.folder,
                "uidvalidity": c.uidvalidity,
                "last_uid": c.last_uid,
                "last_poll_at": _iso(c.last_poll_at),
            }
            for c in cursors
        ],
        "intake_errors": errors,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


EXIT_OK = 0
EXIT_UNHEALTHY = 1
EXIT_UNREADABLE = 3


def report(settings: Settings, *, check: bool = False) -> tuple[dict[str, Any], int]:
    """Read the status without migrating or creating anything; returns (data, exit code).

    Exit codes (README, "Monitoring"): 0 read (and, with ``check``, healthy); 1 ``check``
    and unhealthy; 3 the database cannot be read (missing, locked past the busy timeout,
    unreachable, or older than this version); 2 is a configuration error (the CLI)."""
    from sqlalchemy.exc import SQLAlchemyError

    from avgdesk.models.engine import make_engine
    from avgdesk.models.errors import AvgdeskError, ConfigurationError

    try:
        engine = make_engine(
            settings.effective_database_url,
            sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s,
            read_only=True,
        )
        try:
            data = collect(engine, settings)
        finally:
            engine.dispose()
    except ConfigurationError:
        raise
    except (SQLAlchemyError, AvgdeskError, OSError) as exc:
        reason = f"{type(exc).__name__}: {str(getattr(exc, 'orig', None) or exc).splitlines()[0][:200]}"
        return unreadable(settings, reason), EXIT_UNREADABLE
    from avgdesk.triage.connectors import auth_status

    data["auth"] = auth_status(settings)  # issue 18: which login, and when the token expires
    return data, (EXIT_UNHEALTHY if check and not data["healthy"] else EXIT_OK)


def lines(data: dict[str, Any]) -> list[str]:
    """The human-readable form of :func:`report`'s data."""
    out = [
        f"{key:16} {data[key]}"
        for key in (
            "messages",
            "received",
            "processed",
            "quarantined",
            "automatic",
            "cases",
            "drafts_pending",
            "outbox_pending",
            "outbox_failed",
            "outbox_ambiguous",
            "last_poll_at",
        )
        if key in data
    ]
    out.extend(
        f"intake error     {e['account']}/{e['folder']} at {e['at']}: {e['error']}"
        for e in data.get("intake_errors", [])
    )
    out.extend(_auth_lines(data.get("auth")))
    out.append(f"{'healthy':16} {'yes' if data['healthy'] else 'no'}")
    out.extend(f"problem          {p}" for p in data["problems"])
    return out


def _auth_lines(auth: dict[str, Any] | None) -> list[str]:
    if not auth:
        return []
    provider = f" provider={auth['oauth_provider']}" if auth.get("oauth_provider") else ""
    out = [
        f"{'auth':16} imap={auth['imap_auth']} smtp={auth['smtp_auth']} "
        f"outbox={auth['outbox_transport']}{provider}"
    ]
    out.extend(
        f"token            {scope} expires {t.get('expires_at')} ({t.get('provider')})"
        for scope, t in sorted(auth.get("tokens", {}).items())
    )
    return out
