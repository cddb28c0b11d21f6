"""The Monday-morning backlog summary: numbers from the database, a Dutch mail.

Everything is computed for an explicit ``now`` (tests pass a fixed clock) in the
configured time zone (Europe/Amsterdam). Definitions, so every number means one thing:

* **open** — state ``new``, ``awaiting_identity``, ``awaiting_clarification``,
  ``in_progress`` or ``awaiting_approval`` (:data:`OPEN_STATES`). ``answered`` is not
  open: the answer is out, the deadline is met.
* **finished** — ``answered``, ``closed``, ``withdrawn`` or ``unfounded``; it finished at
  ``closed_at`` (the lifecycle sets it when the case leaves the open states; when it is
  missing, ``updated_at`` stands in).
* **answered** (for "on time" and handling time) — finished in ``answered``, ``closed`` or
  ``unfounded`` (an Art. 12(5) refusal is an answer too); ``withdrawn`` owes no answer and
  is left out. On time: the local date of ``closed_at`` is on or before ``due_date``.
* **open by right** — a case with several rights counts under each; a complaint counts
  as ``klacht``; a case with neither as ``overig``. The rows can add up to more than the
  number of open cases.
* **overdue** — open, still owing an answer (``answers_sent_at`` unset), ``due_date``
  before today (a case due today is not overdue yet: Art. 3(2)(c) Reg. 1182/71 ends a
  period with the last hour of its last day).
* **due within 7 days** — open, still owing an answer, ``today <= due_date <= today + 7``.
* **answered, to close** — open with every answer sent (``answers_sent_at``): staff only
  close the case; never overdue or due soon. **Answered late** counts those of them whose
  answer went out (local day, ``answered_on``) after ``due_date``: Art. 12(3) was breached.
* **awaiting approval** — open cases in state ``awaiting_approval`` or with at least one
  draft in state ``draft`` (written, not yet approved). Each case once.
* **waiting on the customer** — open cases with a pause that has not been resumed.
* **last week** — the previous ISO week (Monday to Sunday) before ``now``; "the last 4
  weeks" are the four ISO weeks ending with last week.
* **median handling time** — calendar days from the local receipt date to the local
  finish date, over the cases answered in the last 4 weeks.
* **backlog at the end of a week** — cases received before the following Monday 00:00
  and not finished before it, for each of the last 8 ISO weeks.

The mail is ``multipart/alternative``: a text part and an HTML part (tables with inline
styles, everything escaped by Jinja2's autoescape) that carries the backlog chart as an
inline PNG (``cid:``). The PNG is written here with ``zlib`` and ``struct`` (no plotting
library: eight bars need no matplotlib, and mail clients do not show inline SVG).
"""

from __future__ import annotations

import socket
import statistics
import struct
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import jinja2
from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from avgdesk.mailbox.automatic import LOOP_HEADER
from avgdesk.models.tables import (
    Case,
    CasePause,
    CaseState,
    CaseTask,
    Draft,
    DraftState,
    PauseReason,
    TaskStatus,
)
from avgdesk.models.vocabulary import CASE_STATE_NL, LABEL_NL, MONTHS_NL
from avgdesk.triage.cases.queries import (
    awaiting_approval_clause,
    backlog_snapshot,
    open_clause,
    owes_answer_clause,
)
from avgdesk.triage.cases.tasks import open_counts as open_task_counts
from avgdesk.triage.settings import Settings

__all__ = [
    "ANSWERED_STATES",
    "FINISHED_STATES",
    "OPEN_STATES",
    "CaseLine",
    "Count",
    "ScheduleConfig",
    "Share",
    "WeekPoint",
    "WeeklySummary",
    "bar_chart_png",
    "build_summary",
    "build_summary_message",
    "iso_week",
    "render_summary",
]

