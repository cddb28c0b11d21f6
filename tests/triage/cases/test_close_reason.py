"""Closing with outcome "gesloten" (no answer) needs a written reason, kept on the case and
shown in the timeline (browser walk, defect 2) — SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, col, select

from avgdesk.models.errors import ReasonRequired
from avgdesk.models.tables import AuditEvent, Case, CaseState
from avgdesk.triage.cases import actions, lifecycle, timeline
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def test_closing_as_gesloten_needs_a_reason_that_the_timeline_shows(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    store_local_message(engine, mail(1, body="#access"), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        ref = s.exec(select(Case)).one().reference
    for empty in (None, "", "   "):
        with pytest.raises(ReasonRequired) as refused:
            actions.close(engine, ref, by="anna", outcome="closed", justification=empty)
        assert "vraagt een reden" in refused.value.staff_message
    with Session(engine) as s:
        assert lifecycle.find_case(s, ref).state is CaseState.NEW  # the refusal changed nothing
    actions.close(engine, ref, by="anna", outcome="closed", justification=" Dubbel met AVG-2026-0002 ")
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        assert case.state is CaseState.CLOSED and case.justification == "Dubbel met AVG-2026-0002"
        events = list(
            s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.id)))
        )
    closed = [e for e in events if e.action == "case.closed"]
    assert closed[0].detail["justification"] == "Dubbel met AVG-2026-0002"
    texts = [entry.text for entry in timeline.timeline(events)]
    assert "Zaak gesloten: status gewijzigd van nieuw naar gesloten. Reden: Dubbel met AVG-2026-0002" in texts
