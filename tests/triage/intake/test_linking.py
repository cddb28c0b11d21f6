"""Threading (intake.linking): which case a new message joins, against real databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import AuditEvent, Case, CaseState, Draft, InboundMessage
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def process(engine: Any, settings: Any) -> None:
    Processor(engine, settings, classifier=FixedLabels()).drain()


def test_reply_by_headers_joins_the_case(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    store_local_message(
        engine,
        mail(2, subject="Re: Verzoek", body="nog iets #erasure", headers="References: <m1@example.nl>\r\n"),
        received_at=RECEIVED,
    )
    process(engine, settings)
    with Session(engine) as s:
        cases = list(s.exec(select(Case)))
        msgs = list(s.exec(select(InboundMessage)))
    assert len(cases) == 1 and {m.case_id for m in msgs} == {cases[0].id}


def test_reply_to_our_reply_and_reference_in_subject_join_the_case(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with Session(engine) as s:
        ours = s.exec(select(Draft)).one().message_id
    store_local_message(
        engine,
        mail(2, subject="Antwoord", body="hier is mijn paspoort", headers=f"In-Reply-To: <{ours}>\r\n"),
        received_at=RECEIVED,
    )
    store_local_message(
        engine,
        mail(3, subject="Fwd: vraag over AVG-2026-0001", body="Nog een vraag"),
        received_at=RECEIVED,
    )
    process(engine, settings)
    with Session(engine) as s:
        assert len(list(s.exec(select(Case)))) == 1
        assert {m.case_id for m in s.exec(select(InboundMessage))} == {1}


def test_stranger_threading_by_headers_or_reference_is_only_suggested(engine, make_settings) -> None:
    """Issue 11, item 2: another sender naming a case (our Message-ID, a reference in the
    subject) never joins it; staff see a suggestion, and a request opens its own case."""
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with Session(engine) as s:
        ours = s.exec(select(Draft)).one().message_id
    store_local_message(
        engine,
        mail(2, sender="other@example.org", subject="Antwoord", headers=f"In-Reply-To: <{ours}>\r\n"),
        received_at=RECEIVED,
    )
    store_local_message(
        engine,
        mail(3, sender="third@example.org", subject="Re: AVG-2026-0001", body="Doorgestuurd bericht"),
        received_at=RECEIVED,
    )
    process(engine, settings)
    with Session(engine) as s:
        first = s.exec(select(Case).where(Case.reference == "AVG-2026-0001")).one()
        cases = list(s.exec(select(Case)))
        by_mid = {m.message_id: m for m in s.exec(select(InboundMessage))}
        suggested = list(
            s.exec(
                select(AuditEvent).where(
                    AuditEvent.case_id == first.id, AuditEvent.action == "message.link_suggested"
                )
            )
        )
    assert by_mid["m1@example.nl"].case_id == first.id
    assert by_mid["m2@example.nl"].case_id != first.id and by_mid["m3@example.nl"].case_id is None
    assert by_mid["m2@example.nl"].suggested_case_id == first.id == by_mid["m3@example.nl"].suggested_case_id
    assert {e.message_pk for e in suggested} == {by_mid["m2@example.nl"].id, by_mid["m3@example.nl"].id}
    # The stranger's access request (#access) got a case of its own, with its own requester.
    (own,) = [c for c in cases if c.id != first.id]
    assert own.requester_email == "other@example.org" and by_mid["m2@example.nl"].case_id == own.id


def test_only_a_verified_reply_resumes_a_paused_clock(engine, make_settings) -> None:
    from avgdesk.models.tables import CasePause, PauseReason
    from avgdesk.triage.intake.linking import link_by_staff

    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with session_scope(engine) as s:
        # The state a sent identity request leaves behind (how it gets there is lifecycle's test).
        case = s.exec(select(Case)).one()
        s.add(
            CasePause(case_id=case.id, reason=PauseReason.IDENTITY, requested_at=RECEIVED, paused_by="bert")
        )
        case.state = CaseState.AWAITING_IDENTITY
        s.commit()
    later = RECEIVED + timedelta(days=2)
    store_local_message(
        engine, mail(2, sender="evil@evil.example", subject="Re: AVG-2026-0001", body="id"), received_at=later
    )
    process(engine, settings)
    with Session(engine) as s:
        assert s.exec(select(Case)).one().state is CaseState.AWAITING_IDENTITY
    store_local_message(
        engine, mail(3, subject="Re: AVG-2026-0001", body="mijn identiteit"), received_at=later
    )
    process(engine, settings)
    with session_scope(engine) as s:
        case = s.exec(select(Case)).one()
        assert case.state is CaseState.IN_PROGRESS
        stranger = s.exec(select(InboundMessage).where(InboundMessage.message_id == "m2@example.nl")).one()
        assert stranger.case_id is None and stranger.suggested_case_id == case.id
        # Staff may still link it by hand; that is audited under their name.
        link_by_staff(s, case, stranger, by="bert")
        s.commit()
    with Session(engine) as s:
        linked = s.exec(select(InboundMessage).where(InboundMessage.message_id == "m2@example.nl")).one()
        event = s.exec(
            select(AuditEvent).where(AuditEvent.message_pk == linked.id, AuditEvent.actor == "bert")
        ).one()
    assert (
        linked.case_id == case.id and linked.suggested_case_id is None and event.action == "message.attached"
    )


def test_same_requester_new_mail_is_never_merged_silently_but_suggested_and_flagged(
    engine, make_settings
) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    store_local_message(
        engine, mail(2, subject="Nog een verzoek", body="#access"), received_at=RECEIVED + timedelta(days=3)
    )
    process(engine, settings)
    with Session(engine) as s:
        first, second = sorted(s.exec(select(Case)), key=lambda c: c.id or 0)
    assert second.suggested_case_id == first.id  # offered to staff
    assert second.duplicate_of_case_id == first.id  # same right within 30 days


def test_forwarded_request_from_another_address_opens_its_own_case(engine, make_settings) -> None:
    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    store_local_message(
        engine,
        mail(2, sender="collega@nhmbsoftware.nl", subject="Fwd: inzage", body="#access doorgestuurd"),
        received_at=RECEIVED,
    )
    process(engine, settings)
    with Session(engine) as s:
        cases = list(s.exec(select(Case)))
    assert len(cases) == 2 and cases[1].suggested_case_id is None


def test_a_bounce_of_our_reply_is_linked_to_its_case(engine, make_settings) -> None:
    from avgdesk.models.tables import OutboxItem
    from avgdesk.replies.drafting import approve_draft
    from avgdesk.triage.drafting_config import drafting_context

    settings = make_settings()
    store_local_message(engine, mail(1), received_at=RECEIVED)
    process(engine, settings)
    with session_scope(engine) as s:
        draft = s.exec(select(Draft)).one()
        item = approve_draft(s, draft, approver="bert", ctx=drafting_context(settings))
        s.commit()
        sent_id = item.message_id
    bounce = (
        "From: MAILER-DAEMON@mx.example.nl\r\nTo: privacy@nhmbsoftware.nl\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.example.nl>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.nl\r\n\r\n"
        "Final-Recipient: rfc822; klant@example.nl\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{sent_id}>\r\nSubject: x\r\n"
        "--b--\r\n"
    ).encode()
    store_local_message(engine, bounce, received_at=RECEIVED + timedelta(hours=1))
    process(engine, settings)
    with Session(engine) as s:
        msg = s.exec(select(InboundMessage).where(InboundMessage.message_id == "b1@mx.example.nl")).one()
        case = s.exec(select(Case)).one()
        events = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id))]
        assert s.exec(select(OutboxItem)).one().message_id == sent_id
    assert msg.labels == ["auto"] and msg.case_id == case.id
    assert "reply.bounced" in events
    assert case.state is CaseState.NEW  # a bounce is shown, it does not change the case


def test_reference_numbers_of_a_batch_stay_gap_free(engine) -> None:
    """Issue 16: a batch reserves its numbers with one counter update; a rolled-back
    message's number goes to the next case, more cases than foreseen extend the block,
    and what was not used is given back before the commit."""
    from avgdesk.triage.intake.linking import ReferenceBlock, next_reference

    with session_scope(engine) as s:
        block = ReferenceBlock(s, {2026: 3})
        assert block.take(2026) == "AVG-2026-0001"
        mark = block.mark()
        assert block.take(2026) == "AVG-2026-0002"
        block.restore(mark)  # that message's savepoint rolled back
        assert block.take(2026) == "AVG-2026-0002"
        assert block.take(2027) == "AVG-2027-0001"  # not foreseen: reserved on demand
        block.release()
        s.commit()
    with session_scope(engine) as s:
        assert next_reference(s, 2026) == "AVG-2026-0003"
        assert next_reference(s, 2027) == "AVG-2027-0002"
        s.commit()
