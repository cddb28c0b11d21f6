"""A case whose rights all have a sent answer met its deadline: never late or at risk again
until it owes something anew (reopened, a new right); "nieuw" becomes "in behandeling" with
the first letter staff approve — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.tables import AuditEvent, Case, CaseState, Draft, DraftState
from avgdesk.models.types import utcnow
from avgdesk.triage.cases import actions, answers, drafts, lifecycle, queries
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # legal deadline Tue 7 Apr 2026
LATE = date(2026, 4, 20)  # two weeks past it
LATE_AT = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)


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


def _set(engine: Any, draft_id: int, state: DraftState) -> None:
    """What approval or the outbox records (both are tested elsewhere)."""
    with Session(engine) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        d.state, d.updated_at = state, utcnow()
        d.approved_by = "bert"
        s.add(d)
        s.commit()


def _answer(engine: Any, settings: Any, ref: str, kind: str = "access") -> int:
    fields = {"attachment_name": "export.zip"} if kind == "access" else {}
    draft = drafts.create(engine, settings, ref, kind, by="anna", fields=fields)
    assert draft.draft_id is not None
    _set(engine, draft.draft_id, DraftState.SENT)
    return draft.draft_id


def _snapshot(engine: Any) -> queries.BacklogSnapshot:
    with Session(engine) as s:
        return queries.backlog_snapshot(s, today=LATE)


def test_a_case_with_every_answer_sent_is_not_late_but_waits_to_be_closed(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings, body="#access #erasure")
    assert _snapshot(engine).overdue == 1
    _answer(engine, settings, ref)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).answers_sent_at is None and _snapshot(engine).overdue == 1  # erasure owed
    _answer(engine, settings, ref, "erasure")
    actions.letters_sent(engine, settings)
    actions.letters_sent(engine, settings)  # idempotent: one event
    case = _case(engine, ref)
    assert case.answers_sent_at is not None and case.state is CaseState.IN_PROGRESS  # open, not closed
    assert len(_events(engine, "case.answers_sent")) == 1
    snap = _snapshot(engine)
    assert (snap.open_total, snap.overdue, snap.answered_open) == (1, 0, 1)
    assert snap.due_soon + snap.due_later + snap.no_due_date + snap.due_8_to_14 == 0
    assert lifecycle.case_risk(case, settings, LATE_AT) is None
    with Session(engine) as s:
        assert queries.due_cases(s, due_by=LATE, limit=10) == []
        late = queries.QueueFilter(open_only=True, due_before=LATE)
        assert queries.queue_page(s, late, number=1, size=10).total == 0
        done = queries.queue_page(s, queries.QueueFilter(answered_open=True), number=1, size=10)
        assert [c.reference for c in done.items] == [ref]
        assert queries.case_detail(s, case, settings, LATE_AT).unanswered == []
    assert actions.close(engine, ref, by="anna", outcome="answered").state == "answered"


def test_reopening_or_a_new_right_makes_the_case_owe_an_answer_again(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    _answer(engine, settings, ref)
    actions.letters_sent(engine, settings)
    actions.close(engine, ref, by="anna", outcome="answered")
    actions.reopen(engine, settings, ref, by="anna", reason="Klant mist gegevens")
    actions.letters_sent(engine, settings)  # the old answer does not count after reopening
    assert _case(engine, ref).answers_sent_at is None and _snapshot(engine).overdue == 1
    assert [e.detail["reason"] for e in _events(engine, "case.answers_owed")] == ["reopened"]
    _answer(engine, settings, ref)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).answers_sent_at is not None and _snapshot(engine).overdue == 0
    # Relabelled with a new right: owed again, and late again.
    actions.relabel(engine, settings, ref, ["access", "erasure"], by="anna")
    assert _case(engine, ref).answers_sent_at is None and _snapshot(engine).overdue == 1
    assert [e.detail["reason"] for e in _events(engine, "case.answers_owed")][-1] == "relabelled"
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).answers_sent_at is None


def test_the_first_letter_staff_approve_starts_the_handling(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    with Session(engine) as s:
        ack = s.exec(select(Draft).where(Draft.kind == "acknowledgement")).one()
    assert ack.id is not None
    _set(engine, ack.id, DraftState.SENT)  # the worker's own acknowledgement: still new
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).state is CaseState.NEW
    draft = drafts.create(engine, settings, ref, "access", by="anna", fields={"attachment_name": "x.zip"})
    assert draft.draft_id is not None
    _set(engine, draft.draft_id, DraftState.APPROVED)
    actions.letters_sent(engine, settings)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).state is CaseState.IN_PROGRESS
    started = _events(engine, "case.started")
    assert len(started) == 1 and started[0].detail["before"] == "new"
    assert started[0].detail["after"] == "in_progress" and started[0].detail["by"] == "bert"


def test_an_approved_pause_request_starts_the_handling_and_its_sending_pauses(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    note = "Het afzenderadres wijkt af van het adres in ons klantbestand"
    result = actions.pause(engine, settings, ref, by="anna", reason="identity", note=note)
    assert result.draft_id is not None
    _set(engine, result.draft_id, DraftState.APPROVED)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).state is CaseState.IN_PROGRESS  # "pauze aangevraagd"
    _set(engine, result.draft_id, DraftState.SENT)
    actions.letters_sent(engine, settings)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).state is CaseState.AWAITING_IDENTITY  # the pause wins, and stays
    assert len(_events(engine, "case.started")) == 1


def test_letters_of_closed_cases_do_not_wait_for_approval(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    drafts.create(engine, settings, ref, "access", by="anna", fields={"attachment_name": "x.zip"})
    assert _snapshot(engine).drafts_awaiting == 2  # acknowledgement and answer
    with Session(engine) as s:  # closed before closing withdrew its letters (defect 1)
        case = s.exec(select(Case)).one()
        case.state, case.closed_at = CaseState.CLOSED, RECEIVED + timedelta(days=3)
        s.add(case)
        s.commit()
    snap = _snapshot(engine)
    assert (snap.drafts_awaiting, snap.awaiting_approval, snap.open_total) == (0, 0, 0)


def test_a_late_answer_stays_late_and_counted(engine, make_settings) -> None:
    """Due Tue 7 Apr, answered 30 Nov (local day): off the action lists, but never "termijn
    gehaald"; counted as "te laat beantwoord" by the snapshot and the audit trail."""
    settings = make_settings()
    ref = _open(engine, settings)
    draft_id = _answer(engine, settings, ref)
    with Session(engine) as s:  # sent 30 Nov 23:30 local time (22:30 UTC): still 30 Nov
        d = s.get(Draft, draft_id)
        assert d is not None
        d.updated_at = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
        s.add(d)
        s.commit()
    actions.letters_sent(engine, settings)
    case = _case(engine, ref)
    assert case.due_date == date(2026, 4, 7) and case.answered_on == date(2026, 11, 30)
    assert answers.answered_late(case)
    snap = _snapshot(engine)
    assert (snap.overdue, snap.answered_open, snap.answered_late) == (0, 1, 1)
    event = _events(engine, "case.answers_sent")[0]
    assert event.detail["late"] is True and event.detail["due"] == "2026-04-07"
    from avgdesk.triage.cases.timeline import describe

    assert "te laat" in describe(event) and "gehaald" not in describe(event)


