"""A reply whose delivery is uncertain says so on its page: "mogelijk twee keer verzonden"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from avgdesk.models.engine import session_scope
from avgdesk.models.tables import Draft, DraftState, OutboxItem, OutboxState
from avgdesk.replies.drafting import approve_draft
from avgdesk.triage.drafting_config import drafting_context


def test_the_draft_page_warns_when_a_reply_may_have_been_sent_twice(
    client: Any, login: Any, web_engine: Any, web_settings: Any
) -> None:
    with session_scope(web_engine) as s:
        draft = s.execute(select(Draft).where(Draft.state == DraftState.DRAFT)).scalars().first()
        assert draft is not None and draft.id is not None
        approve_draft(s, draft, approver="goedkeurder", ctx=drafting_context(web_settings))
        s.commit()
        draft_id = draft.id
    login(client, "mw")
    assert "Mogelijk twee keer verzonden" not in client.get(f"/drafts/{draft_id}").text
    with session_scope(web_engine) as s:
        item = s.execute(select(OutboxItem).where(OutboxItem.draft_id == draft_id)).scalar_one()
        item.state, item.ambiguous, item.uncertain_attempts = OutboxState.AMBIGUOUS, True, 2
        s.commit()
    page = client.get(f"/drafts/{draft_id}")
    assert page.status_code == 200
    assert "Mogelijk twee keer verzonden" in page.text
    assert "mogelijk twee keer bezorgd" in page.text