OPEN_STATES: tuple[CaseState, ...] = (
    CaseState.NEW,
    CaseState.AWAITING_IDENTITY,
    CaseState.AWAITING_CLARIFICATION,
    CaseState.IN_PROGRESS,
    CaseState.AWAITING_APPROVAL,
)
FINISHED_STATES: tuple[CaseState, ...] = (
    CaseState.ANSWERED,
    CaseState.CLOSED,
    CaseState.WITHDRAWN,
    CaseState.UNFOUNDED,
)
ANSWERED_STATES: tuple[CaseState, ...] = (CaseState.ANSWERED, CaseState.CLOSED, CaseState.UNFOUNDED)

PAUSE_NL = {PauseReason.IDENTITY: "identiteit", PauseReason.CLARIFICATION: "verduidelijking"}

_NL_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_NL_MONTHS = MONTHS_NL

TEMPLATE_DIR = Path(__file__).with_name("templates") / "summary"
CHART_CID_DOMAIN = "avgdesk.invalid"


# ---------------------------------------------------------------------------
# Configuration: the one place that reads the scheduling settings
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleConfig:
    """Everything the summary, the reminders and the scheduler need from the settings.

    :meth:`from_settings` reads them from the typed ``Settings``; the field defaults here
    only serve tests that build a config by hand.
    """

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Amsterdam"))
    summary_recipients: tuple[str, ...] = ()
    summary_weekday: int = 0
    """0 = Monday ... 6 = Sunday."""
    summary_time: time = time(8, 0)
    summary_late_after: timedelta = timedelta(minutes=60)
    summary_list_rows: int = 25
    """Rows per list of the summary and the reminder; the rest is a total and a link to the queue."""
    reminder_time: time | None = time(8, 30)
    """None: no reminders."""
    reminder_recipients: tuple[str, ...] = ()
    staff_emails: Mapping[str, str] = field(default_factory=dict)
    at_risk_working_days: int = 5
    web_base_url: str = "http://localhost:8000"
    mail_from: str = "avgdesk@nhmbsoftware.nl"
    msgid_domain: str = "nhmbsoftware.nl"
    loop_header_value: str = "avgdesk"
    worker_id: str = "avgdesk"
    interval_s: float = 60.0

    @property
    def team_recipients(self) -> tuple[str, ...]:
        """Who gets reminders of cases without an assignee address."""
        return self.reminder_recipients or self.summary_recipients

    @classmethod
    def from_settings(cls, settings: Settings) -> ScheduleConfig:
        """The scheduling settings, already validated (and typed) by ``Settings``."""
        return cls(
            tz=settings.tz,
            summary_recipients=tuple(settings.summary_recipients),
            summary_weekday=settings.summary_weekday.number,
            summary_time=settings.summary_time,
            summary_late_after=timedelta(minutes=settings.summary_late_after_min),
            summary_list_rows=settings.summary_list_rows,
            reminder_time=settings.reminder_time,
            reminder_recipients=tuple(settings.reminder_recipients),
            staff_emails=dict(settings.staff_emails),
            at_risk_working_days=settings.at_risk_working_days,
            web_base_url=settings.web_base_url.rstrip("/"),
            mail_from=settings.internal_mail_from,
            msgid_domain=settings.message_id_domain,
            loop_header_value=settings.loop_header_value,
            worker_id=settings.worker_id or f"{socket.gethostname()}:{_pid()}",
            interval_s=settings.scheduler_interval_s,
        )

    def case_url(self, reference: str) -> str:
        return f"{self.web_base_url}/cases/{reference}"


def _pid() -> int:
    import os

    return os.getpid()


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


def iso_week(d: date) -> str:
    """``2026-W48``: the ISO week a date belongs to (the period key of the weekly summary)."""
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def format_date_nl(d: date, *, weekday: bool = True) -> str:
    text = f"{d.day} {_NL_MONTHS[d.month - 1]} {d.year}"
    return f"{_NL_DAYS[d.weekday()]} {text}" if weekday else text


def _local_midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)


def _local_date(value: datetime, tz: ZoneInfo) -> date:
    return value.astimezone(tz).date()


