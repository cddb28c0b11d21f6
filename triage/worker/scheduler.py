"""The scheduler inside the worker: the weekly summary and the daily reminders.

Why a small loop and not APScheduler
------------------------------------
There are two jobs, each "at or after a local wall-clock time, once per period". What
makes them correct is not the timer but the record of what was sent: with several
workers and restarts, "once per ISO week" can only be decided in the shared database,
atomically. APScheduler would add a second notion of state (its job store, with its own
misfire and coalescing rules) that does not map onto "send exactly once; if the slot was
missed, send it when we are back and say it is late", and its in-process timers make
tests depend on the real clock. Here the loop wakes every ``scheduler_interval_s`` (one
minute) and asks a pure question of ``(now, database)``: is anything due that nobody has
claimed? :func:`scheduler_tick` is that question with an explicit ``now``, so tests drive
it with a fixed clock; :func:`run_scheduler` is the loop around it.

Exactly once
------------
A job run is claimed by inserting ``ScheduledRun(job, period)``; the unique constraint on
``(job, period)`` decides between racing workers (PostgreSQL makes the second INSERT wait
for the first transaction and then fail with an IntegrityError; SQLite's ``BEGIN
IMMEDIATE`` serialises the transactions, so the second sees the row). The claim, the
outbox item(s) and, for reminders, the ``ReminderSent`` rows are committed in ONE
transaction: either the mail is queued and recorded, or neither (a crash while building
leaves nothing behind, and the next tick tries again). Delivery is the outbox's job.

The weekly summary (default Monday 08:00, Europe/Amsterdam; period = ISO week, e.g.
``2026-W48``): due from the latest scheduled moment at or before ``now``. If it is sent
more than ``summary_late_after_min`` after that moment (the worker was down), it is
marked late: "(laat)" in the subject and a paragraph in the body. A week that was missed
completely is not sent twice over: only the most recent slot counts. A fresh installation
(no summary ever claimed) does not send a late summary for a slot before it existed.

Daily reminders (working days, default 08:30; period = the local date): one mail per
assignee with an address (``staff_emails``, or an assignee that is an address), the other
cases to the team (``reminder_recipients``, else ``summary_recipients``), listing open
cases overdue or due within ``at_risk_working_days`` working days. ``ReminderSent``
(unique per case and day) guarantees no case is reminded twice on one day, also when the
day's claim is removed or reminders are sent by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from avgdesk.models.engine import session_scope
from avgdesk.models.errors import ConfigurationError, RetryableError
from avgdesk.models.tables import Case, OutboxItem, ReminderSent, ScheduledRun
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import identity
from avgdesk.triage.cases.deadlines import RiskLevel, is_working_day, risk, working_days_between
from avgdesk.triage.cases.queries import owes_answer_clause
from avgdesk.triage.reports.summary import (
    OPEN_STATES,
    CaseLine,
    ScheduleConfig,
    build_summary,
    build_summary_message,
    format_date_nl,
    iso_week,
    new_message,
    render,
)
from avgdesk.triage.settings import Settings

__all__ = [
    "JOB_REMINDERS",
    "JOB_SUMMARY",
    "Enqueue",
    "ScheduleConfig",
    "run_due_jobs",
    "run_reminders",
    "run_scheduler",
    "run_summary",
    "scheduler_tick",
    "send_summary_now",
    "summary_slot",
]

log = logging.getLogger(__name__)

JOB_SUMMARY = "summary"
JOB_REMINDERS = "reminders"
REMINDER_TABLE: Table = ReminderSent.__table__  # type: ignore[attr-defined]


class Enqueue(Protocol):
    """The outbox contract for internal mail (``avgdesk.replies.outbox.enqueue_internal``)."""

    def __call__(
        self,
        session: Session,
        message: EmailMessage,
        *,
        kind: str,
        recipients: list[str],
        case_id: int | None = None,
    ) -> OutboxItem: ...


def default_enqueue() -> Enqueue:
    from avgdesk.replies.outbox import enqueue_internal

    return enqueue_internal


# ---------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------


def _claimed(session: Session, job: str, period: str) -> bool:
    row = session.exec(
        select(ScheduledRun.id).where(ScheduledRun.job == job, ScheduledRun.period == period)
    ).first()
    return row is not None


def _has_history(session: Session, job: str) -> bool:
    return session.exec(select(ScheduledRun.id).where(ScheduledRun.job == job).limit(1)).first() is not None


def _claim(
    session: Session, job: str, period: str, config: ScheduleConfig, now: datetime, *, late: bool = False
) -> ScheduledRun | None:
    """Insert the claim; None when another worker holds it (the transaction is then rolled back)."""
    run = ScheduledRun(job=job, period=period, claimed_by=config.worker_id, claimed_at=now, late=late)
    session.add(run)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        log.info("%s %s already claimed by another worker", job, period)
        return None
    return run


# ---------------------------------------------------------------------------
# The weekly summary
# ---------------------------------------------------------------------------


def summary_slot(now: datetime, config: ScheduleConfig) -> tuple[str, datetime]:
    """The latest scheduled summary moment at or before ``now`` (UTC) and its period."""
    tz = config.tz
    today = now.astimezone(tz).date()
    slot_date = today - timedelta(days=today.weekday()) + timedelta(days=config.summary_weekday)
    slot = datetime.combine(slot_date, config.summary_time, tzinfo=tz)
    if slot > now:
        slot_date -= timedelta(days=7)
        slot = datetime.combine(slot_date, config.summary_time, tzinfo=tz)
    return iso_week(slot_date), slot.astimezone(UTC)


def run_summary(
    engine: Engine, now: datetime, config: ScheduleConfig, *, enqueue: Enqueue | None = None
) -> str | None:
    """Queue this week's summary if it is due and unclaimed; returns what was done."""
    if not config.summary_recipients:
        return None
    period, slot = summary_slot(now, config)
    late = now - slot > config.summary_late_after
    enqueue = enqueue or default_enqueue()
    with session_scope(engine) as session:
        if _claimed(session, JOB_SUMMARY, period):
            return None
        if late and not _has_history(session, JOB_SUMMARY):
            log.info(
                "no summary sent before: the first one goes out at the next slot, not late for %s", period
            )
            return None
        run = _claim(session, JOB_SUMMARY, period, config, now, late=late)
        if run is None:
            return None
        summary = build_summary(session, now, config)
        recipients = list(config.summary_recipients)
        message = build_summary_message(
            summary, config, recipients=recipients, now=now, late=late, scheduled_for=slot
        )
        item = enqueue(session, message, kind="summary", recipients=recipients)
        run.outbox_ids = [item.id] if item.id is not None else []
        session.add(run)
        # Crash before: no claim and nothing queued; the next tick sends it. Crash after: both are in.
        session.commit()
    done = f"summary {period}" + (" (late)" if late else "")
    log.info("queued %s for %d recipient(s)", done, len(recipients))
    return done


