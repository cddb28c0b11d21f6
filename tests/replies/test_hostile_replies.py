"""Issue 11: attacks on replies (four-eyes bypass, To-header injection), one test each."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from avgdesk.models.engine import session_scope
from avgdesk.models.errors import InvalidOperation
from avgdesk.models.tables import Case, Draft
from avgdesk.replies.drafting import DraftingContext, approve_draft, build_message, create_draft, edit_draft
from avgdesk.replies.profile import load_profile
from avgdesk.replies.rendering import DraftKind
from avgdesk.triage.cases.deadlines import AMSTERDAM

FOUR_EYES = DraftingContext(tz=AMSTERDAM, four_eyes=True)
NOW = datetime(2026, 3, 6, 9, tzinfo=UTC)


def _case(
    s: Any, name: str | None = "K. Klant", email_addr: str = "k@example.nl", reference: str = "AVG-2026-0011"
) -> Case:
    case = Case(
        reference=reference,
        requester_email=email_addr,
        requester_name=name,
        rights=["access"],
        received_at=datetime(2026, 3, 5, 10, tzinfo=UTC),
        legal_deadline=date(2026, 4, 7),
        due_date=date(2026, 4, 7),
    )
    s.add(case)
    s.flush()
    return case


def test_four_eyes_bypass_by_rewriting_the_system_draft_is_refused(engine: Any) -> None:
    with session_scope(engine) as s:
        case = _case(s)
        draft = create_draft(
            s, case, DraftKind.ACKNOWLEDGEMENT, author="system:triage", ctx=FOUR_EYES, automatic=True
        )
        edit_draft(s, draft, editor="bert", ctx=FOUR_EYES, body_text="Geachte klant,\n\nAnders.")
        assert draft.editors == ["bert"]
        with pytest.raises(InvalidOperation, match="four-eyes") as refused:
            approve_draft(s, draft, approver="bert", ctx=FOUR_EYES)
        assert "Vier ogen" in getattr(refused.value, "staff_message", "Vier ogen")
        # Someone who did not touch it may approve: the system author is no person.
        approve_draft(s, draft, approver="carla", ctx=FOUR_EYES)
        s.commit()
    with session_scope(engine) as s:
        stored = s.get(Draft, draft.id)
        assert stored is not None and stored.editors == ["bert"] and stored.approved_by == "carla"


def test_four_eyes_counts_every_editor_and_the_author(engine: Any) -> None:
    with session_scope(engine) as s:
        draft = create_draft(s, _case(s), DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=FOUR_EYES)
        edit_draft(s, draft, editor="bert", ctx=FOUR_EYES, body_text="Een.")
        edit_draft(s, draft, editor="bert", ctx=FOUR_EYES, body_text="Twee.")
        edit_draft(s, draft, editor="dirk", ctx=FOUR_EYES, body_text="Drie.")
        assert draft.editors == ["bert", "dirk"]
        for person in ("anna", "bert", "dirk"):
            with pytest.raises(InvalidOperation, match="four-eyes"):
                approve_draft(s, draft, approver=person, ctx=FOUR_EYES)
        approve_draft(s, draft, approver="carla", ctx=FOUR_EYES)


@pytest.mark.parametrize(
    "name",
    [
        "x" * 60 + ", evil@evil.example,",
        "Jan de Vries van der Heijden tot Nergens Janssens, evil@evil.example, en",
        "Müller, Hans en nog een heel lange naam die maar doorgaat, evil@evil.example,",
        'Anna "<evil@evil.example>" Jansen',
        "groep: evil@evil.example;",
        "=?utf-8?q?x=2C_evil=40evil=2Eexample=2C?=",
    ],
)
def test_to_header_injection_by_display_name_never_adds_a_recipient(engine: Any, name: str) -> None:
    with session_scope(engine) as s:
        case = _case(s, name=name)
        draft = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=FOUR_EYES)
        msg = build_message(draft, case, load_profile(), now=NOW, tz=AMSTERDAM)
    sent = email.message_from_bytes(msg.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)
    assert [a.addr_spec for a in sent["To"].addresses] == ["k@example.nl"]
    assert "evil" not in str(sent["To"])


@pytest.mark.parametrize("name", ["Anna Jansen", "Zoë Bakker-de Wit", "J. O'Neill", "Ærøskøbing Ålesund"])
def test_plain_display_names_are_kept_and_encoded_where_needed(engine: Any, name: str) -> None:
    with session_scope(engine) as s:
        case = _case(s, name=name)
        draft = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=FOUR_EYES)
        msg = build_message(draft, case, load_profile(), now=NOW, tz=AMSTERDAM)
    raw = msg.as_bytes(policy=email.policy.SMTP)
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    (address,) = sent["To"].addresses
    assert address.display_name == name and address.addr_spec == "k@example.nl"
    assert raw.split(b"\r\n\r\n")[0].isascii()  # headers: encoded words, never raw 8-bit


def test_display_name_with_a_phishing_message_never_reaches_the_salutation(engine: Any) -> None:
    lure = "Uw account is geblokkeerd, log in op https://evil.example"
    with session_scope(engine) as s:
        case = _case(s, name=lure)
        draft = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=FOUR_EYES)
        msg = build_message(draft, case, load_profile(), now=NOW, tz=AMSTERDAM)
        named = create_draft(
            s,
            _case(s, name="Müller, Hans", reference="AVG-2026-0012"),
            DraftKind.ACKNOWLEDGEMENT,
            author="anna",
            ctx=FOUR_EYES,
        )
    assert "Geachte heer, mevrouw," in draft.body_text
    assert "evil.example" not in draft.body_text and "geblokkeerd" not in draft.body_text
    assert "evil" not in (draft.body_html or "") and "evil" not in str(msg["To"])
    assert "Geachte Hans Müller," in named.body_text


@pytest.mark.parametrize(
    "address", ["x@[127.0.0.1]", "a:b@example.nl", "@route.example:k@example.nl", "k@example.invalid", ""]
)
def test_approval_to_an_invalid_or_ip_literal_address_fails_in_dutch(engine: Any, address: str) -> None:
    from avgdesk.models.tables import OutboxItem

    with session_scope(engine) as s:
        draft = create_draft(
            s, _case(s, email_addr=address), DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=FOUR_EYES
        )
        with pytest.raises(InvalidOperation, match="no valid recipient") as refused:
            approve_draft(s, draft, approver="carla", ctx=FOUR_EYES)
        assert "kan niet worden verzonden" in getattr(refused.value, "staff_message", "")
        assert s.exec(select(OutboxItem)).all() == []
        assert draft.state.value == "draft"


def _build_unguarded(engine: Any, monkeypatch: pytest.MonkeyPatch, *, name: str, subject: str) -> None:
    """build_message with its first defences (name filter, single-lining) switched off, so
    only the parse-back of the built bytes stands between a crafted value and the mail."""
    from avgdesk.replies import drafting

    monkeypatch.setattr(drafting, "_header_safe_name", lambda value: value)
    monkeypatch.setattr(drafting, "_one_line", lambda value: value)
    with session_scope(engine) as s:
        case = _case(s, name=name)
        draft = create_draft(s, case, DraftKind.ACKNOWLEDGEMENT, author="anna", ctx=FOUR_EYES)
        draft.subject = subject
        build_message(draft, case, load_profile(), now=NOW, tz=AMSTERDAM)


def test_a_built_message_with_a_header_we_did_not_set_is_refused(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The standard library decodes an encoded word in a value it is given and folds its
    CR/LF back raw: a real Bcc header. The parse-back refuses the message."""
    with pytest.raises(InvalidOperation, match="unexpected header"):
        _build_unguarded(
            engine, monkeypatch, name="K. Klant", subject="=?utf-8?q?Uw_verzoek=0D=0ABcc:_evil@evil.example?="
        )


def test_a_built_message_whose_to_names_another_recipient_is_refused(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long display name with ``, evil@evil.example,`` folded without quotes parses as
    three recipients (issue 11, item 4): the parse-back refuses the message."""
    with pytest.raises(InvalidOperation, match="other recipients"):
        _build_unguarded(engine, monkeypatch, name="x" * 60 + ", evil@evil.example,", subject="Uw verzoek")