# ---------------------------------------------------------------------------
# The numbers
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class CaseLine:
    """One case in a list of the summary (or of a reminder)."""

    reference: str
    url: str
    due_date: date | None
    days: int | None
    """Days over (overdue), days left (due soon), days open (oldest), days waiting (paused)."""
    assignee: str | None = None
    detail: str = ""

    @property
    def due_text(self) -> str:
        return format_date_nl(self.due_date) if self.due_date else "geen termijn"


@dataclass(frozen=True)
class Share:
    """How many of ``total`` answered cases were answered on time."""

    on_time: int
    total: int

    @property
    def percent(self) -> int | None:
        """Rounded half up; None when nothing was answered."""
        if self.total == 0:
            return None
        return (200 * self.on_time + self.total) // (2 * self.total)

    @property
    def text(self) -> str:
        if self.percent is None:
            return "geen zaken beantwoord"
        return f"{self.on_time} van {self.total} ({self.percent}%)"


@dataclass(frozen=True)
class WeekPoint:
    week: str
    """``2026-W47``"""
    week_number: int
    end: date
    """The Sunday that ends the week."""
    open: int


@dataclass(frozen=True)
class WeeklySummary:
    generated_at: datetime
    """``now`` in the configured time zone."""
    today: date
    week: str
    """ISO week of ``now`` (``2026-W48``)."""
    last_week: str
    last_week_start: date
    last_week_end: date
    four_weeks_start: date
    open_total: int
    by_right: tuple[Count, ...]
    by_state: tuple[Count, ...]
    overdue: tuple[CaseLine, ...]
    due_soon: tuple[CaseLine, ...]
    awaiting_approval: tuple[CaseLine, ...]
    waiting_on_customer: tuple[CaseLine, ...]
    oldest_open: CaseLine | None
    new_last_week: int
    closed_last_week: int
    on_time_last_week: Share
    on_time_4_weeks: Share
    median_handling_days: float | None
    """Over the cases answered in the last 4 weeks."""
    backlog: tuple[WeekPoint, ...]
    """Open cases at the end of each of the last 8 ISO weeks, oldest first."""
    web_base_url: str
    open_tasks: tuple[CaseLine, ...] = ()
    """Open cases with open tasks in the systems (issue 17), detail "3 taken open"."""
    answered_open: int = 0
    """Open cases with every answer sent: they wait to be closed (late ones included)."""
    answered_late: int = 0
    """Of those, answered after the due date: Art. 12(3) was breached (counted apart)."""
    totals: Mapping[str, int] = field(default_factory=dict)
    """How many cases each list has in all (``overdue``, ``due_soon``, ``awaiting_approval``,
    ``open_tasks``, ``waiting_on_customer``): a list shows at most ``summary_list_rows``."""

    def total(self, name: str) -> int:
        """The number of cases of list ``name``, not only the rows shown."""
        return self.totals.get(name, len(getattr(self, name)))

    def more_url(self, name: str) -> str:
        """The queue filtered to list ``name`` (as near as the queue's filters come)."""
        return f"{self.web_base_url}{_QUEUE_LINKS.get(name, '/cases')}"

    @property
    def median_text(self) -> str:
        if self.median_handling_days is None:
            return "geen zaken beantwoord"
        value = self.median_handling_days
        number = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
        return f"{number} dag" if value == 1 else f"{number} dagen"


def _finished_at(case: Case | _Row) -> datetime:
    return case.closed_at or case.updated_at


@dataclass(frozen=True)
class _Window:
    """The dates a summary counts in, in the configured time zone."""

    tz: ZoneInfo
    local_now: datetime
    today: date
    last_week_start: date
    last_week_end: date
    four_weeks_start: date
    eight_weeks_start: date

    @classmethod
    def at(cls, now: datetime, tz: ZoneInfo) -> _Window:
        local_now = now.astimezone(tz)
        today = local_now.date()
        this_monday = today - timedelta(days=today.weekday())
        return cls(
            tz=tz,
            local_now=local_now,
            today=today,
            last_week_start=this_monday - timedelta(days=7),
            last_week_end=this_monday - timedelta(days=1),
            four_weeks_start=this_monday - timedelta(days=28),
            eight_weeks_start=this_monday - timedelta(days=56),
        )