def send_summary_now(
    engine: Engine, now: datetime, config: ScheduleConfig, *, enqueue: Enqueue | None = None
) -> OutboxItem:
    """Queue a summary now, outside the weekly claim (``avgdesk summary --send``)."""
    if not config.summary_recipients:
        raise ConfigurationError("no summary_recipients configured (AVGDESK_SUMMARY_RECIPIENTS)")
    enqueue = enqueue or default_enqueue()
    with session_scope(engine) as session:
        summary = build_summary(session, now, config)
        recipients = list(config.summary_recipients)
        message = build_summary_message(summary, config, recipients=recipients, now=now)
        item = enqueue(session, message, kind="summary", recipients=recipients)
        # Crash before: nothing queued. Crash after: queued; the outbox sends it.
        session.commit()
    return item


# ---------------------------------------------------------------------------
# Daily reminders
# ---------------------------------------------------------------------------


def address_for(assignee: str | None, config: ScheduleConfig) -> str | None:
    """The assignee's address: the assignee itself if it is one, else ``staff_emails``."""
    if not assignee:
        return None
    if "@" in assignee:
        return assignee
    return config.staff_emails.get(assignee)


class _Due(NamedTuple):
    """The columns a reminder needs of a case (thousands of rows: no ORM objects)."""

    id: int
    reference: str
    due_date: date
    assignee: str | None


@dataclass
class _Group:
    recipients: tuple[str, ...]
    assignee: str | None
    overdue: list[tuple[_Due, CaseLine]]
    at_risk: list[tuple[_Due, CaseLine]]

    @property
    def entries(self) -> list[tuple[_Due, CaseLine]]:
        return self.overdue + self.at_risk


def build_reminder_message(
    config: ScheduleConfig,
    *,
    recipients: Sequence[str],
    assignee: str | None,
    overdue: Sequence[CaseLine],
    at_risk: Sequence[CaseLine],
    today: date,
    now: datetime,
) -> EmailMessage:
    subject = (
        f"Herinnering privacyzaken: {len(overdue)} over de termijn, {len(at_risk)} binnenkort af"
        f" ({format_date_nl(today, weekday=False)})"
    )
    message = new_message(config, subject=subject, recipients=recipients, now=now)
    # A reminder of thousands of cases is read by no one: the first rows, the total and the
    # queue link (every listed and unlisted case still counts as reminded today).
    rows = config.summary_list_rows
    context: dict[str, Any] = {
        "today": today,
        "assignee": assignee,
        "overdue": list(overdue[:rows]),
        "overdue_total": len(overdue),
        "overdue_url": f"{config.web_base_url}/cases?due=overdue",
        "at_risk": list(at_risk[:rows]),
        "at_risk_total": len(at_risk),
        "at_risk_url": f"{config.web_base_url}/cases?due=7",
        "at_risk_working_days": config.at_risk_working_days,
    }
    message.set_content(render("reminder.txt.j2", html=False, **context), subtype="plain", charset="utf-8")
    message.add_alternative(render("reminder.html.j2", html=True, **context), subtype="html", charset="utf-8")
    return message


