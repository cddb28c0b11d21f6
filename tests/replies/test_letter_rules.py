"""Issue 13 point 1: extension notices cannot bypass the rules (real SQLite and PostgreSQL).

Each test would have caught the bug the review found: a notice promising any date on a
case that was never extended, "drukte" as the reason, and a notice approved or sent
after the last day.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Case, Draft, DraftState, OutboxItem, OutboxState
from avgdesk.replies import letter_rules
from avgdesk.replies.drafting import DraftingContext, approve_draft, create_draft
from avgdesk.replies.outbox import OutboxPolicy, claim_one, deliver
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases import lifecycle
from avgdesk.triage.cases.deadlines import AMSTERDAM
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # legal deadline Tue 7 Apr 2026
CTX = DraftingContext(tz=AMSTERDAM)
REASON = "uw gegevens staan in het ticketsysteem, de boekhouding en twee back-ups"


def _open_case(engine: Any, settings: Any) -> None:
    store_local_message(engine, mail(1, body="#access"), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()


def _extend(s: Session, settings: Any, **kw: Any) -> tuple[Case, Draft]:
    case = s.exec(select(Case)).one()
    _, draft = lifecycle.extend_with_notice(
        s, case, by="anna", settings=settings, drafting=CTX, now=RECEIVED + timedelta(days=3), **kw
    )
    return case, draft


def test_no_extension_notice_without_an_extension(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    _open_case(engine, make_settings())
    with session_scope(engine) as s:
        case = s.exec(select(Case)).one()
        with pytest.raises(letter_rules.ExtensionNoticeWithoutExtension) as caught:
            create_draft(
                s,
                case,
                DraftKind.EXTENSION,
                author="anna",
                ctx=CTX,
                fields={
                    "extension_ground": "volume",
                    "extension_reason": "drukte",
                    "new_deadline": "2027-12-31",
                },
            )
        assert "Verlengen" in caught.value.staff_message


def test_workload_is_no_ground_and_an_explanation_is_required(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    _open_case(engine, settings)
    with session_scope(engine) as s:
        with pytest.raises(letter_rules.ExtensionGroundRequired, match="not one of"):
            _extend(s, settings, reason="het is erg druk bij ons deze maand", ground="drukte")
        with pytest.raises(letter_rules.ExtensionGroundRequired):
            _extend(s, settings, reason="drukte", ground="volume")
        with pytest.raises(letter_rules.ExtensionGroundRequired):
            _extend(s, settings, reason=REASON, ground=None)


def test_notice_dates_come_from_the_computed_deadline(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    _open_case(engine, settings)
    with session_scope(engine) as s:
        case, draft = _extend(s, settings, reason=REASON, ground="spread")
        assert draft.render_error is None
        assert draft.fields["new_deadline"] == case.extended_deadline.isoformat() == "2026-06-05"
        assert "5 juni 2026" in draft.body_text and "verschillende systemen" in draft.body_text
        with pytest.raises(letter_rules.ExtensionNoticeWithoutExtension, match="differs"):
            create_draft(
                s,
                case,
                DraftKind.EXTENSION,
                author="anna",
                ctx=CTX,
                fields={
                    "extension_ground": "volume",
                    "extension_reason": REASON,
                    "new_deadline": "2027-12-31",
                },
            )


def test_approving_after_the_last_day_is_refused_in_dutch(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    _open_case(engine, settings)
    with session_scope(engine) as s:
        _, draft = _extend(s, settings, reason=REASON, ground="volume")
        late = datetime(2026, 4, 7, 22, 30, tzinfo=UTC)  # 00:30 on 8 April in Amsterdam
        with pytest.raises(letter_rules.ExtensionNoticeLate) as caught:
            approve_draft(s, draft, approver="bert", ctx=CTX, now=late)
        assert "07-04-2026" in caught.value.staff_message
        assert "artikel 12 lid 3 AVG" in caught.value.staff_message
        # The last minute of the last day is still in time.
        approve_draft(s, draft, approver="bert", ctx=CTX, now=datetime(2026, 4, 7, 21, 59, tzinfo=UTC))


class _RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, raw: bytes, *, sender: str, recipients: list[str]) -> Any:
        self.sent.append(raw)
        raise AssertionError("a late extension notice must never reach SMTP")


def test_outbox_refuses_to_send_a_notice_after_its_last_day(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    _open_case(engine, settings)
    with session_scope(engine) as s:
        case, draft = _extend(s, settings, reason=REASON, ground="volume")
        approve_draft(s, draft, approver="bert", ctx=CTX, now=RECEIVED + timedelta(days=4))
        # The worker was down until after the last day: the queued notice is now late.
        case.legal_deadline = date(2026, 3, 10)
        s.commit()
    policy = OutboxPolicy()
    item_id = claim_one(engine, "w1", policy)
    assert item_id is not None
    mailer = _RecordingMailer()
    state = asyncio.run(deliver(engine, mailer, item_id, policy, "w1"))  # type: ignore[arg-type]
    assert state is OutboxState.FAILED and mailer.sent == []
    with Session(engine) as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None and "after its last day" in (item.last_error or "")
        assert s.exec(select(Draft).where(Draft.kind == "extension")).one().state is DraftState.FAILED


def test_acknowledgement_promises_the_internal_target_signed_by_the_team(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    # Issue 13 point 13: received 19 Nov 2026 -> legal Mon 21 Dec; 30 days = Sat 19 Dec ->
    # target Fri 18 Dec. The customer is promised the 18th, not the 21st.
    store_local_message(engine, mail(1, body="#access"), received_at=datetime(2026, 11, 19, 10, tzinfo=UTC))
    Processor(engine, make_settings(), classifier=FixedLabels()).drain()
    with Session(engine) as s:
        ack = s.exec(select(Draft).where(Draft.kind == "acknowledgement")).one()
    text = " ".join(ack.body_text.split())
    assert "uiterlijk 18 december 2026 een inhoudelijk antwoord" in text
    assert "21 december" not in text
    assert "Het privacyteam van NHMB software" in text and "system:" not in text
