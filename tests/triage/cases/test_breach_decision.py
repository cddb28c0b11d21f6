"""A possible data breach (Art. 33): the 72-hour mark shown as passed, a failed warning shown,
and an approver's recorded decision that ends the warning (browser walk, defect 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, col, select

from avgdesk.models.tables import AuditEvent, Case, OutboxItem, User
from avgdesk.models.vocabulary import OutboxState, Role
from avgdesk.triage.cases import actions, legal, lifecycle, timeline
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
LEAK = "#access Ik kreeg de factuur van een andere klant: een datalek."


def _flagged(engine, settings) -> str:  # type: ignore[no-untyped-def]
    store_local_message(engine, mail(1, body=LEAK), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        assert legal.breach_clock(s, case) is not None
        return case.reference


def _events(engine, ref: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        return list(
            s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.id)))
        )


def test_the_clock_says_overdue_and_the_failed_warning(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(breach_alert_recipients=["privacy@nhmbsoftware.nl"])
    ref = _flagged(engine, settings)
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        clock = legal.breach_clock(s, case)
        assert clock is not None and not clock.alert_unsent
        assert not clock.overdue(RECEIVED + timedelta(hours=71)) and clock.overdue(
            RECEIVED + timedelta(hours=72)
        )
        item = s.exec(select(OutboxItem).where(OutboxItem.kind == "breach_alert")).one()
        item.state = OutboxState.FAILED  # the warning could not be delivered
        s.commit()
        clock = legal.breach_clock(s, case)
        assert clock is not None and clock.alert_unsent
        [listed] = legal.open_breaches(s)
        assert listed.reference == ref and listed.clock.alert_unsent
    texts = [e.text for e in timeline.timeline(_events(engine, ref))]
    assert any(t.startswith("Mogelijk datalek gesignaleerd (nog niet gemeld bij de AP)") for t in texts)


def test_a_recorded_decision_is_audited_and_ends_the_warning(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _flagged(engine, settings)
    with Session(engine) as s:
        assert legal.breach_clock(s, lifecycle.find_case(s, ref)).alert_unsent  # type: ignore[union-attr]
    refusals = [
        {"decision": "maybe"},
        {"decision": "reported"},
        {"decision": "reported", "reported_on": "gisteren"},
        {"decision": "reported", "reported_on": date.today() + timedelta(days=2)},
        {"decision": "not_notifiable", "reason": "  "},
    ]
    for form in refusals:
        with pytest.raises(legal.BreachDecisionInvalid) as refused:
            actions.decide_breach(engine, settings, ref, by="bert", **form)  # type: ignore[arg-type]
        assert refused.value.staff_message.startswith(("Kies", "Vul", "Niet meldplichtig")), form
    actions.decide_breach(engine, settings, ref, by="bert", decision="reported", reported_on="2026-03-07")
    with Session(engine) as s:
        assert legal.breach_clock(s, lifecycle.find_case(s, ref)) is None
        assert legal.open_breaches(s) == []
    with pytest.raises(legal.BreachDecisionInvalid, match="already"):
        actions.decide_breach(engine, settings, ref, by="bert", decision="not_notifiable", reason="x")
    [decided] = [e for e in _events(engine, ref) if e.action == legal.BREACH_DECIDED]
    assert decided.actor == "bert" and decided.detail["reported_on"] == "2026-03-07"
    texts = [e.text for e in timeline.timeline(_events(engine, ref))]
    assert "Datalek gemeld bij de Autoriteit Persoonsgegevens op 7 maart 2026" in texts


def test_not_notifiable_keeps_its_reason_in_the_timeline(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _flagged(engine, settings)
    why = "Factuur ging naar een collega-klant die hem direct heeft verwijderd; geen risico."
    actions.decide_breach(engine, settings, ref, by="bert", decision="not_notifiable", reason=why)
    texts = [e.text for e in timeline.timeline(_events(engine, ref))]
    assert f"Mogelijk datalek beoordeeld: niet meldplichtig bij de AP, reden: {why}" in texts


def test_the_report_day_lies_between_the_signal_and_today_and_a_late_one_says_why(
    engine, make_settings
) -> None:  # type: ignore[no-untyped-def]
    """Attack review: 1 January 1901 was accepted, and a report after the 72 hours needed no
    reason for the delay (Art. 33(1): a late notification gives its reasons)."""
    settings = make_settings()
    ref = _flagged(engine, settings)  # signalled on 5 March 2026, 72 hours end on 8 March
    with pytest.raises(legal.BreachDecisionInvalid) as refused:
        actions.decide_breach(engine, settings, ref, by="bert", decision="reported", reported_on="1901-01-01")
    assert "tussen 05-03-2026 en vandaag" in refused.value.staff_message
    with pytest.raises(legal.BreachDecisionInvalid) as refused:
        actions.decide_breach(engine, settings, ref, by="bert", decision="reported", reported_on="2026-03-10")
    assert "reden van de vertraging" in refused.value.staff_message
    actions.decide_breach(
        engine,
        settings,
        ref,
        by="bert",
        decision="reported",
        reported_on="2026-03-10",
        reason="Pas na onderzoek",
    )
    [decided] = [e for e in _events(engine, ref) if e.action == legal.BREACH_DECIDED]
    assert decided.detail["reason"] == "Pas na onderzoek"


def test_closing_the_request_keeps_an_undecided_breach_on_the_dashboard(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Attack review: closing the case made the undecided breach vanish; Art. 33 does not end
    with the request."""
    settings = make_settings()
    ref = _flagged(engine, settings)
    actions.close(engine, ref, by="bert", outcome="withdrawn")
    with Session(engine) as s:
        [listed] = legal.open_breaches(s)
        assert listed.reference == ref


