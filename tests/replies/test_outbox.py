"""The outbox without a server: what ends up in the approved bytes."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Case
from avgdesk.replies.drafting import DraftingContext, approve_draft, create_draft
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


@pytest.mark.parametrize("name", ["Eve\r\nBcc: victim@example.com", "=?utf-8?b?RXZlDQpCY2M6IHg=?="])
def test_case_data_cannot_inject_headers(engine, name: str) -> None:
    with session_scope(engine) as s:
        case = _case(s, name=name)
        draft = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=CTX)
        draft.subject = "Onderwerp\r\nBcc: victim@example.com"
        item = approve_draft(s, draft, approver="bert", ctx=CTX)
        msg = email.message_from_bytes(item.raw, policy=email.policy.default)
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["Subject"]) and "\n" not in str(msg["To"])
