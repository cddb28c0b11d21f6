"""The weekly summary through the real outbox to a real SMTP server (aiosmtpd): what the
scheduler queues leaves over SMTP with its envelope and arrives whole. The scheduling rules
themselves are unit-tested on a recording mailer in tests/triage/worker/test_scheduler.py."""

from __future__ import annotations

import email
import email.policy
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from avgdesk.mailbox.smtp import SmtpMailer, SmtpParams
from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Case, CaseState, ScheduledRun
from avgdesk.replies.outbox import drain
from avgdesk.triage.worker.scheduler import scheduler_tick

TZ = ZoneInfo("Europe/Amsterdam")
TEAM = "privacyteam@nhmbsoftware.nl"


async def test_the_summary_is_delivered_over_smtp(engine: Engine, make_settings: Any, smtp_sink: Any) -> None:
    settings = make_settings(worker_id="w1", summary_recipients=[TEAM])
    with session_scope(engine) as s:
        s.add(
            Case(
                reference="AVG-2026-0104",
                state=CaseState.IN_PROGRESS,
                rights=["access"],
                received_at=datetime(2026, 10, 20, 10, tzinfo=TZ),
                due_date=date(2026, 11, 20),
            )
        )
        # A summary sent in an earlier week, so the scheduler knows it has run before.
        s.add(
            ScheduledRun(
                job="summary",
                period="2026-W47",
                claimed_by="old",
                claimed_at=datetime(2026, 1, 5, 8, tzinfo=TZ),
            )
        )
        s.commit()
    queued = await scheduler_tick(settings, engine, datetime(2026, 11, 23, 8, 0, tzinfo=TZ))
    assert [q for q in queued if q.startswith("summary")] == ["summary 2026-W48"]
    mailer = SmtpMailer(SmtpParams(host="127.0.0.1", port=smtp_sink.port, security="none", timeout_s=10))
    result = await drain(engine, mailer, "test-worker")
    assert result.sent == len(queued)
    summaries = [
        (envelope, raw)
        for envelope, raw in zip(smtp_sink.envelopes, smtp_sink.messages, strict=True)
        if envelope[1] == [TEAM]
    ]
    ((envelope, raw),) = summaries
    assert envelope == ("avgdesk@nhmbsoftware.nl", [TEAM])
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"].startswith("Weekoverzicht privacyzaken week 48: 1 open, 1 over de termijn")
    assert [p.get_content_type() for p in msg.walk()][-1] == "image/png"
