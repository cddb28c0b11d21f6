"""Case lifecycle against real databases (SQLite and PostgreSQL); threading is in intake/test_linking.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.errors import (
    AlreadyExtended,
    AlreadyPaused,
    CaseNotOpen,
    ExtensionNotAllowed,
    InvalidLabels,
    NotFoundError,
    NotPaused,
    ReasonRequired,
    UnfoundedNeedsStaff,
    UnknownChoice,
)
from avgdesk.models.tables import (
    AuditEvent,
    Case,
    CaseRight,
    CaseState,
    Draft,
    DraftState,
    LabelCorrection,
    PauseReason,
    RightStatus,
)
from avgdesk.triage.cases import actions, lifecycle, queries
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # Thu 5 Mar 2026 → legal deadline Tue 7 Apr 2026
WHY = "gegevens in vijf systemen die wij moeten doorzoeken"  # issue 13: ground + explanation


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
    # receipt + 30 days (Sat 4 April), rolled back past Goede Vrijdag to Thu 2 April (issue 14).
    assert case.internal_target == date(2026, 4, 2)
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
    ref = only_case(engine).reference
    with pytest.raises(ReasonRequired, match="reasons") as refused:
        actions.extend(engine, settings, ref, by="anna", reason=" ", now=RECEIVED + timedelta(days=3))
    assert "reden" in refused.value.staff_message
    late = datetime(2026, 4, 8, 9, tzinfo=UTC)
    with pytest.raises(ExtensionNotAllowed, match="passed") as refused:
        actions.extend(engine, settings, ref, by="anna", reason=WHY, ground="spread", now=late)
    assert "verstreken" in refused.value.staff_message  # Dutch for staff, English in the log text
    result = actions.extend(
        engine, settings, ref, by="anna", reason=WHY, ground="spread", now=RECEIVED + timedelta(days=10)
    )
    assert result.notice_by == date(2026, 4, 7) and result.draft_id is not None
    case = only_case(engine)
    assert case.extended_deadline == date(2026, 6, 5)
    # Until the notice is sent, the original deadline applies (the requester was not told).
    assert case.due_date == date(2026, 4, 7) and result.extension_pending
    assert case.legal_deadline == date(2026, 4, 7)  # the original stays visible
    with pytest.raises(AlreadyExtended) as again:
        actions.extend(engine, settings, ref, by="anna", reason="nog meer", now=RECEIVED + timedelta(days=11))
    assert "al verlengd" in again.value.staff_message


def test_pause_and_resume_adjust_the_due_date_and_a_customer_reply_resumes(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    ref = only_case(engine).reference
    with pytest.raises(UnknownChoice):
        actions.pause(engine, settings, ref, by="anna", reason="lunch")
    note = "het adres wijkt af van het klantaccount"  # issue 13: a pause needs a written reason
    asked = actions.pause(
        engine, settings, ref, by="anna", reason=PauseReason.IDENTITY, note=note, now=RECEIVED
    )
    with pytest.raises(AlreadyPaused):
        actions.pause(engine, settings, ref, by="anna", reason="identity", note=note)
    # The clock rests from the moment the outbox sent the request (issue 13), here day 1.
    with Session(engine) as s:
        request = s.get(Draft, asked.draft_id)
        assert request is not None
        request.state, request.updated_at = DraftState.SENT, RECEIVED + timedelta(days=1)
        lifecycle.letters_sent(s, settings)
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
        actions_seen = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert "case.paused" in actions_seen and "case.resumed" in actions_seen
    with pytest.raises(NotPaused):
        actions.resume(engine, settings, ref, by="anna")


def test_close_rules_and_unfounded_needs_justification(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    ref = only_case(engine).reference
    with pytest.raises(ReasonRequired, match="justification"):
        actions.close(engine, ref, by="anna", outcome="unfounded")
    with pytest.raises(UnfoundedNeedsStaff, match="staff member"):
        actions.close(engine, ref, by="system:triage", outcome="unfounded", justification="x")
    with pytest.raises(UnknownChoice, match="unknown outcome"):
        actions.close(engine, ref, by="anna", outcome="gone")
    assert only_case(engine).state is CaseState.NEW  # every refusal left the case as it was
    with Session(engine) as s:  # issue 13: the refusal with remedies went out first
        s.add(
            Draft(
                case_id=only_case(engine).id,
                kind="refusal",
                state=DraftState.SENT,
                subject="x",
                body_text="x",
                to_addr="k@example.nl",
                message_id="refusal-1@nhmbsoftware.nl",
                author="anna",
            )
        )
        s.commit()
    actions.close(
        engine, ref, by="anna", outcome="unfounded", justification="Tiende identiek verzoek deze maand"
    )
    with pytest.raises(CaseNotOpen, match="already"):
        actions.close(engine, ref, by="anna", outcome="answered")


def test_relabel_is_stored_for_training_and_updates_rights(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    ref = only_case(engine).reference
    with pytest.raises(InvalidLabels, match="stands alone") as refused:
        actions.relabel(engine, settings, ref, ["question", "access"], by="anna")
    assert "staat op zichzelf" in refused.value.staff_message
    result = actions.relabel(engine, settings, ref, ["erasure", "complaint"], by="anna")
    assert result.labels == ("erasure", "complaint")
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
        assert [c.reference for c in queries.list_cases(s)] == ["AVG-2026-0001", "AVG-2026-0002"]
        assert [c.reference for c in queries.list_cases(s, right="erasure")] == ["AVG-2026-0002"]
        assert [c.reference for c in queries.list_cases(s, query="b@example")] == ["AVG-2026-0002"]
        assert queries.list_cases(s, due_before=date(2026, 4, 7))[0].reference == "AVG-2026-0001"


def test_new_case_deadlines_per_receipt_day_equal_the_full_computation(make_settings) -> None:
    """Issue 16: a new case's dates are computed once per receipt day (the time of day
    reaches only the explanation). Against refresh_due_date, the reference, for every day of
    two years at times around midnight and the DST changes in UTC and Amsterdam terms, for a
    request, a complaint, both, and neither."""
    from avgdesk.triage.cases.lifecycle import new_case_deadlines, refresh_due_date

    settings = make_settings()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = [(["access"], False), ([], True), (["erasure"], True), ([], False)]
    for day in range(730):
        for minutes in (21 * 60 + 59, 22 * 60 + 1, 22 * 60 + 59, 23 * 60 + 1):
            at = start + timedelta(days=day, minutes=minutes)
            for rights, complaint in kinds:
                fast = Case(reference="AVG-2026-0001", rights=rights, is_complaint=complaint, received_at=at)
                full = Case(reference="AVG-2026-0001", rights=rights, is_complaint=complaint, received_at=at)
                new_case_deadlines(fast, settings)
                refresh_due_date(None, full, settings, now=at, fresh=True)
                got = (fast.legal_deadline, fast.internal_target, fast.due_date)
                assert got == (full.legal_deadline, full.internal_target, full.due_date), (at, rights)
