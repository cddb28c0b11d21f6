"""Case use cases (triage.cases.actions): each one a unit of work with its rule, its audit
event and a Dutch message for staff — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.errors import (
    AnswerNotSent,
    CaseNotClosed,
    CaseNotFound,
    CaseNotOpen,
    EmptyNote,
    NoteTooLong,
    ReasonRequired,
    RuleViolation,
    UnknownUser,
    staff_text,
)
from avgdesk.models.tables import AuditEvent, Case, CaseNote, CaseState, Draft, DraftState, User
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import actions, drafts, lifecycle
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # legal deadline Tue 7 Apr 2026


def _open(engine: Any, settings: Any, body: str = "#access") -> str:
    store_local_message(engine, mail(1, body=body), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        return s.exec(select(Case)).one().reference


def _case(engine: Any, ref: str) -> Case:
    with Session(engine) as s:
        return s.exec(select(Case).where(Case.reference == ref)).one()


def _events(engine: Any, action: str) -> list[AuditEvent]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _send(engine: Any, draft_id: int) -> None:
    """What the outbox records when a letter went out (the outbox itself is tested elsewhere)."""
    with Session(engine) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        d.state = DraftState.SENT
        s.add(d)
        s.commit()


def test_every_rule_violation_speaks_dutch_to_staff_and_english_to_the_log() -> None:
    exc = AnswerNotSent("case X: no sent answer for access")
    assert isinstance(exc, RuleViolation) and str(exc) == "case X: no sent answer for access"
    assert staff_text(exc).startswith("Sluiten als beantwoord kan pas")
    assert staff_text(ValueError("plain")) == "plain"


def test_unknown_case_is_not_found(engine, make_settings) -> None:
    with pytest.raises(CaseNotFound) as refused:
        actions.assign(engine, "AVG-1999-0001", None, by="anna")
    assert refused.value.staff_message == "Zaak AVG-1999-0001 bestaat niet."


def test_assign_needs_an_active_user_and_is_audited(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    with Session(engine) as s:
        s.add(User(username="bert", password_hash="x", role=Role.MEDEWERKER))
        s.add(User(username="oud", password_hash="x", role=Role.MEDEWERKER, active=False))
        s.commit()
    for name in ("niemand", "oud"):
        with pytest.raises(UnknownUser):
            actions.assign(engine, ref, name, by="anna")
    assert _case(engine, ref).assignee is None
    result = actions.assign(engine, ref, "bert", by="anna")
    assert result.reference == ref and _case(engine, ref).assignee == "bert"
    actions.assign(engine, ref, None, by="anna")
    assigned = _events(engine, "case.assigned")
    assert [(e.detail["before"], e.detail["after"]) for e in assigned] == [(None, "bert"), ("bert", None)]


def test_closing_as_answered_needs_a_sent_answer_for_every_right(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, body="#access #erasure")
    with pytest.raises(AnswerNotSent) as refused:
        actions.close(engine, ref, by="anna", outcome="answered")
    assert "inzage, wissen" in refused.value.staff_message
    access = drafts.create(
        engine, settings, ref, "access", by="anna", fields={"attachment_name": "export.zip"}
    )
    _send(engine, access.draft_id)
    with pytest.raises(AnswerNotSent) as refused:
        actions.close(engine, ref, by="anna", outcome="answered")
    assert "wissen" in refused.value.staff_message and "inzage" not in refused.value.staff_message
    # A refusal answers the one right left without its own letter (review of 7085f6d, 3).
    refusal = drafts.create(engine, settings, ref, "refusal", by="anna", fields={"refusal_reasons": ["x"]})
    _send(engine, refusal.draft_id)
    assert actions.close(engine, ref, by="anna", outcome="answered").state == "answered"
    closed = _events(engine, "case.closed")[-1]
    assert closed.detail["override_reason"] is None and closed.detail["unanswered"] is None


def test_closing_as_answered_without_a_sent_answer_needs_an_audited_override(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, body="#objection #complaint")
    with pytest.raises(AnswerNotSent):
        actions.close(engine, ref, by="anna", outcome="answered", override_reason="   ")
    actions.close(
        engine, ref, by="anna", outcome="answered", override_reason="Per brief op papier beantwoord"
    )
    closed = _events(engine, "case.closed")[-1]
    assert closed.actor == "anna" and closed.detail["override_reason"] == "Per brief op papier beantwoord"
    assert closed.detail["unanswered"] == ["objection", "complaint"]


def test_other_outcomes_need_no_sent_answer(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    assert actions.close(engine, ref, by="anna", outcome="withdrawn").state == "withdrawn"


def test_reopen_needs_a_closed_case_and_a_reason(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    with pytest.raises(CaseNotClosed):
        actions.reopen(engine, settings, ref, by="anna", reason="x")
    actions.close(
        engine,
        ref,
        by="anna",
        outcome="closed",
        justification="Dubbel verzoek",
        now=RECEIVED + timedelta(days=3),
    )
    with pytest.raises(ReasonRequired):
        actions.reopen(engine, settings, ref, by="anna", reason=" ")
    assert _case(engine, ref).state is CaseState.CLOSED
    result = actions.reopen(engine, settings, ref, by="bert", reason="De klant mist een bijlage")
    case = _case(engine, ref)
    assert result.state == "in_progress" and case.closed_at is None and case.outcome is None
    assert case.due_date == date(2026, 4, 7)  # the clock is the case's own, not reset
    reopened = _events(engine, "case.reopened")
    assert [(e.actor, e.detail["before"], e.detail["reason"]) for e in reopened] == [
        ("bert", "closed", "De klant mist een bijlage")
    ]
    with pytest.raises(CaseNotClosed):
        actions.reopen(engine, settings, ref, by="bert", reason="nog eens")


def test_actions_on_a_closed_case_are_refused(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    actions.close(engine, ref, by="anna", outcome="withdrawn")
    with pytest.raises(CaseNotOpen) as refused:
        actions.assign(engine, ref, None, by="anna")
    assert "heropen" in refused.value.staff_message


def test_extension_binds_only_once_the_notice_is_sent(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    result = actions.extend(
        engine,
        settings,
        ref,
        by="anna",
        ground="spread",
        reason="Uw gegevens staan in vijf systemen",
        now=RECEIVED + timedelta(days=10),
    )
    assert result.extension_pending and result.due_date == date(2026, 4, 7)
    assert actions.letters_sent(engine, settings) == []  # the notice is still a draft
    assert _case(engine, ref).due_date == date(2026, 4, 7)
    assert result.draft_id is not None
    _send(engine, result.draft_id)
    assert actions.letters_sent(engine, settings) == [ref]
    case = _case(engine, ref)
    assert case.due_date == case.extended_deadline and case.extension_notice_sent_at is not None
    assert not lifecycle.extension_pending(case)
    assert actions.letters_sent(engine, settings) == []  # idempotent
    notified = _events(engine, "case.extension_notified")
    assert len(notified) == 1 and notified[0].detail["after"] == case.due_date.isoformat()


def test_discarding_the_unsent_notice_withdraws_the_extension(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    asked = dict(by="anna", ground="spread", reason="Uw gegevens staan in vijf systemen")
    result = actions.extend(engine, settings, ref, now=RECEIVED + timedelta(days=10), **asked)
    assert result.draft_id is not None and lifecycle.extension_pending(_case(engine, ref))
    drafts.discard(engine, result.draft_id, by="anna")
    case = _case(engine, ref)
    # no longer "verlenging aangevraagd"; the original deadline stands and nothing binds later
    assert not lifecycle.extension_pending(case) and case.extended_deadline is None
    assert case.due_date == date(2026, 4, 7) and actions.letters_sent(engine, settings) == []
    assert len(_events(engine, "case.extension_withdrawn")) == 1
    again = actions.extend(engine, settings, ref, now=RECEIVED + timedelta(days=12), **asked)
    assert again.extension_pending  # a new extension may be asked, once, inside month one


def test_discarding_a_second_notice_leaves_the_extension_and_a_failed_one_may_go(
    engine, make_settings
) -> None:
    """Attack review: discarding a duplicate notice withdrew the extension while the first
    notice could still be sent (and was), and a failed notice could not be discarded at all."""
    settings = make_settings()
    ref = _open(engine, settings)
    asked = dict(by="anna", ground="spread", reason="Uw gegevens staan in vijf systemen")
    first = actions.extend(engine, settings, ref, now=RECEIVED + timedelta(days=10), **asked)
    second = drafts.create(engine, settings, ref, "extension", by="anna")
    drafts.discard(engine, second.draft_id, by="anna")
    assert lifecycle.extension_pending(_case(engine, ref)) and not _events(engine, "case.extension_withdrawn")
    with Session(engine) as s:
        notice = s.get(Draft, first.draft_id)
        assert notice is not None
        notice.state = DraftState.FAILED  # the outbox gave up on it
        s.commit()
    drafts.discard(engine, first.draft_id, by="anna")  # staff settle the failed notice
    assert not lifecycle.extension_pending(_case(engine, ref))
    assert len(_events(engine, "case.extension_withdrawn")) == 1


def test_notes_are_staff_only_audited_without_their_text_and_never_in_a_letter(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    with pytest.raises(EmptyNote):
        actions.add_note(engine, ref, "  \n ", by="anna")
    with pytest.raises(NoteTooLong):
        actions.add_note(engine, ref, "x" * 5001, by="anna")
    actions.add_note(engine, ref, "Klant belde: wil liever post. GEHEIM-1234", by="anna")
    with Session(engine) as s:
        notes = list(s.exec(select(CaseNote)))
    assert [(n.author, n.text) for n in notes] == [("anna", "Klant belde: wil liever post. GEHEIM-1234")]
    added = _events(engine, "case.note_added")
    assert len(added) == 1 and "GEHEIM" not in str(added[0].detail)
    letter = drafts.create(engine, settings, ref, "acknowledgement", by="anna")
    with Session(engine) as s:
        d = s.get(Draft, letter.draft_id)
        assert d is not None and "GEHEIM" not in d.body_text and "GEHEIM" not in (d.body_html or "")


def test_a_refused_use_case_changes_nothing(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    before = _case(engine, ref)
    with Session(engine) as s:
        n_events = len(list(s.exec(select(AuditEvent))))
    with pytest.raises(RuleViolation):
        actions.close(engine, ref, by="anna", outcome="unfounded", justification="")
    after = _case(engine, ref)
    assert (after.state, after.closed_at, after.updated_at) == (
        before.state,
        before.closed_at,
        before.updated_at,
    )
    with Session(engine) as s:
        assert len(list(s.exec(select(AuditEvent)))) == n_events