def build_summary(
    session: Session, now: datetime, config: ScheduleConfig, *, due_soon_days: int = 7
) -> WeeklySummary:
    """All numbers of the weekly summary as of ``now`` (timezone-aware).

    Counts come from the backlog snapshot (SQL); each list holds the first
    ``config.summary_list_rows`` cases, cut in SQL, and ``totals`` says how many there are.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    w = _Window.at(now, config.tz)
    rows = config.summary_list_rows

    def line(case: Case, days: int | None, detail: str = "") -> CaseLine:
        return CaseLine(
            case.reference, config.case_url(case.reference), case.due_date, days, case.assignee, detail
        )

    # The backlog snapshot the dashboard shows too.
    snapshot = backlog_snapshot(session, today=w.today)
    overdue, due_soon = _deadline_lines(session, w.today, due_soon_days, rows, line)
    tasks, tasks_total = _task_lines(session, rows, line)
    waiting, _ = _waiting_lines(session, w, rows, line)
    cases = _window_rows(session, w)
    return WeeklySummary(
        generated_at=w.local_now,
        today=w.today,
        week=iso_week(w.today),
        last_week=iso_week(w.last_week_start),
        last_week_start=w.last_week_start,
        last_week_end=w.last_week_end,
        four_weeks_start=w.four_weeks_start,
        open_total=snapshot.open_total,
        by_right=tuple(Count(key, LABEL_NL[key], n) for key, n in snapshot.by_right.items()),
        by_state=tuple(Count(s.value, CASE_STATE_NL[s], snapshot.by_state.get(s, 0)) for s in OPEN_STATES),
        overdue=tuple(overdue),
        due_soon=tuple(due_soon),
        awaiting_approval=tuple(_approval_lines(session, rows, line)),
        waiting_on_customer=tuple(waiting),
        oldest_open=_oldest_line(session, w, line),
        backlog=tuple(_backlog_weeks(cases, w)),
        web_base_url=config.web_base_url,
        open_tasks=tuple(tasks),
        answered_open=snapshot.answered_open,
        answered_late=snapshot.answered_late,
        totals={
            "overdue": snapshot.overdue,
            # due_soon_days other than 7 is for tests; the snapshot counts seven.
            "due_soon": snapshot.due_soon if due_soon_days == 7 else len(due_soon),
            "awaiting_approval": snapshot.awaiting_approval,
            "open_tasks": tasks_total,
            "waiting_on_customer": snapshot.waiting_on_customer,
        },
        **_period_figures(cases, w),
    )


_LineMaker = Callable[[Case, "int | None", str], CaseLine]

_QUEUE_LINKS = {
    "overdue": "/cases?due=overdue",
    "due_soon": "/cases?due=7",
    "awaiting_approval": "/cases?approval=1",
}
"""The queue's filters (web/queue.py) nearest to each list; the others link the open queue."""


class _Row(NamedTuple):
    """The columns the period figures and the chart need (no ORM objects: thousands of rows)."""

    state: CaseState
    received_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    due_date: date | None


def _window_rows(session: Session, w: _Window) -> list[_Row]:
    """Open cases and those finished within the eight-week chart window."""
    stmt = sa_select(
        col(Case.state), col(Case.received_at), col(Case.closed_at), col(Case.updated_at), col(Case.due_date)
    ).where(
        or_(
            col(Case.state).in_(OPEN_STATES),
            col(Case.closed_at).is_(None),
            col(Case.closed_at) >= _local_midnight(w.eight_weeks_start, w.tz),
        )
    )
    return [_Row(*r) for r in session.execute(stmt)]