def run_reminders(
    engine: Engine, now: datetime, config: ScheduleConfig, *, enqueue: Enqueue | None = None
) -> list[str]:
    """Queue today's reminders if due (working day, after ``reminder_time``) and unclaimed."""
    if config.reminder_time is None:
        return []
    local = now.astimezone(config.tz)
    today = local.date()
    if not is_working_day(today) or local.time() < config.reminder_time:
        return []
    period = today.isoformat()
    enqueue = enqueue or default_enqueue()
    with session_scope(engine) as session:
        if _claimed(session, JOB_REMINDERS, period):
            return []
        run = _claim(session, JOB_REMINDERS, period, config, now)
        if run is None:
            return []
        groups = _reminder_groups(session, now, today, config)
        done = _queue_reminders(session, groups, run, enqueue, config, today=today, now=now)
        reminded = [{"case_id": case.id, "day": today} for g in groups.values() for case, _ in g.entries]
        try:
            session.flush()
            if reminded:
                # One executemany for thousands of rows, in the same transaction as the outbox items.
                session.connection().execute(REMINDER_TABLE.insert(), reminded)
        except IntegrityError:
            # A case was reminded today by someone else in the meantime: send nothing twice.
            session.rollback()
            log.warning("reminders %s: a case was already reminded today; retrying next tick", period)
            return []
        # Crash before: no reminder recorded or queued; the next tick sends them. Crash after: both in.
        session.commit()
    for line_ in done:
        log.info("queued %s", line_)
    return done


def _reminder_groups(
    session: Session, now: datetime, today: date, config: ScheduleConfig
) -> dict[tuple[str, ...], _Group]:
    """Open cases at risk or overdue, still owing an answer and not yet reminded today,
    grouped by recipients.

    SQL selects them (due on or before the last at-risk day, no reminder today); the risk
    is then scored only for those, not for every open case."""
    reminded_today = select(col(ReminderSent.case_id)).where(ReminderSent.day == today)
    rows = session.exec(
        select(col(Case.id), col(Case.reference), col(Case.due_date), col(Case.assignee))
        .where(
            col(Case.state).in_(OPEN_STATES),
            owes_answer_clause(),  # every answer sent: the deadline is met, nothing to remind
            col(Case.due_date) <= _last_at_risk_day(today, config.at_risk_working_days),
            col(Case.id).not_in(reminded_today),
        )
        .order_by(col(Case.due_date), col(Case.reference))
    )
    groups: dict[tuple[str, ...], _Group] = {}
    for case_id, reference, due_date, assignee in rows:
        if case_id is None or due_date is None:  # the WHERE excludes both; for the type checker
            continue
        case = _Due(case_id, reference, due_date, assignee)
        level = risk(case.due_date, now=now, tz=config.tz, at_risk_working_days=config.at_risk_working_days)
        if level.level is RiskLevel.OK:
            continue
        address = address_for(case.assignee, config)
        recipients = (address,) if address else config.team_recipients
        if not recipients:
            log.warning("reminder for %s has no recipient (no assignee address, no team)", case.reference)
            continue
        group = groups.setdefault(recipients, _Group(recipients, case.assignee if address else None, [], []))
        url = config.case_url(case.reference)
        if level.level is RiskLevel.OVERDUE:
            line = CaseLine(case.reference, url, case.due_date, level.days_overdue, case.assignee)
            group.overdue.append((case, line))
        else:
            line = CaseLine(case.reference, url, case.due_date, level.working_days_left, case.assignee)
            group.at_risk.append((case, line))
    return groups


def _last_at_risk_day(today: date, at_risk_working_days: int) -> date:
    """The latest due date :func:`risk` calls at risk today (weekends and holidays count
    towards no working day, so the day before the next working day beyond the limit)."""
    day = today
    while working_days_between(today, day + timedelta(days=1)) <= at_risk_working_days:
        day += timedelta(days=1)
    return day


