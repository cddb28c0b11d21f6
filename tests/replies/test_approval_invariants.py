"""Random sequences of edits, approvals, revocations, sends and crashes: every mail that
reaches the SMTP server equals an approved version, and nothing unapproved ever does."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from avgdesk.mailbox.smtp import SmtpMailer, SmtpParams
from avgdesk.models.engine import make_engine, session_scope
from avgdesk.models.errors import InvalidOperation
from avgdesk.models.migrate import upgrade
from avgdesk.models.tables import Case, Draft, DraftState
from avgdesk.replies import outbox
from avgdesk.replies.drafting import DraftingContext, approve_draft, create_draft, discard_draft, edit_draft
from avgdesk.replies.outbox import OutboxPolicy
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases.deadlines import AMSTERDAM

POLICY = OutboxPolicy(lease_s=60, retry_initial_s=0.0, retry_max_s=0.0, deliver_for_s=3600)
CTX = DraftingContext(tz=AMSTERDAM, outbox=POLICY)
OPS = st.lists(
    st.sampled_from(["edit", "approve", "send", "crash_mid_send", "fail_451", "discard", "new_draft"]),
    min_size=1,
    max_size=14,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, data=st.data())
def test_only_approved_bytes_are_ever_sent(ops: list[str], data: Any, smtp_sink: Any) -> None:
    smtp_sink.messages.clear()
    smtp_sink.mode = "ok"
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{folder / 'db.sqlite3'}")
    upgrade(engine)
    mailer = SmtpMailer(SmtpParams(host="127.0.0.1", port=smtp_sink.port, security="none", timeout_s=5))
    approved_digests: set[str] = set()
    clock = [datetime.now(UTC)]
    with session_scope(engine) as s:
        case = Case(
            reference="AVG-2026-0001",
            requester_email="k@example.nl",
            rights=["access"],
            received_at=datetime(2026, 11, 2, tzinfo=UTC),
            due_date=datetime(2026, 12, 2).date(),
        )
        s.add(case)
        s.flush()
        create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=CTX)
        s.commit()

    def drafts(session: Session) -> list[Draft]:
        from sqlmodel import select

        return list(session.exec(select(Draft)))

    for op in ops:
        with session_scope(engine) as s:
            pool = drafts(s)
            draft = data.draw(st.sampled_from(pool))
            try:
                if op == "edit":
                    edit_draft(
                        s, draft, editor="anna", ctx=CTX, body_text=f"Tekst {data.draw(st.integers(0, 999))}"
                    )
                elif op == "approve":
                    approve_draft(s, draft, approver="bert", ctx=CTX)
                    assert draft.approved_sha256 is not None
                    approved_digests.add(draft.approved_sha256)
                elif op == "discard":
                    discard_draft(s, draft, by="anna")
                elif op == "new_draft":
                    case = s.get(Case, draft.case_id)
                    assert case is not None
                    create_draft(
                        s,
                        case,
                        DraftKind.ACCESS,
                        author="anna",
                        ctx=CTX,
                        fields={"attachment_name": "export.pdf"},
                    )
                s.commit()
            except InvalidOperation:
                s.rollback()
        if op == "send":
            asyncio.run(outbox.drain(engine, mailer, "w1", POLICY))
        elif op == "fail_451":
            smtp_sink.mode = "451"
            asyncio.run(outbox.drain(engine, mailer, "w1", POLICY))
            smtp_sink.mode = "ok"
        elif op == "crash_mid_send":
            # A worker claims and dies; time passes beyond the lease.
            outbox.claim(engine, "dead", POLICY, now=clock[0])
            clock[0] += timedelta(seconds=POLICY.lease_s + 1)
            for item_id in outbox.claim(engine, "w2", POLICY, now=clock[0]):
                asyncio.run(outbox.deliver(engine, mailer, item_id, POLICY))

    asyncio.run(outbox.drain(engine, mailer, "w1", POLICY))
    for raw in smtp_sink.messages:
        assert outbox.raw_digest(raw) in approved_digests
    with Session(engine) as s:
        for d in drafts(s):
            if d.state is DraftState.SENT:
                assert d.approved_sha256 in approved_digests
    engine.dispose()