def test_two_decisions_at_once_record_one(engine, make_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Attack review (PostgreSQL): both passed the 'already decided' check on an unlocked read."""
    import threading
    import time

    settings = make_settings()
    ref = _flagged(engine, settings)
    standing = legal.breach_decision

    def slowed(session, case):  # type: ignore[no-untyped-def]
        found = standing(session, case)
        time.sleep(0.3)  # both have read "undecided" before either writes
        return found

    # The read decide_breach makes to see whether a decision stands (attack review: the test
    # slowed a function decide_breach no longer called, so it could not fail).
    monkeypatch.setattr(legal, "breach_decision", slowed)
    refused: list[str] = []

    def decide(reason: str) -> None:
        try:
            actions.decide_breach(engine, settings, ref, by="bert", decision="not_notifiable", reason=reason)
        except legal.BreachDecisionInvalid:
            refused.append(reason)

    threads = [threading.Thread(target=decide, args=(r,)) for r in ("geen risico", "klein risico")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(refused) == 1
    assert len([e for e in _events(engine, ref) if e.action == legal.BREACH_DECIDED]) == 1


def test_a_decision_is_corrected_only_on_purpose_and_with_a_reason(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Noticed in earlier stops: a breach judged not notifiable and reported after all could
    not be recorded. A correction replaces the decision that stands; both stay audited."""
    settings = make_settings()
    ref = _flagged(engine, settings)
    with pytest.raises(legal.BreachDecisionInvalid, match="no breach decision"):
        actions.decide_breach(
            engine, settings, ref, by="bert", decision="not_notifiable", reason="x", correction=True
        )
    why = "Factuur direct verwijderd door de ontvanger; geen risico."
    actions.decide_breach(engine, settings, ref, by="bert", decision="not_notifiable", reason=why)
    with pytest.raises(legal.BreachDecisionInvalid) as refused:
        actions.decide_breach(engine, settings, ref, by="bert", decision="reported", reported_on="2026-03-07")
    assert "beslissing corrigeren" in refused.value.staff_message
    with pytest.raises(legal.BreachDecisionInvalid) as refused:  # a correction says why
        actions.decide_breach(
            engine, settings, ref, by="bert", decision="reported", reported_on="2026-03-07", correction=True
        )
    assert "vraagt een reden" in refused.value.staff_message
    with pytest.raises(legal.BreachDecisionInvalid):  # the day is checked as for a first decision
        actions.decide_breach(
            engine,
            settings,
            ref,
            by="bert",
            decision="reported",
            reported_on="1901-01-01",
            reason="r",
            correction=True,
        )
    actions.decide_breach(
        engine,
        settings,
        ref,
        by="anna",
        decision="reported",
        reported_on="2026-03-07",
        reason="Toch gemeld na advies van de FG",
        correction=True,
    )
    first, second = [e for e in _events(engine, ref) if e.action == legal.BREACH_DECIDED]
    assert second.detail["corrects"] == first.id and second.actor == "anna"
    with Session(engine) as s:
        case = lifecycle.find_case(s, ref)
        standing = legal.breach_decision(s, case)
        assert standing is not None and standing.id == second.id
        assert legal.breach_clock(s, case) is None and legal.open_breaches(s) == []
    texts = [e.text for e in timeline.timeline(_events(engine, ref))]
    assert f"Mogelijk datalek beoordeeld: niet meldplichtig bij de AP, reden: {why}" in texts
    assert (
        "Beslissing gecorrigeerd: Datalek gemeld bij de Autoriteit Persoonsgegevens op 7 maart 2026, "
        "toelichting: Toch gemeld na advies van de FG"
    ) in texts


def test_only_an_approver_decides_and_a_stale_correction_is_refused(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Attack review: the service (the command line's path) let a medewerker decide, and two
    approvers correcting at once each replaced a decision the other had not seen."""
    settings = make_settings()
    ref = _flagged(engine, settings)
    with Session(engine) as s:
        s.add(User(username="mia", role=Role.MEDEWERKER, password_hash="x"))
        s.commit()
    with pytest.raises(legal.BreachDecisionInvalid) as refused:
        actions.decide_breach(
            engine, settings, ref, by="mia", decision="not_notifiable", reason="geen risico"
        )
    assert "goedkeurder" in refused.value.staff_message
    actions.decide_breach(engine, settings, ref, by="bert", decision="not_notifiable", reason="geen risico")
    [seen] = [e.id for e in _events(engine, ref) if e.action == legal.BREACH_DECIDED]
    fix = {"decision": "reported", "reported_on": "2026-03-07", "reason": "toch gemeld", "correction": True}
    actions.decide_breach(engine, settings, ref, by="anna", corrects=seen, **fix)  # type: ignore[arg-type]
    with pytest.raises(legal.BreachDecisionInvalid) as stale:  # bert still looks at the first one
        actions.decide_breach(engine, settings, ref, by="bert", corrects=seen, **fix)  # type: ignore[arg-type]
    assert "Intussen is een andere beslissing" in stale.value.staff_message
    assert len([e for e in _events(engine, ref) if e.action == legal.BREACH_DECIDED]) == 2
