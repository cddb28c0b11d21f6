"""The outbox against a real SMTP server (aiosmtpd with fault modes), on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from typing import Any

from helpers import until
from sqlmodel import Session, select

from avgdesk.mailbox.smtp import SmtpMailer, SmtpParams
from avgdesk.models.engine import session_scope
from avgdesk.models.tables import AuditEvent, Case, Draft, DraftState, OutboxItem, OutboxState
from avgdesk.replies import outbox
from avgdesk.replies.drafting import DraftingContext, approve_draft, create_draft, edit_draft
from avgdesk.replies.outbox import OutboxPolicy
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases.deadlines import AMSTERDAM

POLICY = OutboxPolicy(
    lease_s=5, retry_initial_s=0.01, retry_max_s=0.02, deliver_for_s=3600, ambiguous_retries=1
)
CTX = DraftingContext(tz=AMSTERDAM, outbox=POLICY)


def _case(session: Session, email_addr: str = "klant@example.nl", name: str = "Klant") -> Case:
    case = Case(
        reference="AVG-2026-0001",
        requester_email=email_addr,
        requester_name=name,
        rights=["access"],
        received_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        legal_deadline=datetime(2026, 12, 2).date(),
        due_date=datetime(2026, 12, 2).date(),
    )
    session.add(case)
    session.flush()
    return case


def _approved(engine: Any, **case_kwargs: Any) -> int:
    with session_scope(engine) as s:
        case = _case(s, **case_kwargs)
        draft = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=CTX)
        item = approve_draft(s, draft, approver="bert", ctx=CTX)
        s.commit()
        assert item.id is not None
        return item.id


def _mailer(sink: Any, timeout_s: float = 5.0) -> SmtpMailer:
    return SmtpMailer(SmtpParams(host="127.0.0.1", port=sink.port, security="none", timeout_s=timeout_s))


def _item(engine: Any, item_id: int) -> OutboxItem:
    with Session(engine) as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None
        return item


async def test_sends_exactly_the_approved_bytes_once(engine, smtp_sink) -> None:
    item_id = _approved(engine)
    result = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    again = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert (result.sent, again.sent) == (1, 0)
    assert len(smtp_sink.messages) == 1
    item = _item(engine, item_id)
    assert item.state is OutboxState.SENT and item.sent_at is not None
    msg = email.message_from_bytes(smtp_sink.messages[0], policy=email.policy.default)
    assert msg["Message-ID"] == f"<{item.message_id}>"
    assert msg["To"] == "Klant <klant@example.nl>"
    assert "[AVG-2026-0001]" in msg["Subject"]
    assert msg["X-Avgdesk-Loop"] == "AVG-2026-0001"
    assert msg.get_body(preferencelist=("html",)) is not None
    with Session(engine) as s:
        draft = s.get(Draft, item.draft_id)
        assert draft is not None and draft.state is DraftState.SENT
        assert outbox.raw_digest(item.raw) == draft.approved_sha256


async def test_451_retries_with_the_same_message_id_then_succeeds(engine, smtp_sink) -> None:
    item_id = _approved(engine)
    smtp_sink.mode = "451"
    first = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert first.retry == 1 and _item(engine, item_id).state is OutboxState.RETRY
    assert "451" in (_item(engine, item_id).last_error or "")
    smtp_sink.mode = "ok"
    import asyncio

    await asyncio.sleep(0.05)
    second = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert second.sent == 1
    item = _item(engine, item_id)
    assert item.attempts == 2
    msg = email.message_from_bytes(smtp_sink.messages[0], policy=email.policy.default)
    assert msg["Message-ID"] == f"<{item.message_id}>"


async def test_550_fails_permanently_and_is_shown(engine, smtp_sink) -> None:
    item_id = _approved(engine)
    smtp_sink.mode = "550"
    result = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert result.failed == 1
    item = _item(engine, item_id)
    assert item.state is OutboxState.FAILED and "550" in (item.last_error or "")
    with Session(engine) as s:
        assert s.get(Draft, item.draft_id).state is DraftState.FAILED  # type: ignore[union-attr]
        events = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.case_id == item.case_id))]
    assert "mail.failed" in events


async def test_refused_single_recipient_is_recorded(engine, smtp_sink) -> None:
    with session_scope(engine) as s:
        now = datetime.now(UTC)
        msg = email.message.EmailMessage()
        msg["From"] = "avgdesk@nhmbsoftware.nl"
        msg["To"] = "a@example.nl, b@example.nl"
        msg["Subject"] = "Overzicht"
        msg["Message-ID"] = "<sum1@nhmbsoftware.nl>"
        msg["Auto-Submitted"] = "auto-generated"
        msg["Date"] = email.utils.format_datetime(now)
        msg.set_content("tekst")
        item = outbox.enqueue_internal(s, msg, kind="summary", recipients=["a@example.nl", "b@example.nl"])
        s.commit()
        item_id = item.id
    smtp_sink.mode = "refuse:b@example.nl"
    result = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert result.sent == 1
    item = _item(engine, item_id)  # type: ignore[arg-type]
    assert (
        list(item.refused_recipients) == ["b@example.nl"] and "550" in item.refused_recipients["b@example.nl"]
    )
    assert smtp_sink.envelopes[0][1] == ["a@example.nl"]


async def test_421_disconnect_is_temporary(engine, smtp_sink) -> None:
    item_id = _approved(engine)
    smtp_sink.mode = "421"
    result = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert result.retry == 1 and _item(engine, item_id).state is OutboxState.RETRY


async def test_connection_refused_is_temporary(engine) -> None:
    from servers import free_port

    item_id = _approved(engine)
    mailer = SmtpMailer(SmtpParams(host="127.0.0.1", port=free_port(), security="none", timeout_s=2))
    result = await outbox.drain(engine, mailer, "w1", POLICY)
    assert result.retry == 1 and "Connect" in (_item(engine, item_id).last_error or "")


async def test_timeout_after_data_is_ambiguous_and_retried_once_with_the_same_id(engine, smtp_sink) -> None:
    item_id = _approved(engine)
    smtp_sink.mode = "slow:1.5"
    first = await outbox.drain(engine, _mailer(smtp_sink, timeout_s=0.5), "w1", POLICY)
    assert first.retry == 1
    item = _item(engine, item_id)
    assert item.ambiguous and item.state is OutboxState.RETRY
    await until(lambda: len(smtp_sink.messages) == 1, timeout_s=30)  # the slow server accepts the first copy
    assert len(smtp_sink.messages) == 1
    smtp_sink.mode = "ok"
    # The sink stores the copy before its slow answer, so we may get here within the retry's
    # 10-20 ms backoff; a drain before it is due rightly sends nothing (failed 2 of 3 runs).
    await until(lambda: _item(engine, item_id).next_attempt_at <= outbox.utcnow(), timeout_s=5)
    second = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert second.sent == 1
    ids = {email.message_from_bytes(m)["Message-ID"] for m in smtp_sink.messages}
    assert len(smtp_sink.messages) == 2 and len(ids) == 1  # a duplicate, but the same mail


async def test_crash_between_smtp_answer_and_commit_resends_same_message_after_lease(
    engine, smtp_sink
) -> None:
    item_id = _approved(engine)
    ids = outbox.claim(engine, "dead-worker", POLICY)
    assert ids == [item_id]
    # The dead worker got its 250 but never recorded it:
    await _mailer(smtp_sink).send(
        _item(engine, item_id).raw, sender="privacy@nhmbsoftware.nl", recipients=["klant@example.nl"]
    )
    assert (await outbox.drain(engine, _mailer(smtp_sink), "w2", POLICY)).sent == 0  # lease still held
    later = datetime.now(UTC) + timedelta(seconds=POLICY.lease_s + 1)
    assert outbox.claim(engine, "w2", POLICY, now=later) == [item_id]
    state = await outbox.deliver(engine, _mailer(smtp_sink), item_id, POLICY)
    assert state is OutboxState.SENT
    item = _item(engine, item_id)
    assert item.ambiguous  # staff can see delivery was uncertain
    assert len({email.message_from_bytes(m)["Message-ID"] for m in smtp_sink.messages}) == 1


async def test_edit_after_approval_revokes_and_nothing_is_sent(engine, smtp_sink) -> None:
    item_id = _approved(engine)
    with session_scope(engine) as s:
        item = s.get(OutboxItem, item_id)
        draft = s.get(Draft, item.draft_id)  # type: ignore[union-attr]
        edit_draft(s, draft, editor="anna", ctx=CTX, body_text="Nieuwe tekst")  # type: ignore[arg-type]
        s.commit()
    result = await outbox.drain(engine, _mailer(smtp_sink), "w1", POLICY)
    assert result.sent == 0 and smtp_sink.messages == []
    with Session(engine) as s:
        assert s.get(OutboxItem, item_id) is None
        assert s.exec(select(Draft)).one().state is DraftState.DRAFT