def _deadline_lines(
    session: Session, today: date, due_soon_days: int, rows: int, line: _LineMaker
) -> tuple[list[CaseLine], list[CaseLine]]:
    """The longest overdue first, then the soonest due; ``rows`` of each, cut in SQL."""
    due = col(Case.due_date)
    late = session.exec(
        select(Case)
        .where(open_clause(), owes_answer_clause(), due < today)
        .order_by(due, col(Case.reference))
        .limit(rows)
    )
    overdue = [line(c, (today - c.due_date).days, "") for c in late if c.due_date is not None]
    soon = session.exec(
        select(Case)
        .where(
            open_clause(), owes_answer_clause(), due >= today, due <= today + timedelta(days=due_soon_days)
        )
        .order_by(due, col(Case.reference))
        .limit(rows)
    )
    due_soon = [line(c, (c.due_date - today).days, "") for c in soon if c.due_date is not None]
    return overdue, due_soon


def _approval_lines(session: Session, rows: int, line: _LineMaker) -> list[CaseLine]:
    """Cases awaiting approval (queries.awaiting_approval_clause, the one definition), by reference."""
    drafts = (
        select(func.count())
        .select_from(Draft)
        .where(col(Draft.case_id) == col(Case.id), col(Draft.state) == DraftState.DRAFT)
        .scalar_subquery()
    )
    found = session.exec(
        select(Case, drafts).where(awaiting_approval_clause()).order_by(col(Case.reference)).limit(rows)
    )
    return [
        line(case, None, (f"{n} concept" if n == 1 else f"{n} concepten") if n else "geen concept")
        for case, n in found
    ]


def _task_lines(session: Session, rows: int, line: _LineMaker) -> tuple[list[CaseLine], int]:
    """Open cases with open tasks (issue 17), by reference, and how many there are."""
    task_counts = open_task_counts(session)
    open_tasks = select(col(CaseTask.case_id)).where(CaseTask.status == TaskStatus.OPEN)
    found = session.exec(
        select(Case)
        .where(open_clause(), col(Case.id).in_(open_tasks))
        .order_by(col(Case.reference))
        .limit(rows)
    )
    lines = []
    for c in found:
        n = task_counts.get(c.id or 0, 0)
        lines.append(line(c, None, f"{n} {'taak' if n == 1 else 'taken'} open"))
    return lines, len(task_counts)


def _waiting_lines(session: Session, w: _Window, rows: int, line: _LineMaker) -> tuple[list[CaseLine], int]:
    """Cases paused while waiting on the customer, longest waiting first."""
    pauses = session.exec(
        select(CasePause, Case)
        .join(Case, col(Case.id) == col(CasePause.case_id))
        .where(open_clause(), col(CasePause.resumed_at).is_(None))
        .order_by(col(CasePause.requested_at))
    )
    waiting: list[CaseLine] = []
    seen: set[int] = set()
    for pause, case in pauses:
        if pause.case_id in seen:
            continue
        seen.add(pause.case_id)
        since = _local_date(pause.requested_at, w.tz)
        detail = f"{PAUSE_NL[pause.reason]}, gevraagd op {format_date_nl(since)}"
        waiting.append(line(case, (w.today - since).days, detail))
    waiting.sort(key=lambda x: (-(x.days or 0), x.reference))
    return waiting[:rows], len(waiting)


def _oldest_line(session: Session, w: _Window, line: _LineMaker) -> CaseLine | None:
    oldest = session.exec(
        select(Case).where(open_clause()).order_by(col(Case.received_at), col(Case.reference)).limit(1)
    ).first()
    if oldest is None:
        return None
    received = _local_date(oldest.received_at, w.tz)
    return line(oldest, (w.today - received).days, f"ontvangen {format_date_nl(received)}")