def _queue_reminders(
    session: Session,
    groups: dict[tuple[str, ...], _Group],
    run: ScheduledRun,
    enqueue: Enqueue,
    config: ScheduleConfig,
    *,
    today: date,
    now: datetime,
) -> list[str]:
    """One reminder mail per group into the outbox; each case recorded as reminded today."""
    done: list[str] = []
    outbox_ids: list[int] = []
    for group in groups.values():
        entries = group.entries
        message = build_reminder_message(
            config,
            recipients=group.recipients,
            assignee=group.assignee,
            overdue=[line for _, line in group.overdue],
            at_risk=[line for _, line in group.at_risk],
            today=today,
            now=now,
        )
        case_id = entries[0][0].id if len(entries) == 1 else None
        item = enqueue(session, message, kind="reminder", recipients=list(group.recipients), case_id=case_id)
        if item.id is not None:
            outbox_ids.append(item.id)
        done.append(
            f"reminder {today.isoformat()} to {', '.join(group.recipients)}: "
            + ", ".join(case.reference for case, _ in entries)
        )
    run.outbox_ids = outbox_ids
    session.add(run)
    return done


# ---------------------------------------------------------------------------
# Tick and loop
# ---------------------------------------------------------------------------


def run_due_jobs(
    engine: Engine, now: datetime, config: ScheduleConfig, *, enqueue: Enqueue | None = None
) -> list[str]:
    """Run every job that is due at ``now``. A failing job does not stop the others; the
    first failure is raised after all have run."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    done: list[str] = []
    failure: BaseException | None = None
    jobs: list[Callable[[], list[str]]] = [
        lambda: [r] if (r := run_summary(engine, now, config, enqueue=enqueue)) else [],
        lambda: run_reminders(engine, now, config, enqueue=enqueue),
    ]
    for job in jobs:
        try:
            done.extend(job())
        except Exception as exc:
            failure = failure or exc
    if failure is not None:
        raise failure
    return done


async def scheduler_tick(
    settings: Settings, engine: Engine, now: datetime, *, enqueue: Enqueue | None = None
) -> list[str]:
    """One pass of the scheduler at ``now``; returns what was queued (for logs and tests).

    The database work runs in a thread (synchronous SQLAlchemy), so the event loop of
    the worker keeps serving IMAP IDLE and the outbox meanwhile.
    """
    config = ScheduleConfig.from_settings(settings)
    return await asyncio.to_thread(run_due_jobs, engine, now, config, enqueue=enqueue)


async def _wait(stop_event: asyncio.Event | threading.Event, timeout_s: float) -> None:
    if isinstance(stop_event, asyncio.Event):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), timeout=timeout_s)
        return
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not stop_event.is_set():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return
        await asyncio.sleep(min(left, 0.5))


async def run_scheduler(
    settings: Settings,
    engine: Engine,
    stop_event: asyncio.Event | threading.Event,
    clock: Callable[[], datetime] = utcnow,
    *,
    enqueue: Enqueue | None = None,
    report: Callable[[str | None], None] | None = None,
) -> None:
    """The worker's scheduler task: a tick every ``scheduler_interval_s`` until stopped.

    Failures are logged and retried after a wait that doubles from 1 s up to
    ``worker_error_backoff_max_s`` (never longer than the interval), like the worker's other
    loops, so a passing outage (a full disk, a database restart) clears within seconds, not a
    whole interval; nothing is lost because a job that failed left no claim behind.
    ``report`` hears each tick's problem (None: fine).
    """
    config = ScheduleConfig.from_settings(settings)  # a bad setting stops the worker at start
    log.info(
        "scheduler: summary %s %s to %d recipient(s), reminders %s, every %.0f s",
        ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[config.summary_weekday],
        config.summary_time.strftime("%H:%M"),
        len(config.summary_recipients),
        config.reminder_time.strftime("%H:%M") if config.reminder_time else "off",
        config.interval_s,
    )
    failures = 0
    while not stop_event.is_set():
        problem: str | None = None
        try:
            now = clock()  # once per tick: both jobs see the same moment
            await asyncio.to_thread(run_due_jobs, engine, now, config, enqueue=enqueue)
            await asyncio.to_thread(identity.retry_id_copies, engine, settings, now)  # issue 13: hourly
        except RetryableError as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:200]}"
            log.warning("scheduler: %s; retrying soon", exc)
        except Exception as exc:
            problem = f"{type(exc).__name__}: {str(exc)[:200]}"
            log.exception("scheduler tick failed; retrying soon")
        if report is not None:
            report(problem)
        failures = failures + 1 if problem else 0
        retry_s = min(2.0 ** (failures - 1), settings.worker_error_backoff_max_s)
        await _wait(stop_event, min(config.interval_s, retry_s) if failures else config.interval_s)
