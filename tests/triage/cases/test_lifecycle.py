"""Case lifecycle against real databases (SQLite and PostgreSQL); threading is in intake/test_linking.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models import (
    AuditEvent,
    Case,
    CaseRight,
    CaseState,
    Draft,
    InboundMessage,
    LabelCorrection,
    PauseReason,
    RightStatus,
    session_scope,
)
from avgdesk.models.errors import InvalidOperation, NotFoundError
from avgdesk.triage.cases import lifecycle
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # Thu 5 Mar 2026 → legal deadline Tue 7 Apr 2026


def process(engine: Any, settings: Any) -> None:
    Processor(engine, settings, classifier=FixedLabels()).drain()


def only_case(engine: Any) -> Case:
    with Session(engine) as s:
        return s.exec(select(Case)).one()


def test_new_request_opens_a_case_with_rights_deadline_and_acknowledgement(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1, body="#access #erasure"), received_at=RECEIVED)
    process(engine, settings)
    case = only_case(engine)
    assert case.reference == "AVG-2026-0001"
    assert case.rights == ["access", "erasure"] and not case.is_complaint
    assert case.legal_deadline == date(2026, 4, 7) and case.due_date == date(2026, 4, 7)
    assert case.internal_target == date(2026, 4, 4)  # receipt + 30 days, before the un-rolled 5 April
    with Session(engine) as s:
        rights = {r.right: r.status for r in s.exec(select(CaseRight))}
        drafts = list(s.exec(select(Draft)))
    assert rights == {"access": RightStatus.OPEN, "erasure": RightStatus.OPEN}
    assert [d.kind for d in drafts] == ["acknowledgement"] and drafts[0].automatic


def test_complaint_only_has_an_internal_target_and_no_statutory_clock(engine, make_settings) -> None:
    store_local_message(engine, mail(1, body="#complaint"), received_at=RECEIVED)
    process(engine, make_settings())
    case = only_case(engine)
    assert case.is_complaint and case.rights == []
    assert case.legal_deadline is None and case.due_date == date(2026, 4, 7)


def test_extension_inside_month_one_and_refused_after(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with session_scope(engine) as s:
        case = s.exec(select(Case)).one()
        with pytest.raises(InvalidOperation, match="reasons"):
            lifecycle.extend(
                s, case, by="anna", reason=" ", settings=settings, now=RECEIVED + timedelta(days=3)
            )
        late = datetime(2026, 4, 8, 9, tzinfo=UTC)
        with pytest.raises(InvalidOperation, match="passed"):
            lifecycle.extend(s, case, by="anna", reason="veel systemen", settings=settings, now=late)
        result = lifecycle.extend(
            s, case, by="anna", reason="veel systemen", settings=settings, now=RECEIVED + timedelta(days=10)
        )
        s.commit()
    case = only_case(engine)
    assert case.extended_deadline == case.due_date == date(2026, 6, 5)
    assert result.extension_notice_by == date(2026, 4, 7)
    assert case.legal_deadline == date(2026, 4, 7)  # the original stays visible


def test_pause_and_resume_adjust_the_due_date_and_a_customer_reply_resumes(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with session_scope(engine) as s:
        case = s.exec(select(Case)).one()
        lifecycle.pause(
            s,
            case,
            by="anna",
            reason=PauseReason.IDENTITY,
            settings=settings,
            now=RECEIVED + timedelta(days=1),
        )
        s.commit()
    assert only_case(engine).state is CaseState.AWAITING_IDENTITY
    # The customer answers ten days later, in the same thread: the clock runs again.
    store_local_message(
        engine,
        mail(
            2,
            subject="Re: Verzoek",
            body="Hierbij mijn klantnummer",
            headers="In-Reply-To: <m1@example.nl>\r\n",
        ),
        received_at=RECEIVED + timedelta(days=11),
    )
    process(engine, settings)
    case = only_case(engine)
    assert case.state is CaseState.IN_PROGRESS
    assert case.legal_deadline == date(2026, 4, 7)
    assert case.due_date == date(2026, 4, 15)  # un-rolled 5 Apr + 10 paused days (a Wednesday)
    with Session(engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert "case.paused" in actions and "case.resumed" in actions


def test_close_rules_and_unfounded_needs_justification(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with session_scope(engine) as s:
        case = s.exec(select(Case)).one()
        with pytest.raises(InvalidOperation, match="justification"):
            lifecycle.close(s, case, by="anna", outcome="unfounded")
        with pytest.raises(InvalidOperation, match="staff member"):
            lifecycle.close(s, case, by="system:triage", outcome="unfounded", justification="x")
        with pytest.raises(InvalidOperation, match="unknown outcome"):
            lifecycle.close(s, case, by="anna", outcome="gone")
        lifecycle.close(
            s, case, by="anna", outcome="unfounded", justification="Tiende identiek verzoek deze maand"
        )
        s.commit()
        with pytest.raises(InvalidOperation, match="already"):
            lifecycle.close(s, case, by="anna", outcome="answered")


def test_relabel_is_stored_for_training_and_updates_rights(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with session_scope(engine) as s:
        msg = s.exec(select(InboundMessage)).one()
        with pytest.raises(InvalidOperation, match="stands alone"):
            lifecycle.relabel(s, msg, ["question", "access"], by="anna", settings=settings)
        lifecycle.relabel(s, msg, ["erasure", "complaint"], by="anna", settings=settings)
        s.commit()
    case = only_case(engine)
    assert case.rights == ["erasure"] and case.is_complaint
    with Session(engine) as s:
        statuses = {r.right: r.status for r in s.exec(select(CaseRight))}
        corrections = list(s.exec(select(LabelCorrection)))
    assert statuses == {"access": RightStatus.NOT_APPLICABLE, "erasure": RightStatus.OPEN}
    assert corrections[0].labels == ["erasure", "complaint"] and corrections[0].corrected_by == "anna"


def test_find_and_list_cases(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1, sender="a@example.nl"), received_at=RECEIVED)
    store_local_message(
        engine, mail(2, sender="b@example.nl", body="#erasure"), received_at=RECEIVED + timedelta(days=2)
    )
    process(engine, settings)
    with Session(engine) as s:
        assert lifecycle.find_case(s, "avg-2026-0002").requester_email == "b@example.nl"
        with pytest.raises(NotFoundError):
            lifecycle.find_case(s, "AVG-2026-0099")
        assert [c.reference for c in lifecycle.list_cases(s)] == ["AVG-2026-0001", "AVG-2026-0002"]
        assert [c.reference for c in lifecycle.list_cases(s, right="erasure")] == ["AVG-2026-0002"]
        assert [c.reference for c in lifecycle.list_cases(s, query="b@example")] == ["AVG-2026-0002"]
        assert lifecycle.list_cases(s, due_before=date(2026, 4, 7))[0].reference == "AVG-2026-0001"
