"""Closing a case withdraws its unapproved letters; a closed case sends nothing more
(browser walk, defect 1: a closed case still sent its confirmation) — SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, col, select

from avgdesk.models.errors import CaseNotOpen, DraftNotAwaitingApproval
from avgdesk.models.tables import AuditEvent, Case, Draft, DraftState, OutboxItem
from avgdesk.models.vocabulary import DraftKind
from avgdesk.triage.cases import actions, drafts, lifecycle, timeline
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def _case_with_acknowledgement(engine: Any, settings: Any) -> tuple[str, int]:
    store_local_message(engine, mail(1, body="#access"), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        ack = s.exec(select(Draft).where(Draft.kind == DraftKind.ACKNOWLEDGEMENT.value)).one()
        assert ack.state is DraftState.DRAFT and ack.id is not None
        return case.reference, ack.id


def _state(engine: Any, draft_id: int) -> DraftState:
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None
        return draft.state


def test_closing_withdraws_the_waiting_confirmation_and_it_can_not_be_approved(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref, ack = _case_with_acknowledgement(engine, settings)
    actions.close(engine, ref, by="anna", outcome="withdrawn")
    assert _state(engine, ack) is DraftState.DISCARDED
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        events = list(
            s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.id)))
        )
        assert not drafts.pending_acknowledgements(s)  # not in the bulk list either
    withdrawn = [e for e in events if e.action == "draft.discarded"]
    assert [(e.actor, e.detail["draft_id"], e.detail["reason"]) for e in withdrawn] == [
        ("anna", ack, "case_closed")
    ]
    lines = [entry.text for entry in timeline.timeline(events)]
    assert "Brief ingetrokken omdat de zaak is gesloten (wordt niet verzonden): ontvangstbevestiging" in lines

    with pytest.raises(CaseNotOpen) as refused:
        drafts.approve(engine, settings, ack, by="anna")
    assert "gesloten" in refused.value.staff_message
    [bulk] = drafts.approve_acknowledgements(engine, settings, [ack], by="anna")
    assert not bulk.approved
    with Session(engine) as s:
        assert s.exec(select(OutboxItem)).first() is None  # nothing queued

    # Reopening keeps the withdrawn letter withdrawn: staff draft a new one.
    actions.reopen(engine, settings, ref, by="anna", reason="Klant schreef terug")
    assert _state(engine, ack) is DraftState.DISCARDED
    new = drafts.create(engine, settings, ref, DraftKind.ACKNOWLEDGEMENT.value, by="anna")
    assert drafts.approve(engine, settings, new.draft_id, by="bert").state == "approved"


def test_a_draft_approved_on_a_closed_case_is_refused_even_if_left_over(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """A draft left waiting on a case closed before this rule (old data) is not approved."""
    settings = make_settings()
    ref, ack = _case_with_acknowledgement(engine, settings)
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        case.state = lifecycle.CLOSING_OUTCOMES["closed"]
        s.commit()
    with pytest.raises(CaseNotOpen):
        drafts.approve(engine, settings, ack, by="anna")
    assert _state(engine, ack) is DraftState.DRAFT


def test_closing_is_refused_while_an_approved_letter_waits_in_the_outbox(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref, ack = _case_with_acknowledgement(engine, settings)
    drafts.approve(engine, settings, ack, by="anna")
    with pytest.raises(lifecycle.LetterBeingSent) as refused:
        actions.close(engine, ref, by="anna", outcome="withdrawn")
    assert "wacht op verzending (ontvangstbevestiging)" in refused.value.staff_message
    assert _state(engine, ack) is DraftState.APPROVED
    with Session(engine) as s:
        assert lifecycle.find_case(s, ref).state.value == "new"
        assert s.exec(select(OutboxItem)).one().draft_id == ack  # the queued mail is untouched


def _abandoned(engine: Any, settings: Any) -> tuple[str, int]:
    """A case the worker closed after 90 days without an answer, with its closing letter."""
    from datetime import timedelta

    from avgdesk.models.tables import CasePause
    from avgdesk.triage.cases import retention

    ref, _ = _case_with_acknowledgement(engine, settings)
    with Session(engine) as s:  # waiting for an ID copy since the day the request came in
        case = lifecycle.find_case(s, ref)
        case.state = lifecycle.CaseState.AWAITING_IDENTITY
        s.add(CasePause(case_id=case.id, reason="identity", requested_at=RECEIVED, paused_by="anna"))
        s.commit()
    assert retention.close_abandoned(engine, settings, now=RECEIVED + timedelta(days=120)) == [ref]
    with Session(engine) as s:
        letter = s.exec(select(Draft).where(Draft.kind == DraftKind.ABANDONED.value)).one()
        assert letter.id is not None
        return ref, letter.id


def test_reopening_withdraws_the_letter_that_says_the_case_is_closed(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Attack review: after a reopen the 'your case is closed' letter could still be approved
    and sent while the case was open again."""
    settings = make_settings()
    ref, letter = _abandoned(engine, settings)
    actions.reopen(engine, settings, ref, by="anna", reason="Klant stuurde alsnog zijn ID")
    assert _state(engine, letter) is DraftState.DISCARDED
    with pytest.raises((CaseNotOpen, DraftNotAwaitingApproval)):  # withdrawn, and the case is open
        drafts.approve(engine, settings, letter, by="bert")
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        events = list(s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id)))
    lines = [entry.text for entry in timeline.timeline(events)]
    assert any(line.startswith("Brief ingetrokken omdat de zaak is heropend") for line in lines)


def test_a_closing_letter_is_not_approved_on_an_open_case(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref, letter = _abandoned(engine, settings)
    with Session(engine) as s:  # a closing letter left over on a case open again (old data)
        case = lifecycle.find_case(s, ref)
        case.state = lifecycle.CaseState.IN_PROGRESS
        s.commit()
    with pytest.raises(CaseNotOpen) as refused:
        drafts.approve(engine, settings, letter, by="bert")
    assert "maar de zaak is open" in refused.value.staff_message


def test_closing_and_approving_at_once_never_leave_a_queued_letter_withdrawn(
    engine, make_settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Attack review (PostgreSQL): the close read the letters unlocked, then overwrote the
    approval with 'withdrawn' after the approval had queued its mail."""
    import threading
    import time

    from avgdesk.triage.cases import tasks

    settings = make_settings()
    ref, ack = _case_with_acknowledgement(engine, settings)
    done = tasks.require_done_for

    def slowed(session: Any, draft: Any) -> None:
        done(session, draft)
        time.sleep(0.5)  # the approval holds the draft while the close starts

    monkeypatch.setattr(tasks, "require_done_for", slowed)
    outcome: dict[str, str] = {}

    def approve() -> None:
        drafts.approve(engine, settings, ack, by="bert")
        outcome["approve"] = "ok"

    def close() -> None:
        time.sleep(0.2)
        try:
            actions.close(engine, ref, by="anna", outcome="withdrawn")
            outcome["close"] = "ok"
        except lifecycle.LetterBeingSent:
            outcome["close"] = "refused"

    threads = [threading.Thread(target=approve), threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with Session(engine) as s:
        queued = s.exec(select(OutboxItem).where(OutboxItem.draft_id == ack)).all()
    assert outcome == {"approve": "ok", "close": "refused"}
    assert _state(engine, ack) is DraftState.APPROVED and len(queued) == 1