def test_an_answer_on_the_due_day_local_time_is_on_time(engine, make_settings) -> None:
    settings = make_settings()
    ref = _open(engine, settings)
    draft_id = _answer(engine, settings, ref)
    with Session(engine) as s:  # 7 Apr 23:30 in Amsterdam is 21:30 UTC: on the due day
        d = s.get(Draft, draft_id)
        assert d is not None
        d.updated_at = datetime(2026, 4, 7, 21, 30, tzinfo=UTC)
        s.add(d)
        s.commit()
    actions.letters_sent(engine, settings)
    case = _case(engine, ref)
    assert case.answered_on == date(2026, 4, 7) and not answers.answered_late(case)
    assert _snapshot(engine).answered_late == 0


def test_after_a_reopening_only_letters_sent_after_it_count(engine, make_settings) -> None:
    """Reopened because access was missing: an erasure letter alone does not answer it again."""
    settings = make_settings()
    ref = _open(engine, settings, body="#access #erasure")
    _answer(engine, settings, ref)
    _answer(engine, settings, ref, "erasure")
    actions.letters_sent(engine, settings)
    actions.close(engine, ref, by="anna", outcome="answered")
    actions.reopen(engine, settings, ref, by="anna", reason="Klant mist zijn inzage")
    _answer(engine, settings, ref, "erasure")
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).answers_sent_at is None and _snapshot(engine).overdue == 1
    with Session(engine) as s:  # closing agrees: access has no answer since the reopening
        assert answers.unanswered(s, _case(engine, ref)) == ["access"]
    _answer(engine, settings, ref)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).answers_sent_at is not None