def _period_figures(cases: list[_Row], w: _Window) -> dict[str, Any]:
    """New and closed last week, the on-time shares and the median handling time."""
    finished = [(c, _local_date(_finished_at(c), w.tz)) for c in cases if c.state in FINISHED_STATES]
    new_last_week = sum(
        1 for c in cases if w.last_week_start <= _local_date(c.received_at, w.tz) <= w.last_week_end
    )
    # Cases received last week and finished before the eight-week window are impossible;
    # cases received last week are all loaded (open, or finished after they were received).
    closed_last_week = sum(1 for _, d in finished if w.last_week_start <= d <= w.last_week_end)

    def share(start: date) -> Share:
        answered = [
            (c, d)
            for c, d in finished
            if c.state in ANSWERED_STATES and c.due_date is not None and start <= d <= w.last_week_end
        ]
        return Share(sum(1 for c, d in answered if c.due_date is not None and d <= c.due_date), len(answered))

    handling = [
        (d - _local_date(c.received_at, w.tz)).days
        for c, d in finished
        if c.state in ANSWERED_STATES and w.four_weeks_start <= d <= w.last_week_end
    ]
    return {
        "new_last_week": new_last_week,
        "closed_last_week": closed_last_week,
        "on_time_last_week": share(w.last_week_start),
        "on_time_4_weeks": share(w.four_weeks_start),
        "median_handling_days": float(statistics.median(handling)) if handling else None,
    }


def _backlog_weeks(cases: list[_Row], w: _Window) -> list[WeekPoint]:
    """Open cases at the end of each of the last eight weeks."""
    backlog = []
    for i in range(8):
        start = w.eight_weeks_start + timedelta(days=7 * i)
        boundary = _local_midnight(start + timedelta(days=7), w.tz)
        count = sum(
            1
            for c in cases
            if c.received_at < boundary and (c.state in OPEN_STATES or _finished_at(c) >= boundary)
        )
        backlog.append(WeekPoint(iso_week(start), start.isocalendar()[1], start + timedelta(days=6), count))
    return backlog


# ---------------------------------------------------------------------------
# The chart: a palette PNG written with zlib and struct
# ---------------------------------------------------------------------------

# 3x5 pixel digits, one string of five rows of three bits each.
_DIGITS = {
    "0": ("111", "101", "101", "101", "111"),
    "1": ("010", "110", "010", "010", "111"),
    "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"),
    "4": ("101", "101", "111", "001", "001"),
    "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"),
    "7": ("111", "001", "001", "001", "001"),
    "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
}
_PALETTE = (
    (0xFF, 0xFF, 0xFF),  # 0 background
    (0x4A, 0x7F, 0xB5),  # 1 bar
    (0x1F, 0x2D, 0x3D),  # 2 text, latest bar
    (0xC8, 0xCE, 0xD6),  # 3 axis
)


def _png(width: int, height: int, pixels: Sequence[bytearray]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette
    palette = b"".join(bytes(rgb) for rgb in _PALETTE)
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"PLTE", palette)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _draw_digits(pixels: list[bytearray], s: str, cx: int, y: int, scale: int, colour: int = 2) -> None:
    """Digits of ``s`` centred on ``cx`` from row ``y``; pixels outside the image are skipped."""
    height, width = len(pixels), len(pixels[0])
    s = "".join(ch for ch in s if ch in _DIGITS)
    x0 = cx - (len(s) * 4 * scale - scale) // 2
    for k, ch in enumerate(s):
        for r, row in enumerate(_DIGITS[ch]):
            for c, bit in enumerate(row):
                if bit != "1":
                    continue
                for dy in range(scale):
                    for dx in range(scale):
                        px, py = x0 + k * 4 * scale + c * scale + dx, y + r * scale + dy
                        if 0 <= px < width and 0 <= py < height:
                            pixels[py][px] = colour


