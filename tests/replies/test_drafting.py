"""Approval rules: named approver, roles, four eyes, unrenderable and edited drafts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from avgdesk.models.engine import session_scope
from avgdesk.models.errors import InvalidOperation
from avgdesk.models.tables import Case, Draft, DraftState, OutboxItem, User
from avgdesk.replies.drafting import DraftingContext, approve_draft, create_draft, edit_draft
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases.deadlines import AMSTERDAM

CTX = DraftingContext(tz=AMSTERDAM)


def _case(s):  # type: ignore[no-untyped-def]
    case = Case(
        reference="AVG-2026-0007",
        requester_email="k@example.nl",
        requester_name="K. Klant",
        rights=["access", "erasure"],
        received_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        legal_deadline=date(2026, 4, 7),
        due_date=date(2026, 4, 7),
    )
    s.add(case)
    s.flush()
    return case


def test_message_id_is_fixed_at_creation_and_kept_through_edits_and_approval(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        draft = create_draft(s, _case(s), DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=CTX)
        mid = draft.message_id
        edit_draft(s, draft, editor="anna", ctx=CTX, body_text="Beste klant,\n\nWij hebben uw verzoek.")
        item = approve_draft(s, draft, approver="bert", ctx=CTX)
        assert draft.message_id == mid == item.message_id
        assert draft.version == 2 and draft.approved_version == 2 and draft.approved_by == "bert"
        assert b"Wij hebben uw verzoek." in item.raw


def test_four_eyes_and_roles(engine) -> None:  # type: ignore[no-untyped-def]
    ctx = DraftingContext(tz=AMSTERDAM, four_eyes=True)
    with session_scope(engine) as s:
        s.add(User(username="carla", password_hash="x", role="medewerker"))
        draft = create_draft(s, _case(s), DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=ctx)
        with pytest.raises(InvalidOperation, match="four-eyes"):
            approve_draft(s, draft, approver="anna", ctx=ctx)
        with pytest.raises(InvalidOperation, match="may not approve"):
            approve_draft(s, draft, approver="carla", ctx=ctx)
        with pytest.raises(InvalidOperation, match="name of the approver"):
            approve_draft(s, draft, approver="  ", ctx=ctx)
        approve_draft(s, draft, approver="bert", ctx=ctx)
        with pytest.raises(InvalidOperation, match="not a draft awaiting approval"):
            approve_draft(s, draft, approver="bert", ctx=ctx)


def test_a_draft_that_does_not_render_is_kept_but_never_approved(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        draft = create_draft(s, _case(s), DraftKind.RECTIFICATION, author="anna", ctx=CTX, fields={})
        assert draft.render_error and "corrections" in draft.render_error
        with pytest.raises(InvalidOperation, match="did not render"):
            approve_draft(s, draft, approver="bert", ctx=CTX)
        edit_draft(
            s,
            draft,
            editor="anna",
            ctx=CTX,
            fields={"corrections": ["uw adres is nu Dorpsstraat 5 in Zevenaar"]},
        )
        assert draft.render_error is None and "Dorpsstraat 5" in draft.body_text
        approve_draft(s, draft, approver="bert", ctx=CTX)
        s.commit()
    with session_scope(engine) as s:
        assert len(s.exec(select(OutboxItem)).all()) == 1
        assert s.exec(select(Draft)).one().state is DraftState.APPROVED


def test_an_automatic_draft_gets_its_html_part_when_approved(engine) -> None:  # type: ignore[no-untyped-def]
    """Issue 16: the worker's drafts store no HTML; approving makes the template's HTML
    (the same rendering as the stored text), keeps it, and sends it."""
    with session_scope(engine) as s:
        case = _case(s)
        auto = create_draft(
            s, case, DraftKind.ACKNOWLEDGEMENT, author="system:triage", ctx=CTX, automatic=True
        )
        staff = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=CTX)
        assert auto.body_html is None and staff.body_html
        template_html = create_draft(
            s, case, DraftKind.ACKNOWLEDGEMENT, author="system:triage", ctx=CTX
        ).body_html
        assert template_html and "<html" in template_html
        item = approve_draft(s, auto, approver="bert", ctx=CTX)
        assert auto.body_html == template_html
        assert b"max-width:640px" in item.raw  # the template's layout, not the text fallback


def test_html_part_falls_back_to_the_text_when_the_case_changed(engine) -> None:  # type: ignore[no-untyped-def]
    """A date moved since the draft was made: the template would say something else than
    the stored text, so the HTML is made from the text (the two parts never disagree)."""
    from avgdesk.replies.drafting import html_part

    with session_scope(engine) as s:
        case = _case(s)
        draft = create_draft(
            s, case, DraftKind.ACKNOWLEDGEMENT, author="system:triage", ctx=CTX, automatic=True
        )
        case.internal_target = date(2026, 3, 20)
        case.due_date = date(2026, 3, 20)
        html = html_part(draft, case, CTX)
        assert "max-width:640px" not in html and "<p>" in html
        assert "20 maart" not in html


def test_add_draft_keeps_back_exactly_the_row_create_draft_makes(engine) -> None:  # type: ignore[no-untyped-def]
    """Issue 16's row path (a processing batch keeps rows back and has draft ids) against the
    ORM object of create_draft: every column equal (id, Message-ID and clocks aside), the
    audit event too, including a draft that fails to render and one with fields."""
    from itertools import count

    from sqlalchemy import text

    from avgdesk.models.tables import AuditEvent
    from avgdesk.replies.drafting import AUDIT_ROWS_KEY, DRAFT_IDS_KEY, PENDING_ROWS_KEY, add_draft

    kinds = [
        (DraftKind.ACKNOWLEDGEMENT, None, True),
        (DraftKind.OBJECTION, {"suppression_list": True}, True),
        (DraftKind.IDENTITY_REQUEST, {"id_copy_requested": True}, True),  # no reason: render error
        (DraftKind.ACKNOWLEDGEMENT, None, False),  # a person's draft: with its HTML part
    ]
    with session_scope(engine) as s:
        case = _case(s)
        for kind, fields, automatic in kinds:
            create_draft(s, case, kind, author="system:triage", ctx=CTX, fields=fields, automatic=automatic)
        s.flush()
        pending: dict = {}  # type: ignore[type-arg]
        audit_rows: list = []  # type: ignore[type-arg]
        ids = count(1000)
        s.info.update(
            {PENDING_ROWS_KEY: pending, DRAFT_IDS_KEY: lambda: next(ids), AUDIT_ROWS_KEY: audit_rows}
        )
        for kind, fields, automatic in kinds:
            add_draft(s, case, kind, author="system:triage", ctx=CTX, fields=fields, automatic=automatic)
        for key in (PENDING_ROWS_KEY, DRAFT_IDS_KEY, AUDIT_ROWS_KEY):
            del s.info[key]
        assert list(pending) == [Draft.__table__] and len(pending[Draft.__table__]) == len(kinds)  # type: ignore[attr-defined]
        s.connection().execute(Draft.__table__.insert(), pending[Draft.__table__])  # type: ignore[attr-defined]
        for row in audit_rows:
            s.add(AuditEvent(**row))
        s.commit()
        volatile = {"id", "message_id", "created_at", "updated_at"}
        drafts = [
            {k: v for k, v in r._mapping.items() if k not in volatile}
            for r in s.connection().execute(text("SELECT * FROM draft ORDER BY id"))
        ]
        events = [
            (
                e.action,
                {k: v for k, v in e.detail.items() if k != "draft_id"},
                e.detail["draft_id"] is not None,
            )
            for e in s.exec(
                select(AuditEvent).where(AuditEvent.action == "draft.created").order_by(AuditEvent.id)
            )
        ]
    n = len(kinds)
    assert drafts[:n] == drafts[n:] and drafts[2]["render_error"] and drafts[3]["body_html"]
    assert events[:n] == events[n:]
