"""The weekly summary: every number on a seeded database, the Dutch text and HTML, the
inline chart, the message headers, and ``avgdesk summary --preview``.

The clock is fixed at Monday 23 November 2026 08:00 in Amsterdam (ISO week 48): last
week is week 47 (16-22 November), the last 4 weeks are 26 October - 22 November, the
chart covers weeks 40-47.
"""

from __future__ import annotations

import email
import email.policy
import struct
import zlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from avgdesk.mailbox.automatic import LOOP_HEADER
from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Case, CasePause, CaseState, Draft, DraftState, PauseReason
from avgdesk.triage.cli.summary import summary_command
from avgdesk.triage.reports.summary import (
    ScheduleConfig,
    Share,
    WeeklySummary,
    bar_chart_png,
    build_summary,
    build_summary_message,
    iso_week,
)

TZ = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
BASE = "https://avgdesk.example.nl"


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


class Cfg:
    """Settings plus the scheduling settings that Settings does not declare yet."""

    def __init__(self, base: Any, **extra: Any) -> None:
        self._base = base
        self.__dict__.update(extra)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def seed(engine: Engine) -> dict[str, int]:
    """Cases in every state; see the comments for what each one is there to prove."""
    ids: dict[str, int] = {}
    with session_scope(engine) as s:

        def case(ref: str, state: CaseState, rights: list[str], received: datetime, **kw: Any) -> Case:
            c = Case(reference=ref, state=state, rights=rights, received_at=received, **kw)
            s.add(c)
            s.flush()
            assert c.id is not None
            ids[ref] = c.id
            return c

        # --- open ---------------------------------------------------------------------------
        # 23:30 UTC on 15 Nov is 00:30 on 16 Nov in Amsterdam: new LAST week, not in W46's backlog.
        case(
            "AVG-2026-0101",
            CaseState.NEW,
            ["access"],
            datetime.fromisoformat("2026-11-15T23:30:00+00:00"),
            due_date=date(2026, 12, 16),
            assignee="anne",
        )
        a2 = case(
            "AVG-2026-0102",
            CaseState.AWAITING_IDENTITY,
            ["erasure"],
            at(2026, 11, 17),
            due_date=date(2026, 12, 30),
        )
        a3 = case(
            "AVG-2026-0103",
            CaseState.AWAITING_CLARIFICATION,
            ["access", "portability"],
            at(2026, 11, 18),
            due_date=date(2026, 12, 28),
        )
        a4 = case(
            "AVG-2026-0104",
            CaseState.IN_PROGRESS,
            ["objection"],
            at(2026, 10, 20),
            due_date=date(2026, 11, 20),
            assignee="anne",
        )  # overdue 3 days
        case(
            "AVG-2026-0105",
            CaseState.IN_PROGRESS,
            [],
            at(2026, 9, 10),
            is_complaint=True,
            due_date=date(2026, 11, 10),
            assignee="bert@nhmbsoftware.nl",
        )  # overdue 13, oldest
        a6 = case(
            "AVG-2026-0106",
            CaseState.AWAITING_APPROVAL,
            ["rectification"],
            at(2026, 10, 22),
            due_date=date(2026, 11, 23),
            assignee="<b>Chris</b>",
        )  # due today
        a7 = case(
            "AVG-2026-0107",
            CaseState.IN_PROGRESS,
            ["restriction"],
            at(2026, 10, 29),
            due_date=date(2026, 11, 30),
        )  # due in exactly 7 days
        a8 = case(
            "AVG-2026-0108", CaseState.IN_PROGRESS, ["access"], at(2026, 10, 31), due_date=date(2026, 12, 1)
        )  # 8 days: not "within 7"
        case("AVG-2026-0109", CaseState.NEW, ["access"], at(2026, 11, 23, 7, 0), due_date=date(2026, 12, 23))
        # --- finished ------------------------------------------------------------------------
        c1 = case(
            "AVG-2026-0201",
            CaseState.CLOSED,
            ["access"],
            at(2026, 11, 2),
            due_date=date(2026, 12, 2),
            closed_at=at(2026, 11, 17),
            outcome="granted",
        )
        # Closed at 23:30 Amsterdam on Sunday 22 Nov (22:30 UTC): last week, 10 days late.
        case(
            "AVG-2026-0202",
            CaseState.ANSWERED,
            ["erasure"],
            at(2026, 10, 12),
            due_date=date(2026, 11, 12),
            closed_at=at(2026, 11, 22, 23, 30),
        )
        case(
            "AVG-2026-0203",
            CaseState.WITHDRAWN,
            ["access"],
            at(2026, 11, 16),
            due_date=date(2026, 12, 16),
            closed_at=at(2026, 11, 19),
        )
        case(
            "AVG-2026-0204",
            CaseState.CLOSED,
            ["portability"],
            at(2026, 10, 5),
            due_date=date(2026, 11, 5),
            closed_at=at(2026, 11, 4),
        )
        case(
            "AVG-2026-0205",
            CaseState.UNFOUNDED,
            ["access"],
            at(2026, 10, 27),
            due_date=date(2026, 11, 27),
            closed_at=at(2026, 11, 2),
            justification="herhaald verzoek",
        )
        case(
            "AVG-2026-0206",
            CaseState.CLOSED,
            ["access"],
            at(2026, 8, 3),
            due_date=date(2026, 9, 3),
            closed_at=at(2026, 10, 1),
        )
        case(
            "AVG-2026-0207",
            CaseState.CLOSED,
            ["objection"],
            at(2026, 11, 1),
            due_date=date(2026, 12, 1),
            closed_at=at(2026, 11, 23, 7, 0),
        )  # this week

        # --- pauses: two open (waiting on the customer), one resumed ------------------------------
        s.add(
            CasePause(
                case_id=a2.id, reason=PauseReason.IDENTITY, requested_at=at(2026, 11, 18), paused_by="anne"
            )
        )
        s.add(
            CasePause(
                case_id=a3.id,
                reason=PauseReason.CLARIFICATION,
                requested_at=at(2026, 11, 19),
                paused_by="anne",
            )
        )
        s.add(
            CasePause(
                case_id=a4.id,
                reason=PauseReason.IDENTITY,
                requested_at=at(2026, 10, 21),
                resumed_at=at(2026, 10, 23),
                paused_by="anne",
            )
        )

        # --- drafts: awaiting approval = state awaiting_approval or a draft not yet approved ------
        def draft(case_id: int | None, state: DraftState, n: int) -> None:
            assert case_id is not None
            s.add(
                Draft(
                    case_id=case_id,
                    kind="answer",
                    state=state,
                    subject="Uw verzoek",
                    body_text="...",
                    to_addr="klant@example.nl",
                    message_id=f"d{n}@nhmbsoftware.nl",
                    author="anne",
                )
            )

        draft(a6.id, DraftState.DRAFT, 1)
        draft(a7.id, DraftState.DRAFT, 2)
        draft(a7.id, DraftState.DRAFT, 3)
        draft(a8.id, DraftState.APPROVED, 4)  # approved: the outbox owns it, not waiting
        draft(c1.id, DraftState.DRAFT, 5)  # a closed case is not in the backlog
        s.commit()
    return ids


