"""The dashboard: what is open, what is late, what is due soon, what waits for approval."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, col, select
from starlette.responses import Response

from avgdesk.models import Case, Draft, DraftState, utcnow
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
    today = utcnow().astimezone(ctx.settings.tz).date()
    open_cases = list(
        session.exec(
            select(Case).where(col(Case.state).in_(list(L.OPEN_STATES))).order_by(col(Case.due_date))
        )
    )
    by_right: Counter[str] = Counter()
    for c in open_cases:
        for r in c.rights:
            by_right[r] += 1
        if c.is_complaint:
            by_right["complaint"] += 1
        if not c.rights and not c.is_complaint:
            by_right["other"] += 1
    by_state: Counter[str] = Counter(c.state.value for c in open_cases)
    overdue = [c for c in open_cases if c.due_date is not None and c.due_date < today]
    week = today + timedelta(days=7)
    due_soon = [c for c in open_cases if c.due_date is not None and today <= c.due_date <= week]
    awaiting = list(
        session.exec(select(Draft).where(Draft.state == DraftState.DRAFT).order_by(col(Draft.created_at)))
    )
    failed = list(session.exec(select(Draft).where(Draft.state == DraftState.FAILED)))
    case_refs = {
        c.id: c.reference
        for c in session.exec(select(Case).where(col(Case.id).in_([d.case_id for d in awaiting + failed])))
    }
    chart = chart_svg_data(_due_buckets(open_cases, today))
    return render(
        request,
        "dashboard.html",
        {
            "today": today,
            "open_count": len(open_cases),
            "by_right": [(r, by_right[r]) for r in L.LABELS if by_right[r]],
            "by_state": [(s, by_state[s]) for s in L.OPEN_STATES if by_state[s]],
            "overdue": overdue,
            "due_soon": due_soon,
            "awaiting": awaiting,
            "failed": failed,
            "case_refs": case_refs,
            "chart": chart,
        },
    )


def _due_buckets(cases: list[Case], today: date) -> list[Bar]:
    buckets: list[tuple[str, Callable[[date], bool], str]] = [
        ("Te laat", lambda d: d < today, "late"),
        ("Vandaag", lambda d: d == today, "soon"),
        ("Binnen 7 dagen", lambda d: today < d <= today + timedelta(days=7), "soon"),
        ("8 tot 14 dagen", lambda d: today + timedelta(days=7) < d <= today + timedelta(days=14), "ok"),
        ("Later", lambda d: d > today + timedelta(days=14), "ok"),
    ]
    bars = [
        Bar(name, sum(1 for c in cases if c.due_date and test(c.due_date)), tone)
        for name, test, tone in buckets
    ]
    bars.append(Bar("Zonder termijn", sum(1 for c in cases if c.due_date is None), "none"))
    return bars
