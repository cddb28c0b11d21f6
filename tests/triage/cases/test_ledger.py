"""Issue 13 point 10: retention keeps the proof (content-free ledger) and closes cases the
customer abandoned, with a letter. Real SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.tables import AuditEvent, Case, CasePause, CaseState, Draft, DraftState, PauseReason
from avgdesk.replies.drafting import approve_draft
from avgdesk.triage.cases import actions, ledger, lifecycle
from avgdesk.triage.cases.retention import close_abandoned, purge
from avgdesk.triage.drafting_config import drafting_context
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def _case(
    engine: Any, settings: Any, body: str = "#access Graag inzage, Marieke Jansen, Dorpsstraat 5"
) -> None:
    store_local_message(engine, mail(1, body=body), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()


def test_purge_writes_a_content_free_ledger_entry_first(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    _case(engine, settings)
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        ack = s.exec(select(Draft)).one()
        approve_draft(
            s, ack, approver="bert", ctx=drafting_context(settings), now=RECEIVED + timedelta(hours=2)
        )
        ack.state = DraftState.SENT  # as the outbox leaves it: an approved, unsent letter blocks closing
        lifecycle.close(s, case, by="anna", outcome="closed", justification="ingetrokken", now=RECEIVED)
        s.commit()
        reference, sha = case.reference, ack.approved_sha256
    later = RECEIVED + timedelta(days=settings.retention_days + 1)
    assert purge(engine, settings, now=later).cases == [reference]
    with Session(engine) as s:
        assert s.exec(select(Case)).all() == []  # the case itself is gone
        entries = ledger.entries(s)
    assert len(entries) == 1
    e = entries[0]
    assert e["reference"] == reference and e["rights"] == ["access"]
    assert e["received_at"].startswith("2026-03-05") and e["legal_deadline"] == "2026-04-07"
    assert e["outcome"] == "closed" and e["outcome_per_right"] == {"access": "open"}
    assert e["closed_at"] is not None and e["keep_until"].startswith("2031-03-0")  # five years
    dump = json.dumps(e)
    for personal in ("Marieke", "Dorpsstraat", "klant@example.nl", "ingetrokken"):
        assert personal not in dump  # content-free: no names, addresses or free text
    assert e["letters"] == [] or e["letters"][0]["sha256"] == sha  # approved, not yet sent
    # After five years the entry goes too.
    with Session(engine) as s:
        assert ledger.expire(s, later + timedelta(days=settings.ledger_retention_days)) == 1
        s.commit()
        assert ledger.entries(s) == []


def test_abandoned_case_is_closed_with_a_letter(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(abandoned_after_days=60)
    _case(engine, settings)
    asked = RECEIVED + timedelta(days=1)
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        s.add(CasePause(case_id=case.id, reason=PauseReason.IDENTITY, requested_at=asked, paused_by="anna"))
        case.state = CaseState.AWAITING_IDENTITY
        s.commit()
    assert close_abandoned(engine, settings, now=asked + timedelta(days=59)) == []
    assert close_abandoned(engine, settings, now=asked + timedelta(days=61)) == ["AVG-2026-0001"]
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        assert case.state is CaseState.CLOSED and "geen antwoord binnen 60 dagen" in (
            case.justification or ""
        )
        letter = s.exec(select(Draft).where(Draft.kind == "abandoned")).one()
        assert "6 maart 2026" in letter.body_text and "rechtbank" in letter.body_text
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "case.closed")).first() is not None


def test_the_ledger_keeps_a_breach_and_its_decisions_without_their_reasons(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Art. 33(5): the breach register must outlive the purged case (attack review)."""
    settings = make_settings()
    _case(engine, settings, body="#access Ik kreeg de factuur van een andere klant: een datalek. Marieke")
    with Session(engine) as s:
        reference = s.exec(select(Case)).one().reference
    why = "Factuur direct verwijderd door Marieke; geen risico."
    actions.decide_breach(engine, settings, reference, by="bert", decision="not_notifiable", reason=why)
    fix = {"decision": "reported", "reported_on": "2026-03-07", "reason": "Toch gemeld", "correction": True}
    actions.decide_breach(engine, settings, reference, by="anna", **fix)  # type: ignore[arg-type]
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        lifecycle.close(s, case, by="anna", outcome="closed", justification="afgehandeld", now=RECEIVED)
        s.commit()
    purge(engine, settings, now=RECEIVED + timedelta(days=settings.retention_days + 1))
    with Session(engine) as s:
        [e] = ledger.entries(s)
    breach = e["possible_breach"]
    assert breach["since"].startswith("2026-03-05")
    assert [(d["decision"], d["decided_by"], d["corrects_earlier"]) for d in breach["decisions"]] == [
        ("not_notifiable", "bert", False),
        ("reported", "anna", True),
    ]
    assert breach["decisions"][1]["reported_on"] == "2026-03-07"
    assert "Marieke" not in json.dumps(e) and "Toch gemeld" not in json.dumps(e)  # no free text


def test_retention_keeps_a_closed_case_whose_breach_is_undecided(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Noticed in this stop: the purge took an undecided breach off the dashboard with its case."""
    settings = make_settings()
    _case(engine, settings, body="#access Ik kreeg de factuur van een andere klant: een datalek.")
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        reference = case.reference
        lifecycle.close(s, case, by="anna", outcome="closed", justification="afgehandeld", now=RECEIVED)
        s.commit()
    later = RECEIVED + timedelta(days=settings.retention_days + 1)
    assert purge(engine, settings, now=later).cases == []  # kept: nobody decided on the breach yet
    actions.decide_breach(
        engine, settings, reference, by="bert", decision="not_notifiable", reason="geen risico"
    )
    assert purge(engine, settings, now=later).cases == [reference]