@pytest.fixture
def seeded(engine: Engine) -> Iterator[Engine]:
    seed(engine)
    yield engine


@pytest.fixture
def config() -> ScheduleConfig:
    return ScheduleConfig(
        tz=TZ,
        summary_recipients=("privacyteam@nhmbsoftware.nl",),
        web_base_url=BASE,
        mail_from="avgdesk@nhmbsoftware.nl",
    )


@pytest.fixture
def summary(seeded: Engine, config: ScheduleConfig) -> WeeklySummary:
    with session_scope(seeded) as s:
        return build_summary(s, NOW, config)


def refs(lines: Any) -> list[tuple[str, int | None]]:
    return [(line.reference, line.days) for line in lines]


def test_periods(summary: WeeklySummary) -> None:
    assert summary.week == "2026-W48"
    assert summary.last_week == "2026-W47"
    assert (summary.last_week_start, summary.last_week_end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert summary.four_weeks_start == date(2026, 10, 26)
    assert summary.today == date(2026, 11, 23)


def test_open_by_right_and_state(summary: WeeklySummary) -> None:
    assert summary.open_total == 9
    assert [(c.key, c.label, c.count) for c in summary.by_right] == [
        ("access", "inzage", 4),  # 0101, 0103, 0108, 0109
        ("rectification", "rectificatie", 1),
        ("erasure", "wissen", 1),
        ("restriction", "beperking", 1),
        ("portability", "overdraagbaarheid", 1),
        ("objection", "bezwaar", 1),
        ("complaint", "klacht", 1),
    ]
    assert [(c.key, c.count) for c in summary.by_state] == [
        ("new", 2),
        ("awaiting_identity", 1),
        ("awaiting_clarification", 1),
        ("in_progress", 4),
        ("awaiting_approval", 1),
    ]


def test_deadline_lists(summary: WeeklySummary) -> None:
    assert refs(summary.overdue) == [("AVG-2026-0105", 13), ("AVG-2026-0104", 3)]
    assert refs(summary.due_soon) == [("AVG-2026-0106", 0), ("AVG-2026-0107", 7)]
    assert summary.overdue[0].url == f"{BASE}/cases/AVG-2026-0105"
    assert summary.overdue[0].assignee == "bert@nhmbsoftware.nl"


def test_awaiting_approval_and_customer(summary: WeeklySummary) -> None:
    assert [(c.reference, c.detail) for c in summary.awaiting_approval] == [
        ("AVG-2026-0106", "1 concept"),
        ("AVG-2026-0107", "2 concepten"),
    ]
    assert refs(summary.waiting_on_customer) == [("AVG-2026-0102", 5), ("AVG-2026-0103", 4)]
    assert summary.waiting_on_customer[0].detail.startswith("identiteit, gevraagd op woensdag 18 november")
    assert summary.waiting_on_customer[1].detail.startswith("verduidelijking")


def test_oldest_open(summary: WeeklySummary) -> None:
    assert summary.oldest_open is not None
    assert (summary.oldest_open.reference, summary.oldest_open.days) == ("AVG-2026-0105", 74)


def test_last_week_and_four_weeks(summary: WeeklySummary) -> None:
    assert summary.new_last_week == 4  # 0101 (00:30 local on the 16th), 0102, 0103, 0203
    assert summary.closed_last_week == 3  # 0201, 0202 (23:30 local on Sunday), 0203 (withdrawn)
    # Withdrawn cases owe no answer: last week 0201 on time, 0202 late.
    assert summary.on_time_last_week == Share(1, 2)
    assert summary.on_time_last_week.percent == 50
    # Four weeks: 0201 on time, 0202 late, 0204 on time, 0205 (unfounded) on time.
    assert summary.on_time_4_weeks == Share(3, 4)
    assert summary.on_time_4_weeks.percent == 75
    # Handling days 15 (0201), 41 (0202), 30 (0204), 6 (0205): median 22.5.
    assert summary.median_handling_days == 22.5
    assert summary.median_text == "22,5 dagen"


def test_backlog_over_eight_weeks(summary: WeeklySummary) -> None:
    assert [(p.week, p.open) for p in summary.backlog] == [
        ("2026-W40", 1),  # 0105 (0206 closed on 1 Oct)
        ("2026-W41", 2),  # + 0204
        ("2026-W42", 3),  # + 0202
        ("2026-W43", 5),  # + 0104, 0106
        ("2026-W44", 9),  # + 0205 (closed on Monday 2 Nov, after the boundary), 0107, 0108, 0207
        ("2026-W45", 8),  # - 0205, - 0204, + 0201
        ("2026-W46", 8),  # 0101 arrived 30 minutes after the boundary, local time
        ("2026-W47", 9),  # + 0101, 0102, 0103; - 0201, 0202; 0207 closed this week
    ]
    assert summary.backlog[-1].end == date(2026, 11, 22)


def test_share_rounding_and_empty() -> None:
    assert Share(2, 3).percent == 67
    assert Share(1, 8).percent == 13  # 12.5 rounds half up
    assert Share(0, 0).percent is None
    assert Share(0, 0).text == "geen zaken beantwoord"


def test_empty_database(engine: Engine, config: ScheduleConfig) -> None:
    with session_scope(engine) as s:
        empty = build_summary(s, NOW, config)
    assert empty.open_total == 0
    assert empty.oldest_open is None
    assert empty.median_handling_days is None
    assert [p.open for p in empty.backlog] == [0] * 8
    msg = build_summary_message(empty, config, recipients=["a@example.nl"], now=NOW)
    text = msg.get_body(("plain",))
    assert text is not None and "OPENSTAAND: 0 zaken" in text.get_content()


def _parts(msg: email.message.EmailMessage) -> dict[str, email.message.EmailMessage]:
    return {part.get_content_type(): part for part in msg.walk()}  # type: ignore[misc]


def test_message_headers_and_structure(summary: WeeklySummary, config: ScheduleConfig) -> None:
    msg = build_summary_message(summary, config, recipients=["privacyteam@nhmbsoftware.nl"], now=NOW)
    assert msg["Subject"] == "Weekoverzicht privacyzaken week 48: 9 open, 2 over de termijn"
    assert msg["From"] == "avgdesk@nhmbsoftware.nl"
    assert msg["To"] == "privacyteam@nhmbsoftware.nl"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg[LOOP_HEADER] == "avgdesk"
    assert msg["Message-ID"].endswith("@nhmbsoftware.nl>")
    assert msg["Date"] == "Mon, 23 Nov 2026 08:00:00 +0100"
    assert msg["Precedence"] is None
    # Parse it back from bytes, as a mail client would.
    parsed = email.message_from_bytes(bytes(msg), policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    parts = _parts(parsed)  # type: ignore[arg-type]
    assert set(parts) == {
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    }
    png = parts["image/png"]
    cid = png["Content-ID"].strip("<>")
    html = parts["text/html"].get_content()
    assert f'src="cid:{cid}"' in html
    assert png.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert png.get_content_disposition() == "inline"


def test_text_part(summary: WeeklySummary, config: ScheduleConfig) -> None:
    msg = build_summary_message(summary, config, recipients=["t@nhmbsoftware.nl"], now=NOW)
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    for expected in (
        "Weekoverzicht privacyzaken week 48 — maandag 23 november 2026, 08:00",
        "OPENSTAAND: 9 zaken",
        "  inzage                        4",
        "  in behandeling                4",
        "OVER DE TERMIJN (2)",
        "  AVG-2026-0105  termijn dinsdag 10 november 2026, 13 dagen over de termijn (bert@nhmbsoftware.nl)",
        f"    {BASE}/cases/AVG-2026-0105",
        "  AVG-2026-0106  termijn maandag 23 november 2026, vandaag (<b>Chris</b>)",
        "  AVG-2026-0107  termijn maandag 30 november 2026, nog 7 dagen",
        "WACHT OP GOEDKEURING (2)",
        "  AVG-2026-0107  2 concepten, termijn maandag 30 november 2026",
        "WACHT OP DE KLANT (2)",
        "  AVG-2026-0102  identiteit, gevraagd op woensdag 18 november 2026 (5 dagen geleden)",
        "  AVG-2026-0105  ontvangen donderdag 10 september 2026, 74 dagen open",
        "VORIGE WEEK (week 47: 16 november 2026 t/m 22 november 2026)",
        "  Nieuwe zaken:               4",
        "  Afgehandelde zaken:         3",
        "  Op tijd beantwoord:         1 van 2 (50%)",
        "  Op tijd beantwoord:         3 van 4 (75%)",
        "  Mediane doorlooptijd:       22,5 dagen (ontvangst tot afhandeling)",
        "  week 40  ###" + " " * 27 + "    1",
        "  week 47  " + "#" * 30 + "    9",
        f"Alle zaken: {BASE}/cases",
    ):
        assert expected in text, expected
    assert "te laat" not in text


def test_html_part_escapes_and_links(summary: WeeklySummary, config: ScheduleConfig) -> None:
    msg = build_summary_message(summary, config, recipients=["t@nhmbsoftware.nl"], now=NOW)
    body = msg.get_body(("html",))
    assert body is not None
    html = body.get_content()
    assert "<b>Chris</b>" not in html
    assert "&lt;b&gt;Chris&lt;/b&gt;" in html
    assert f'<a href="{BASE}/cases/AVG-2026-0104"' in html
    assert "<style" not in html  # inline styles only: Gmail and Outlook drop or mangle <style>
    assert 'alt="Openstaande zaken aan het eind van week 40: 1, 41: 2, 42: 3, 43: 5, 44: 9, 45: 8' in html
    assert "1 van 2 (50%)" in html and "3 van 4 (75%)" in html and "22,5 dagen" in html


def test_late_marking(summary: WeeklySummary, config: ScheduleConfig) -> None:
    msg = build_summary_message(
        summary,
        config,
        recipients=["t@nhmbsoftware.nl"],
        now=NOW,
        late=True,
        scheduled_for=NOW - timedelta(days=2),
    )
    assert msg["Subject"].endswith(" (laat)")
    text = msg.get_body(("plain",))
    assert text is not None
    assert (
        "LET OP: dit overzicht komt te laat. Het stond gepland voor\nzaterdag 21 november 2026 om 08:00"
        in (text.get_content())
    )
    html = msg.get_body(("html",))
    assert html is not None and "dit overzicht komt te laat" in html.get_content()


def _png_size_and_pixels(png: bytes) -> tuple[int, int, bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data)
        if kind == b"IHDR":
            width, height = struct.unpack(">II", data[:8])
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_png_chart_is_valid() -> None:
    png = bar_chart_png([1, 0, 9], ["40", "41", "42"])
    width, height, raw = _png_size_and_pixels(png)
    assert (width, height) == (8 * 2 + 3 * (18 * 2 + 8 * 2), 50 * 2 + 2 * (5 * 2 + 3 * 2))
    assert len(raw) == height * (width + 1)
    rows = [raw[i * (width + 1) + 1 : (i + 1) * (width + 1)] for i in range(height)]
    # The tallest bar (last, drawn dark) reaches near the top of the plot; the empty one is absent.
    column = lambda x: [row[x] for row in rows]  # noqa: E731
    last_bar_x = 16 + 2 * 52 + 18
    empty_bar_x = 16 + 52 + 18
    assert column(last_bar_x).count(2) > 90
    assert 1 not in column(empty_bar_x) and 2 not in column(empty_bar_x)[:100]
    with pytest.raises(ValueError):
        bar_chart_png([1], [])


def test_iso_week_at_year_boundaries() -> None:
    assert iso_week(date(2026, 12, 31)) == "2026-W53"
    assert iso_week(date(2027, 1, 4)) == "2027-W01"
    assert iso_week(date(2021, 1, 3)) == "2020-W53"


def test_config_from_settings(make_settings: Any) -> None:
    base = make_settings()
    default = ScheduleConfig.from_settings(base)
    assert default.summary_recipients == ()
    assert (default.summary_weekday, default.summary_time.isoformat()) == (0, "08:00:00")
    assert default.reminder_time is not None and default.reminder_time.isoformat() == "08:30:00"
    assert default.mail_from == "avgdesk@nhmbsoftware.nl"
    custom = ScheduleConfig.from_settings(
        make_settings(
            summary_recipients=["a@x.nl", "b@x.nl"],
            summary_weekday="tue",
            summary_time="07:15",
            reminder_time="",
            web_base_url="https://desk.example/",
            staff_emails={"anne": "anne@x.nl"},
        )
    )
    assert custom.summary_recipients == ("a@x.nl", "b@x.nl")
    assert custom.summary_weekday == 1 and custom.summary_time.isoformat() == "07:15:00"
    assert custom.reminder_time is None
    assert custom.case_url("AVG-2026-0001") == "https://desk.example/cases/AVG-2026-0001"
    assert custom.team_recipients == ("a@x.nl", "b@x.nl")
    from avgdesk.models.errors import ConfigurationError

    # Validated once, by Settings: a bad value stops the command before any config is built.
    with pytest.raises(ConfigurationError, match="summary_time"):
        make_settings(summary_time="8 uur")
    with pytest.raises(ConfigurationError, match="summary_weekday"):
        make_settings(summary_weekday="maandag")


def test_cli_preview_writes_eml(seeded: Engine, make_settings: Any, tmp_path: Path) -> None:
    settings = Cfg(make_settings(), summary_recipients=["privacyteam@nhmbsoftware.nl"], web_base_url=BASE)
    app = typer.Typer()

    @app.callback()
    def _main(ctx: typer.Context) -> None:
        ctx.obj = settings

    app.command("summary")(summary_command)
    out = tmp_path / "summary.eml"
    result = CliRunner().invoke(app, ["summary", "--preview", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "Weekoverzicht privacyzaken week" in result.stdout
    assert "OPENSTAAND: 9 zaken" in result.stdout
    parsed = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["To"] == "privacyteam@nhmbsoftware.nl"
    assert parsed.get_content_type() == "multipart/alternative"
    assert CliRunner().invoke(app, ["summary"]).exit_code == 2
    assert CliRunner().invoke(app, ["summary", "--preview", "--send"]).exit_code == 2


def test_cli_send_queues_outside_the_weekly_claim(seeded: Engine, make_settings: Any) -> None:
    from sqlmodel import select

    from avgdesk.models.tables import OutboxItem, ScheduledRun

    app = typer.Typer()

    @app.callback()
    def _main(ctx: typer.Context) -> None:
        ctx.obj = Cfg(make_settings(), summary_recipients=["privacyteam@nhmbsoftware.nl"])

    app.command("summary")(summary_command)
    result = CliRunner().invoke(app, ["summary", "--send"])
    assert result.exit_code == 0, result.output
    assert "summary queued (outbox item" in result.stdout
    with session_scope(seeded) as s:
        items = list(s.exec(select(OutboxItem).where(OutboxItem.kind == "summary")))
        assert [i.recipients for i in items] == [["privacyteam@nhmbsoftware.nl"]]
        assert list(s.exec(select(ScheduledRun))) == []


def test_lists_are_capped_with_the_total_and_a_queue_link(seeded: Engine, config: ScheduleConfig) -> None:
    capped = ScheduleConfig(**{**config.__dict__, "summary_list_rows": 1})
    with session_scope(seeded) as s:
        summary = build_summary(s, NOW, capped)
    # The first row of each list (longest overdue, longest waiting), the count of all of them.
    assert refs(summary.overdue) == [("AVG-2026-0105", 13)]
    assert refs(summary.waiting_on_customer) == [("AVG-2026-0102", 5)]
    assert [c.reference for c in summary.awaiting_approval] == ["AVG-2026-0106"]
    assert {
        k: summary.total(k) for k in ("overdue", "due_soon", "awaiting_approval", "waiting_on_customer")
    } == {
        "overdue": 2,
        "due_soon": 2,
        "awaiting_approval": 2,
        "waiting_on_customer": 2,
    }
    msg = build_summary_message(summary, capped, recipients=["t@nhmbsoftware.nl"], now=NOW)
    assert "9 open, 2 over de termijn" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "OVER DE TERMIJN (2)" in text
    assert f"  ... en nog 1: {BASE}/cases?due=overdue\n" in text
    assert f"  ... en nog 1: {BASE}/cases?approval=1\n" in text
    assert "AVG-2026-0104  termijn" not in text  # the second overdue case is left out
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'<a href="{BASE}/cases?due=7" style="color:#1a5a96;">En nog 1 in de werkvoorraad</a>' in html


def test_uncapped_lists_have_no_queue_link(summary: WeeklySummary, config: ScheduleConfig) -> None:
    msg = build_summary_message(summary, config, recipients=["t@nhmbsoftware.nl"], now=NOW)
    assert "en nog" not in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "En nog" not in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_an_answered_open_case_is_neither_overdue_nor_due_soon(
    seeded: Engine, config: ScheduleConfig
) -> None:
    with session_scope(seeded) as s:  # every answer of 0105 (overdue) and 0106 (due today) sent
        for case in s.exec(select(Case).where(col(Case.reference).in_(["AVG-2026-0105", "AVG-2026-0106"]))):
            case.answers_sent_at = NOW - timedelta(days=1)
            s.add(case)
        s.commit()
    with session_scope(seeded) as s:
        summary = build_summary(s, NOW, config)
    assert refs(summary.overdue) == [("AVG-2026-0104", 3)] and summary.total("overdue") == 1
    assert refs(summary.due_soon) == [("AVG-2026-0107", 7)] and summary.total("due_soon") == 1
    assert summary.open_total == 9 and summary.answered_open == 2
    text = build_summary_message(summary, config, recipients=["t@nhmbsoftware.nl"], now=NOW).get_body(
        ("plain",)
    )
    assert text is not None and "waarvan beantwoord, nog sluiten: 2 (termijn gehaald)" in text.get_content()


def test_a_late_answer_is_counted_apart_not_as_deadline_met(seeded: Engine, config: ScheduleConfig) -> None:
    with session_scope(seeded) as s:  # 0105 was overdue when its last answer went out; 0106 in time
        for case in s.exec(select(Case).where(col(Case.reference).in_(["AVG-2026-0105", "AVG-2026-0106"]))):
            case.answers_sent_at = NOW - timedelta(days=1)
            assert case.due_date is not None
            case.answered_on = case.due_date + timedelta(days=1 if case.reference.endswith("5") else 0)
            s.add(case)
        s.commit()
    with session_scope(seeded) as s:
        summary = build_summary(s, NOW, config)
    assert summary.answered_open == 2 and summary.answered_late == 1
    msg = build_summary_message(summary, config, recipients=["t@nhmbsoftware.nl"], now=NOW)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "waarvan beantwoord, nog sluiten: 1 (termijn gehaald)" in text
    assert "waarvan te laat beantwoord, nog sluiten: 1 (termijn niet gehaald" in text
    assert ">te laat beantwoord</div>" in msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