def bar_chart_png(values: Sequence[int], labels: Sequence[str], *, scale: int = 2) -> bytes:
    """A bar chart with the value above each bar and its label (digits) below."""
    if len(values) != len(labels):
        raise ValueError("one label per value")
    bar_w, gap, plot_h = 18 * scale, 8 * scale, 50 * scale
    glyph_h = 5 * scale
    top, bottom = glyph_h + 3 * scale, glyph_h + 3 * scale
    width = gap + len(values) * (bar_w + gap)
    height = top + plot_h + bottom
    pixels = [bytearray(width) for _ in range(height)]
    peak = max([*values, 1])

    base = top + plot_h  # first row below the plot
    for x in range(width):
        pixels[base - 1][x] = 3
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        x0 = gap + i * (bar_w + gap)
        h = 0 if value <= 0 else max(1, round(value * (plot_h - 1) / peak))
        colour = 2 if i == len(values) - 1 else 1
        for y in range(base - 1 - h, base - 1):
            pixels[y][x0 : x0 + bar_w] = bytes([colour]) * bar_w
        _draw_digits(pixels, str(value), x0 + bar_w // 2, base - 1 - h - glyph_h - 2 * scale, scale)
        _draw_digits(pixels, label, x0 + bar_w // 2, base + 2 * scale, scale)
    return _png(width, height, pixels)


# ---------------------------------------------------------------------------
# Rendering and the message
# ---------------------------------------------------------------------------


@cache
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["datum"] = format_date_nl
    env.filters["dagen"] = lambda n: f"{n} dag" if n == 1 else f"{n} dagen"
    return env


def render(template: str, *, html: bool, **context: Any) -> str:
    return _environment(html).get_template(template).render(**context)


def _text_bars(points: Sequence[WeekPoint], width: int = 30) -> list[str]:
    peak = max([p.open for p in points] + [1])
    return [
        f"week {p.week_number:>2}  {'#' * round(p.open * width / peak):<{width}}  {p.open:>3}" for p in points
    ]


def summary_subject(summary: WeeklySummary, *, late: bool) -> str:
    week_no = summary.today.isocalendar()[1]
    subject = (
        f"Weekoverzicht privacyzaken week {week_no}: {summary.open_total} open, "
        f"{summary.total('overdue')} over de termijn"
    )
    return subject + " (laat)" if late else subject


def render_summary(
    summary: WeeklySummary,
    *,
    late: bool = False,
    scheduled_for: datetime | None = None,
    chart_cid: str = "chart",
) -> tuple[str, str]:
    """The text part and the HTML part (which shows the chart as ``cid:<chart_cid>``)."""
    context = {
        "s": summary,
        "late": late,
        "scheduled_for": scheduled_for.astimezone(summary.generated_at.tzinfo) if scheduled_for else None,
        "text_bars": _text_bars(summary.backlog),
        "chart_cid": chart_cid,
    }
    return render("summary.txt.j2", html=False, **context), render("summary.html.j2", html=True, **context)


def new_message(
    config: ScheduleConfig, *, subject: str, recipients: Sequence[str], now: datetime
) -> EmailMessage:
    """An internal message with the headers the outbox contract asks for."""
    msg = EmailMessage()
    msg["From"] = config.mail_from
    msg["To"] = ", ".join(recipients) if recipients else "undisclosed-recipients:;"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now.astimezone(config.tz))
    msg["Message-ID"] = make_msgid(idstring="avgdesk", domain=config.msgid_domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg[LOOP_HEADER] = config.loop_header_value
    msg["Content-Language"] = "nl"
    return msg


def build_summary_message(
    summary: WeeklySummary,
    config: ScheduleConfig,
    *,
    recipients: Sequence[str],
    now: datetime,
    late: bool = False,
    scheduled_for: datetime | None = None,
) -> EmailMessage:
    """The complete mail: text, HTML and the chart as an inline PNG."""
    msg = new_message(config, subject=summary_subject(summary, late=late), recipients=recipients, now=now)
    cid = make_msgid(idstring="chart", domain=CHART_CID_DOMAIN)
    text, html = render_summary(summary, late=late, scheduled_for=scheduled_for, chart_cid=cid[1:-1])
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = msg.get_body(("html",))
    assert html_part is not None
    png = bar_chart_png([p.open for p in summary.backlog], [str(p.week_number) for p in summary.backlog])
    html_part.add_related(png, "image", "png", cid=cid, filename="achterstand.png", disposition="inline")
    return msg
