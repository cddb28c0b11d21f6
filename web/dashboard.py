"""The dashboard: what is open, what is late, what is due soon, what waits for approval.

The numbers come from :func:`avgdesk.triage.cases.queries.backlog_snapshot`, the same
snapshot the weekly summary uses, so both count "awaiting approval" alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from avgdesk.models.tables import Case, CaseState, Draft, DraftState
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import legal, queries
from avgdesk.triage.settings import Settings
from avgdesk.web import labels as L
from avgdesk.web.deps import db, get_ctx, render


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    tone: str


def chart_svg_data(bars: list[Bar], *, width: int = 560, bar_h: int = 22, gap: int = 8) -> dict[str, object]:
    """Geometry for a horizontal bar chart drawn as inline SVG by the template
    (presentation attributes only, so the strict CSP needs no inline styles)."""
    label_w = 170
    top = max((b.value for b in bars), default=0) or 1
    rows = []
    for i, b in enumerate(bars):
        y = i * (bar_h + gap)
        w = round((width - label_w - 50) * b.value / top)
        rows.append(
            {"y": y, "w": w, "label": b.label, "value": b.value, "tone": b.tone, "text_y": y + bar_h * 0.7}
        )
    return {
        "width": width,
        "height": max(1, len(bars) * (bar_h + gap)),
        "bar_h": bar_h,
        "label_w": label_w,
        "rows": rows,
    }


router = APIRouter()


@router.get("/")
def dashboard(request: Request, session: Annotated[Session, Depends(db)]) -> Response:
    ctx = get_ctx(request)
    rows = ctx.web.dashboard_rows
    today = utcnow().astimezone(ctx.settings.tz).date()
    snap = queries.backlog_snapshot(session, today=today)
    # Only the rows the page lists are loaded; every number comes from the snapshot, and
    # each list links to the queue that shows all of it.
    urgent = queries.due_cases(session, due_by=today + timedelta(days=7), limit=rows)
    awaiting = list(
        session.exec(
            select(Draft, Case.reference)
            .join(Case, col(Case.id) == col(Draft.case_id))
            .where(Draft.state == DraftState.DRAFT, queries.draft_may_go_clause())
            .order_by(col(Draft.created_at), col(Draft.id))
            .limit(rows)
        )
    )
    return render(
        request,
        "dashboard.html",
        {
            "today": today,
            "snap": snap,
            "by_right": list(snap.by_right.items()),
            "by_state": [
                (s, snap.by_state[CaseState(s)]) for s in L.OPEN_STATES if snap.by_state.get(CaseState(s))
            ],
            "urgent": urgent,
            "urgent_total": snap.overdue + snap.due_soon,
            "awaiting": awaiting,
            "chart": chart_svg_data(_due_buckets(snap)),
            **_breaches(session, rows),  # issue 13: the Art. 33 72-hour clock
            "unmailed": _unmailed(ctx.settings),
            "now": utcnow(),
        },
    )


def _due_buckets(snap: queries.BacklogSnapshot) -> list[Bar]:
    return [
        Bar("Te laat", snap.overdue, "late"),
        Bar("Vandaag", snap.due_today, "soon"),
        Bar("Binnen 7 dagen", snap.due_within_7, "soon"),
        Bar("8 tot 14 dagen", snap.due_8_to_14, "ok"),
        Bar("Later", snap.due_later, "ok"),
        Bar("Zonder termijn", snap.no_due_date, "none"),
        Bar("Beantwoord, nog sluiten", snap.answered_open - snap.answered_late, "ok"),
        Bar("Te laat beantwoord", snap.answered_late, "late"),
    ]


def _breaches(session: Session, rows: int) -> dict[str, object]:
    """The most urgent undecided breaches and how many there are (the list stays short)."""
    return {
        "breaches": legal.open_breaches(session, limit=rows),
        "breach_total": legal.count_open_breaches(session),
    }


def _unmailed(settings: Settings) -> list[str]:
    """What the team is never mailed because nobody is set to receive it (Dutch, for the
    dashboard): the worker skips these quietly, so the people who rely on them must see it."""
    missing = []
    if not settings.summary_recipients:
        missing.append("het weekoverzicht (AVGDESK_SUMMARY_RECIPIENTS)")
    team = settings.reminder_recipients or settings.summary_recipients
    if settings.reminder_time is not None and not team:
        missing.append("herinneringen van zaken zonder eigen behandelaar-adres (AVGDESK_REMINDER_RECIPIENTS)")
    if not (settings.breach_alert_recipients or settings.summary_recipients):
        missing.append("de waarschuwing bij een mogelijk datalek (AVGDESK_BREACH_ALERT_RECIPIENTS)")
    return missing