def _refuse(engine: Any, settings: Any, ref: str) -> None:
    fields = {"partial": False, "refusal_reasons": ["Wettelijke bewaarplicht"]}
    draft = drafts.create(engine, settings, ref, "refusal", by="anna", fields=fields)
    assert draft.draft_id is not None
    _set(engine, draft.draft_id, DraftState.SENT)


def test_a_refusal_answers_only_a_case_with_that_one_right(engine, make_settings) -> None:
    """Access and erasure, only a refusal sent: access may still be owed (and late)."""
    settings = make_settings()
    ref = _open(engine, settings, body="#access #erasure")
    _refuse(engine, settings, ref)
    actions.letters_sent(engine, settings)
    assert _case(engine, ref).answers_sent_at is None and _snapshot(engine).overdue == 1
    with Session(engine) as s:  # closing as answered agrees
        assert answers.unanswered(s, _case(engine, ref)) == ["access", "erasure"]
    single = _open_second(engine, settings)
    _refuse(engine, settings, single)
    actions.letters_sent(engine, settings)
    assert _case(engine, single).answers_sent_at is not None  # one right: the refusal answers it


def _open_second(engine: Any, settings: Any) -> str:
    store_local_message(engine, mail(2, body="#erasure"), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        return s.exec(select(Case).order_by(Case.id.desc())).first().reference  # type: ignore[union-attr]


def test_each_pass_reads_only_cases_with_an_answer_sent_since_their_check(
    engine, make_settings, monkeypatch
) -> None:
    """Review of 7085f6d (5): every pass read every open partly answered case; now a case is
    read again only when an answer letter was sent after its last check, in chunks."""
    monkeypatch.setattr(answers, "CHUNK", 1)
    settings = make_settings()
    ref = _open(engine, settings, body="#access #erasure")
    _answer(engine, settings, ref)  # sent; the pass after it "crashed": the next one repairs it

    def unchecked() -> list[int]:
        with Session(engine) as s:
            return list(s.exec(answers._unchecked_answers()))

    assert len(unchecked()) == 1
    actions.letters_sent(engine, settings)
    assert len(unchecked()) == 1  # checked again while the letter is recent (answers.SETTLE)
    with Session(engine) as s:
        lifecycle.letters_sent(s, settings, now=utcnow() + answers.SETTLE * 2)
        s.commit()
    assert unchecked() == [] and _case(engine, ref).answers_sent_at is None  # erasure owed
    second = _open_second(engine, settings)
    _answer(engine, settings, second, "erasure")
    _answer(engine, settings, ref, "erasure")
    assert len(unchecked()) == 2
    actions.letters_sent(engine, settings)  # two cases, one id per IN-list
    assert _case(engine, ref).answers_sent_at is not None
    assert _case(engine, second).answers_sent_at is not None and unchecked() == []


def test_the_answered_event_names_what_was_answered_its_letters_and_time(engine, make_settings) -> None:
    """Review of 7085f6d (6): "Elk recht beantwoord" was wrong for a complaint only."""
    from avgdesk.triage.cases.timeline import describe

    settings = make_settings()
    ref = _open(engine, settings, body="#complaint")
    draft_id = _answer(engine, settings, ref, "complaint")
    actions.letters_sent(engine, settings)
    event = _events(engine, "case.answers_sent")[0]
    assert describe(event).startswith("Klacht beantwoord: ")
    assert event.detail["draft_ids"] == [draft_id]
    assert event.detail["at"] == _case(engine, ref).answers_sent_at.isoformat()  # type: ignore[union-attr]
    both = dict(event.detail, answered=["access", "complaint"])
    assert describe(AuditEvent(action="case.answers_sent", actor="x", detail=both)).startswith(
        "Alles beantwoord (rechten en klacht)"
    )
