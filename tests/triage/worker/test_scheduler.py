"""The scheduler: the weekly summary exactly once per ISO week (restarts, racing workers,
a missed Monday sent late), daily reminders never twice per case and day, and delivery
of the queued mail through the outbox to a recording mailer. Fixed clocks throughout.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fakes import RecordingMailer
from helpers import until
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from avgdesk.mailbox.automatic import LOOP_HEADER
from avgdesk.models.engine import make_engine, session_scope
from avgdesk.models.tables import Case, CaseState, OutboxItem, ReminderSent, ScheduledRun
from avgdesk.replies.outbox import drain
from avgdesk.triage.worker import scheduler
from avgdesk.triage.worker.scheduler import (
    ScheduleConfig,
    run_due_jobs,
    run_scheduler,
    scheduler_tick,
    summary_slot,
)

TZ = ZoneInfo("Europe/Amsterdam")
TEAM = "privacyteam@nhmbsoftware.nl"


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


class Cfg:
    """Settings plus the scheduling settings that Settings does not declare yet."""

    def __init__(self, base: Any, **extra: Any) -> None:
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


@pytest.fixture
def settings(make_settings: Any) -> Cfg:
    return Cfg(
        make_settings(worker_id="w1"),
        summary_recipients=[TEAM],
        web_base_url="https://avgdesk.example.nl",
        staff_emails={"anne": "anne@nhmbsoftware.nl"},
        scheduler_interval_s=0.05,
    )


def seed_cases(engine: Engine) -> dict[str, int]:
    """Open cases around Tuesday 24 November 2026 (at risk = due within 5 working days)."""
    rows = [
        # reference, state, due date, assignee
        ("AVG-2026-0104", CaseState.IN_PROGRESS, date(2026, 11, 20), "anne"),  # overdue
        ("AVG-2026-0105", CaseState.IN_PROGRESS, date(2026, 11, 10), "bert@nhmbsoftware.nl"),  # overdue
        ("AVG-2026-0106", CaseState.AWAITING_APPROVAL, date(2026, 11, 23), None),  # overdue by 1
        ("AVG-2026-0107", CaseState.NEW, date(2026, 11, 30), "zoe"),  # at risk; zoe has no address
        ("AVG-2026-0108", CaseState.AWAITING_IDENTITY, date(2026, 12, 1), None),  # 5 working days
        ("AVG-2026-0109", CaseState.IN_PROGRESS, date(2026, 12, 2), "anne"),  # 6 working days: ok
        ("AVG-2026-0110", CaseState.ANSWERED, date(2026, 11, 2), "anne"),  # answered: never reminded
        ("AVG-2026-0111", CaseState.NEW, None, None),  # no due date
    ]
    ids = {}
    with session_scope(engine) as s:
        for ref, state, due, assignee in rows:
            case = Case(
                reference=ref,
                state=state,
                rights=["access"],
                received_at=at(2026, 10, 20),
                due_date=due,
                assignee=assignee,
            )
            s.add(case)
            s.flush()
            assert case.id is not None
            ids[ref] = case.id
        s.commit()
    return ids


def claim_history(engine: Engine, period: str) -> None:
    """A summary sent in an earlier week (so the scheduler knows it has run before)."""
    with session_scope(engine) as s:
        s.add(ScheduledRun(job="summary", period=period, claimed_by="old", claimed_at=at(2026, 1, 5, 8)))
        s.commit()


def outbox(engine: Engine, kind: str) -> list[OutboxItem]:
    with session_scope(engine) as s:
        return list(s.exec(select(OutboxItem).where(OutboxItem.kind == kind).order_by(col(OutboxItem.id))))


def runs(engine: Engine, job: str) -> list[ScheduledRun]:
    with session_scope(engine) as s:
        return list(
            s.exec(select(ScheduledRun).where(ScheduledRun.job == job).order_by(col(ScheduledRun.period)))
        )


def parse(item: OutboxItem) -> email.message.EmailMessage:
    msg = email.message_from_bytes(item.raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def text_of(msg: email.message.EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")  # the outbox stores CRLF line ends


# ---------------------------------------------------------------------------
# The weekly summary
# ---------------------------------------------------------------------------


def test_summary_slot() -> None:
    config = ScheduleConfig(tz=TZ)
    assert summary_slot(at(2026, 11, 23, 8, 0), config) == ("2026-W48", at(2026, 11, 23, 8, 0))
    assert summary_slot(at(2026, 11, 23, 7, 59), config) == ("2026-W47", at(2026, 11, 16, 8, 0))
    assert summary_slot(at(2026, 11, 29, 23, 59), config)[0] == "2026-W48"
    # Summer time: 08:00 in Amsterdam is 06:00 UTC.
    assert summary_slot(at(2026, 6, 3), config)[1].isoformat() == "2026-06-01T06:00:00+00:00"


async def test_summary_exactly_once_in_its_week(engine: Engine, settings: Cfg) -> None:
    seed_cases(engine)
    claim_history(engine, "2026-W47")
    assert await scheduler_tick(settings, engine, at(2026, 11, 23, 7, 59)) == []
    assert await scheduler_tick(settings, engine, at(2026, 11, 23, 8, 0)) == ["summary 2026-W48"]
    for later in (at(2026, 11, 23, 8, 1), at(2026, 11, 24, 7, 0), at(2026, 11, 29, 23, 59)):
        assert "summary 2026-W48" not in await scheduler_tick(settings, engine, later)
    items = outbox(engine, "summary")
    assert len(items) == 1
    (run,) = [r for r in runs(engine, "summary") if r.period == "2026-W48"]
    assert (run.late, run.claimed_by, run.outbox_ids) == (False, "w1", [items[0].id])
    msg = parse(items[0])
    assert msg["Subject"] == "Weekoverzicht privacyzaken week 48: 7 open, 2 over de termijn"
    assert msg["Auto-Submitted"] == "auto-generated" and msg[LOOP_HEADER] == "avgdesk"
    assert items[0].recipients == [TEAM]
    # The next Monday brings the next week's summary.
    assert await scheduler_tick(settings, engine, at(2026, 11, 30, 8, 0)) == ["summary 2026-W49"]


async def test_late_summary_after_a_missed_monday(engine: Engine, settings: Cfg) -> None:
    claim_history(engine, "2026-W47")
    # The worker was down on Monday 23 November; it comes back on Wednesday.
    assert await scheduler_tick(settings, engine, at(2026, 11, 25, 10, 0)) == ["summary 2026-W48 (late)"]
    assert await scheduler_tick(settings, engine, at(2026, 11, 25, 10, 1)) == []
    (item,) = outbox(engine, "summary")
    msg = parse(item)
    assert msg["Subject"].endswith(" (laat)")
    assert (
        "LET OP: dit overzicht komt te laat. Het stond gepland voor\nmaandag 23 november 2026 om 08:00"
        in (text_of(msg))
    )
    assert [r.late for r in runs(engine, "summary") if r.period == "2026-W48"] == [True]


async def test_within_the_grace_period_is_not_late(engine: Engine, settings: Cfg) -> None:
    claim_history(engine, "2026-W47")
    assert await scheduler_tick(settings, engine, at(2026, 11, 23, 9, 0)) == ["summary 2026-W48"]


async def test_a_week_missed_entirely_is_sent_once_for_the_current_week(
    engine: Engine, settings: Cfg
) -> None:
    claim_history(engine, "2026-W47")
    # Down from Sunday 22 November to Tuesday 1 December: W48 is gone, W49 goes out late.
    assert await scheduler_tick(settings, engine, at(2026, 12, 1, 9, 0)) == ["summary 2026-W49 (late)"]
    assert [r.period for r in runs(engine, "summary")] == ["2026-W47", "2026-W49"]


async def test_fresh_installation_sends_no_late_summary(engine: Engine, settings: Cfg) -> None:
    assert await scheduler_tick(settings, engine, at(2026, 11, 25, 10, 0)) == []
    assert await scheduler_tick(settings, engine, at(2026, 11, 30, 8, 0)) == ["summary 2026-W49"]


async def test_no_recipients_no_summary(engine: Engine, make_settings: Any) -> None:
    claim_history(engine, "2026-W47")
    assert await scheduler_tick(make_settings(), engine, at(2026, 11, 23, 8, 0)) == []
    assert outbox(engine, "summary") == []


@pytest.mark.parametrize("skip_precheck", [False, True], ids=["tick", "insert-race"])
def test_racing_workers_send_one_summary(
    engine: Engine, db_url: str, settings: Cfg, monkeypatch: pytest.MonkeyPatch, skip_precheck: bool
) -> None:
    """Four workers with their own engines tick at the same moment: one summary.

    With ``insert-race`` every worker skips the "already claimed?" SELECT, so they all
    reach the INSERT of the claim and the unique constraint decides.
    """
    claim_history(engine, "2026-W47")
    if skip_precheck:
        monkeypatch.setattr(scheduler, "_claimed", lambda *a, **k: False)
    engines = [make_engine(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(engines))
    results: list[list[str]] = []
    errors: list[BaseException] = []
    now = at(2026, 11, 23, 8, 0)

    def worker(i: int, eng: Engine) -> None:
        config = ScheduleConfig.from_settings(Cfg(settings, worker_id=f"w{i}"))
        barrier.wait()
        try:
            results.append(run_due_jobs(eng, now, config))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, e)) for i, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for eng in engines:
        eng.dispose()
    assert errors == []
    assert sorted(results) == [[], [], [], ["summary 2026-W48"]]
    assert len(outbox(engine, "summary")) == 1
    assert [r.period for r in runs(engine, "summary")] == ["2026-W47", "2026-W48"]


async def test_two_asyncio_workers_race_with_scheduler_tick(
    engine: Engine, db_url: str, settings: Cfg
) -> None:
    claim_history(engine, "2026-W47")
    e1, e2 = make_engine(db_url), make_engine(db_url)
    try:
        now = at(2026, 11, 23, 8, 0) + timedelta(seconds=30)
        got = await asyncio.gather(
            scheduler_tick(Cfg(settings, worker_id="a"), e1, now),
            scheduler_tick(Cfg(settings, worker_id="b"), e2, now),
        )
    finally:
        e1.dispose()
        e2.dispose()
    assert sorted(got) == [[], ["summary 2026-W48"]]
    assert len(outbox(engine, "summary")) == 1


async def test_failed_build_leaves_no_claim(
    engine: Engine, settings: Cfg, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_history(engine, "2026-W47")

    def broken(*a: Any, **k: Any) -> Any:
        raise RuntimeError("template broke")

    monkeypatch.setattr(scheduler, "build_summary_message", broken)
    with pytest.raises(RuntimeError):
        await scheduler_tick(settings, engine, at(2026, 11, 23, 8, 0))
    assert [r.period for r in runs(engine, "summary")] == ["2026-W47"]
    assert outbox(engine, "summary") == []
    monkeypatch.undo()
    assert await scheduler_tick(settings, engine, at(2026, 11, 23, 8, 1)) == ["summary 2026-W48"]


async def test_run_scheduler_loop_with_a_fixed_clock(engine: Engine, settings: Cfg) -> None:
    claim_history(engine, "2026-W47")
    stop = asyncio.Event()
    clock_now = [at(2026, 11, 23, 7, 59)]
    ticks = [0]

    def clock() -> datetime:
        ticks[0] += 1  # the scheduler reads the clock once per tick
        return clock_now[0]

    # Wait on ticks, not on time: a busy machine makes ticks slower, never fewer.
    task = asyncio.create_task(run_scheduler(settings, engine, stop, clock))
    await until(lambda: ticks[0] >= 4)
    assert outbox(engine, "summary") == []
    clock_now[0] = at(2026, 11, 23, 8, 0)
    await until(lambda: bool(outbox(engine, "summary")))
    seen = ticks[0]
    await until(lambda: ticks[0] >= seen + 4)  # several more ticks: still one
    stop.set()
    await asyncio.wait_for(task, 60)
    assert len(outbox(engine, "summary")) == 1


async def test_a_failed_tick_is_retried_within_seconds_not_a_whole_interval(
    engine: Engine, make_settings: Any
) -> None:
    """A passing outage (a full disk, a database restart) must not leave the status red for a
    whole interval: the tick is retried after 1 s, 2 s ... (worker_error_backoff_max_s), and the
    problem clears at the first good tick. Before, the retry waited the full interval (here an
    hour; a full-disk test waited past its bound for the default minute)."""
    from avgdesk.models.errors import RetryableError

    settings = Cfg(make_settings(worker_id="w1"), scheduler_interval_s=3600.0)
    stop = asyncio.Event()
    reports: list[str | None] = []

    def clock() -> datetime:
        if len(reports) < 2:
            raise RetryableError("database or disk is full")
        return at(2026, 11, 24, 3, 0)

    task = asyncio.create_task(run_scheduler(settings, engine, stop, clock, report=reports.append))
    await until(lambda: None in reports, timeout_s=30)
    stop.set()
    await asyncio.wait_for(task, 60)
    assert reports[:2] == ["RetryableError: database or disk is full"] * 2 and reports[2] is None


# ---------------------------------------------------------------------------
# Daily reminders
# ---------------------------------------------------------------------------


async def test_reminders_to_assignee_or_team_never_twice_a_day(engine: Engine, settings: Cfg) -> None:
    ids = seed_cases(engine)
    tuesday = at(2026, 11, 24, 8, 30)
    assert await scheduler_tick(settings, engine, at(2026, 11, 24, 8, 29)) == []
    done = await scheduler_tick(settings, engine, tuesday)
    assert sorted(done) == [
        "reminder 2026-11-24 to anne@nhmbsoftware.nl: AVG-2026-0104",
        "reminder 2026-11-24 to bert@nhmbsoftware.nl: AVG-2026-0105",
        f"reminder 2026-11-24 to {TEAM}: AVG-2026-0106, AVG-2026-0107, AVG-2026-0108",
    ]
    items = outbox(engine, "reminder")
    assert len(items) == 3
    by_to = {tuple(i.recipients): i for i in items}
    team = parse(by_to[(TEAM,)])
    assert (
        team["Subject"] == "Herinnering privacyzaken: 1 over de termijn, 2 binnenkort af (24 november 2026)"
    )
    assert team["Auto-Submitted"] == "auto-generated" and team[LOOP_HEADER] == "avgdesk"
    text = text_of(team)
    assert "  AVG-2026-0106  termijn maandag 23 november 2026, 1 dag over de termijn" in text
    assert "  AVG-2026-0107  termijn maandag 30 november 2026, nog 4 werkdagen (zoe)" in text
    assert "  AVG-2026-0108  termijn dinsdag 1 december 2026, nog 5 werkdagen" in text
    assert "https://avgdesk.example.nl/cases/AVG-2026-0108" in text
    anne = parse(by_to[("anne@nhmbsoftware.nl",)])
    assert "Voor anne: de volgende zaken" in text_of(anne)
    assert by_to[("anne@nhmbsoftware.nl",)].case_id == ids["AVG-2026-0104"]

    with session_scope(engine) as s:
        sent = sorted(s.exec(select(ReminderSent.case_id).where(ReminderSent.day == date(2026, 11, 24))))
    assert sent == sorted(
        ids[r] for r in ("AVG-2026-0104", "AVG-2026-0105", "AVG-2026-0106", "AVG-2026-0107", "AVG-2026-0108")
    )

    # Later the same day: nothing. Even with the day's claim removed (a manual rerun).
    assert await scheduler_tick(settings, engine, at(2026, 11, 24, 15, 0)) == []
    with session_scope(engine) as s:
        s.execute(delete(ScheduledRun).where(col(ScheduledRun.job) == "reminders"))
        s.commit()
    assert await scheduler_tick(settings, engine, at(2026, 11, 24, 15, 1)) == []
    assert len(outbox(engine, "reminder")) == 3

    # Weekends get none; the next working day gets them again.
    assert await scheduler_tick(settings, engine, at(2026, 11, 28, 9, 0)) == []
    wednesday = await scheduler_tick(settings, engine, at(2026, 11, 25, 8, 30))
    # 0109 (due Wednesday 2 December) is now 5 working days away: at risk too.
    assert "reminder 2026-11-25 to anne@nhmbsoftware.nl: AVG-2026-0104, AVG-2026-0109" in wednesday
    assert len(wednesday) == 3
    with session_scope(engine) as s:
        assert len(list(s.exec(select(ReminderSent).where(ReminderSent.day == date(2026, 11, 25))))) == 6


async def test_a_long_reminder_lists_the_first_cases_with_the_total_and_the_queue(
    engine: Engine, settings: Cfg
) -> None:
    ids = seed_cases(engine)
    done = await scheduler_tick(Cfg(settings, summary_list_rows=1), engine, at(2026, 11, 24, 8, 30))
    assert f"reminder 2026-11-24 to {TEAM}: AVG-2026-0106, AVG-2026-0107, AVG-2026-0108" in done
    team = parse({tuple(i.recipients): i for i in outbox(engine, "reminder")}[(TEAM,)])
    assert team["Subject"].startswith("Herinnering privacyzaken: 1 over de termijn, 2 binnenkort af")
    text = text_of(team)
    assert "BINNENKORT AF (2)" in text and "AVG-2026-0107" in text and "AVG-2026-0108" not in text
    assert "... en nog 1: https://avgdesk.example.nl/cases?due=7" in text
    assert "en nog" not in text.split("BINNENKORT AF")[0]  # the one overdue case fits
    html = next(p for p in team.walk() if p.get_content_type() == "text/html").get_content()
    assert 'href="https://avgdesk.example.nl/cases?due=7"' in html and "En nog 1 in de werkvoorraad" in html
    # Every case of the mail counts as reminded today, listed or not.
    with session_scope(engine) as s:
        sent = set(s.exec(select(ReminderSent.case_id).where(ReminderSent.day == date(2026, 11, 24))))
    assert ids["AVG-2026-0108"] in sent


async def test_reminders_off(engine: Engine, settings: Cfg) -> None:
    seed_cases(engine)
    assert await scheduler_tick(Cfg(settings, reminder_time=None), engine, at(2026, 11, 24, 9, 0)) == []


async def test_reminders_without_any_recipient_are_not_marked(engine: Engine, make_settings: Any) -> None:
    seed_cases(engine)
    done = await scheduler_tick(make_settings(), engine, at(2026, 11, 24, 9, 0))
    # Only the cases with an assignee address are reminded; the others stay unmarked.
    assert done == ["reminder 2026-11-24 to bert@nhmbsoftware.nl: AVG-2026-0105"]
    with session_scope(engine) as s:
        assert len(list(s.exec(select(ReminderSent)))) == 1


# ---------------------------------------------------------------------------
# Delivery through the outbox (the recording mailer of tests/fakes.py; the same pass
# against a real aiosmtpd is tests/integration/test_scheduler_smtp.py)
# ---------------------------------------------------------------------------


async def test_summary_and_reminders_go_through_the_outbox(engine: Engine, settings: Cfg) -> None:
    seed_cases(engine)
    claim_history(engine, "2026-W47")
    assert await scheduler_tick(settings, engine, at(2026, 11, 23, 8, 0)) == ["summary 2026-W48"]
    mailer = RecordingMailer()
    result = await drain(engine, mailer, "test-worker")
    assert result.sent == 1
    (sent,) = mailer.sent
    assert (sent.sender, sent.recipients) == ("avgdesk@nhmbsoftware.nl", [TEAM])
    msg = email.message_from_bytes(sent.raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    assert msg["Subject"] == "Weekoverzicht privacyzaken week 48: 7 open, 2 over de termijn"
    assert msg["Auto-Submitted"] == "auto-generated"
    types = [p.get_content_type() for p in msg.walk()]
    assert types == ["multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]
    html = msg.get_body(("html",))
    png = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert html is not None and f"cid:{png['Content-ID'].strip('<>')}" in html.get_content()
    assert png.get_content().startswith(b"\x89PNG")
    assert "OPENSTAAND: 7 zaken" in text_of(msg)

    # Reminders at 08:30 go the same way.
    assert len(await scheduler_tick(settings, engine, at(2026, 11, 23, 8, 30))) == 3
    assert (await drain(engine, mailer, "test-worker")).sent == 3
    assert len(mailer.sent) == 4
    assert outbox(engine, "summary")[0].sent_at is not None
    assert timedelta(0) <= datetime.now(TZ) - outbox(engine, "summary")[0].created_at < timedelta(minutes=5)


async def test_a_case_whose_answers_were_all_sent_is_never_reminded(engine: Engine, settings: Cfg) -> None:
    ids = seed_cases(engine)
    with session_scope(engine) as s:  # 0104 (anne, overdue) and 0107 (at risk) were answered
        for ref in ("AVG-2026-0104", "AVG-2026-0107"):
            case = s.get(Case, ids[ref])
            assert case is not None
            case.answers_sent_at = at(2026, 11, 23)
            s.add(case)
        s.commit()
    done = await scheduler_tick(settings, engine, at(2026, 11, 24, 8, 30))
    assert sorted(done) == [
        "reminder 2026-11-24 to bert@nhmbsoftware.nl: AVG-2026-0105",
        f"reminder 2026-11-24 to {TEAM}: AVG-2026-0106, AVG-2026-0108",
    ]
