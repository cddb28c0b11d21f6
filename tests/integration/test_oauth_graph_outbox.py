"""The unchanged outbox sending through Graph: approved bytes once, throttling retried,
a timeout after the request ambiguous and resent with the same Message-ID, 403 failed."""

from __future__ import annotations

import email
import email.utils
from datetime import UTC, datetime
from typing import Any

from helpers import until
from oauth_fixtures import MAILBOX, OAuthEnv
from sqlmodel import Session

from avgdesk.mailbox.graph import GraphMailer, GraphParams
from avgdesk.mailbox.oauth import MICROSOFT_GRAPH_SCOPE, make_token_provider
from avgdesk.models.engine import session_scope
from avgdesk.models.tables import OutboxItem, OutboxState
from avgdesk.replies import outbox
from avgdesk.replies.outbox import OutboxPolicy

POLICY = OutboxPolicy(
    lease_s=5, retry_initial_s=0.01, retry_max_s=0.02, deliver_for_s=3600, ambiguous_retries=1
)


def _queue(engine: Any, n: int = 1) -> int:
    with session_scope(engine) as s:
        msg = email.message.EmailMessage()
        msg["From"] = MAILBOX
        msg["To"] = "team@nhmbsoftware.nl"
        msg["Subject"] = "Overzicht"
        msg["Message-ID"] = f"<graph{n}.{datetime.now(UTC).timestamp()}@nhmbsoftware.nl>"
        msg["Auto-Submitted"] = "auto-generated"
        msg["Date"] = email.utils.format_datetime(datetime.now(UTC))
        msg.set_content("tekst")
        item = outbox.enqueue_internal(s, msg, kind="summary", recipients=["team@nhmbsoftware.nl"])
        s.commit()
        assert item.id is not None
        return item.id


def _item(engine: Any, item_id: int) -> OutboxItem:
    with Session(engine) as s:
        item = s.get(OutboxItem, item_id)
        assert item is not None
        return item


def _mailer(oauth: OAuthEnv, timeout_s: float = 5.0) -> GraphMailer:
    provider = make_token_provider(oauth.microsoft(), MICROSOFT_GRAPH_SCOPE)
    return GraphMailer(GraphParams(MAILBOX, provider, oauth.stub.base_url, 2.0, timeout_s, oauth.tls.ca_file))


def _due(engine: Any, item_id: int) -> bool:
    """The retry time the outbox set after the failure has come (the next drain takes it)."""
    return _item(engine, item_id).next_attempt_at <= datetime.now(UTC)


async def test_outbox_through_graph(oauth: OAuthEnv, engine: Any) -> None:
    item_id = _queue(engine)
    oauth.stub.graph_mode = "429"
    first = await outbox.drain(engine, _mailer(oauth), "w1", POLICY)
    assert first.retry == 1 and _item(engine, item_id).state is OutboxState.RETRY
    assert "429" in (_item(engine, item_id).last_error or "")
    await until(lambda: _due(engine, item_id))
    oauth.stub.graph_mode = "ok"
    second = await outbox.drain(engine, _mailer(oauth), "w1", POLICY)
    assert second.sent == 1 and _item(engine, item_id).state is OutboxState.SENT
    [call] = oauth.stub.graph_calls
    assert call.mime == _item(engine, item_id).raw


async def test_graph_timeout_is_ambiguous_and_resent_with_the_same_id(oauth: OAuthEnv, engine: Any) -> None:
    item_id = _queue(engine, 2)
    oauth.stub.graph_mode = "hang:2"
    first = await outbox.drain(engine, _mailer(oauth, timeout_s=0.5), "w1", POLICY)
    assert first.retry == 1 and _item(engine, item_id).ambiguous
    await until(lambda: _due(engine, item_id))
    oauth.stub.graph_mode = "ok"
    second = await outbox.drain(engine, _mailer(oauth), "w1", POLICY)
    assert second.sent == 1
    ids = {email.message_from_bytes(c.mime)["Message-ID"] for c in oauth.stub.graph_calls}
    assert len(oauth.stub.graph_calls) == 2 and len(ids) == 1  # a duplicate at worst, the same mail


async def test_graph_403_fails_the_item_with_the_fix(oauth: OAuthEnv, engine: Any) -> None:
    item_id = _queue(engine, 3)
    oauth.stub.graph_mode = "403"
    result = await outbox.drain(engine, _mailer(oauth), "w1", POLICY)
    item = _item(engine, item_id)
    assert result.failed == 1 and item.state is OutboxState.FAILED
    assert "ErrorAccessDenied" in (item.last_error or "") and "Mail.Send" in (item.last_error or "")
