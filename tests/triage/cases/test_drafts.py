"""Draft use cases (triage.cases.drafts): create, edit with kept versions and their
difference, approve exactly the version read, discard, bulk approval of acknowledgements
under the single-approval rules — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, col, select

from avgdesk.models.errors import (
    ApproverRequired,
    DraftChanged,
    DraftNotEditable,
    DraftNotFound,
    FourEyesRule,
    UnknownChoice,
)
from avgdesk.models.tables import AuditEvent, Case, Draft, DraftState, OutboxItem, User
from avgdesk.models.vocabulary import Role
from avgdesk.triage.cases import drafts
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def _seed(engine: Any, settings: Any, n: int = 1) -> list[str]:
    for i in range(1, n + 1):
        store_local_message(engine, mail(i, sender=f"k{i}@example.nl", body="#access"), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        s.add(User(username="anna", password_hash="x", role=Role.APPROVER))
        s.add(User(username="bert", password_hash="x", role=Role.APPROVER))
        s.add(User(username="mo", password_hash="x", role=Role.MEDEWERKER))
        s.commit()
        return [c.reference for c in s.exec(select(Case).order_by(col(Case.reference)))]


def _draft(engine: Any, draft_id: int) -> Draft:
    with Session(engine) as s:
        d = s.get(Draft, draft_id)
        assert d is not None
        return d


def test_create_edit_keeps_every_version_with_its_difference(engine, make_settings) -> None:
    settings = make_settings()
    [ref] = _seed(engine, settings)
    with pytest.raises(UnknownChoice):
        drafts.create(engine, settings, ref, "love_letter", by="anna")
    created = drafts.create(engine, settings, ref, "acknowledgement", by="anna")
    assert created.version == 1 and created.state == "draft" and created.render_error is None
    original = _draft(engine, created.draft_id)
    edited = drafts.edit(
        engine,
        settings,
        created.draft_id,
        by="mo",
        subject=original.subject,
        body_text=original.body_text + "\nPS: wij bellen u nog.",
        expected_version=1,
    )
    assert edited.version == 2
    with Session(engine) as s:
        kept = drafts.versions(s, created.draft_id)
        assert drafts.has_manual_text(s, created.draft_id)
    assert [(v.version, v.how, v.editor) for v in kept] == [(1, "create", "anna"), (2, "text", "mo")]
    diff = drafts.version_diff(kept[0], kept[1])
    assert ("added", "PS: wij bellen u nog.") in diff
    assert not [line for kind, line in diff if kind == "removed"]
    # An edit made to an older version than the current one is refused: nothing is lost silently.
    with pytest.raises(DraftChanged) as refused:
        drafts.edit(engine, settings, created.draft_id, by="anna", body_text="oud", expected_version=1)
    assert "intussen gewijzigd" in refused.value.staff_message
    assert "PS: wij bellen u nog." in _draft(engine, created.draft_id).body_text


def test_worker_drafts_get_their_first_version_kept_on_the_first_edit(engine, make_settings) -> None:
    settings = make_settings()
    _seed(engine, settings)
    with Session(engine) as s:
        ack = s.exec(select(Draft).where(Draft.kind == "acknowledgement")).one()  # made by the worker
    drafts.edit(engine, settings, ack.id or 0, by="mo", body_text="Beste klant,\n\nOntvangen.\n")
    drafts.edit(engine, settings, ack.id or 0, by="mo", fields={})
    with Session(engine) as s:
        kept = drafts.versions(s, ack.id or 0)
        assert not drafts.has_manual_text(s, ack.id or 0)  # rebuilt from the template since
    assert [(v.version, v.how) for v in kept] == [(1, "snapshot"), (2, "text"), (3, "fields")]
    assert kept[0].body_text == ack.body_text and kept[1].body_text == "Beste klant,\n\nOntvangen.\n"


def test_a_saved_text_gets_an_html_part_without_hard_wraps(engine, make_settings) -> None:
    settings = make_settings()
    [ref] = _seed(engine, settings)
    created = drafts.create(engine, settings, ref, "acknowledgement", by="anna")
    text = _draft(engine, created.draft_id).body_text
    assert max(len(line) for line in text.splitlines()) <= 72  # the text part is wrapped
    drafts.edit(engine, settings, created.draft_id, by="anna", body_text=text)
    html = _draft(engine, created.draft_id).body_html or ""
    paragraph = max(text.split("\n\n"), key=len)
    first, second = paragraph.split("\n")[:2]
    assert len(first) > 55  # a paragraph that was wrapped because the next word did not fit
    assert f"{first.strip()} {second.strip()}" in html.replace("<br>\n", "\n")


def test_approve_exactly_the_version_read_with_roles_and_four_eyes(engine, make_settings) -> None:
    settings = make_settings(four_eyes=True)
    [ref] = _seed(engine, settings)
    created = drafts.create(engine, settings, ref, "acknowledgement", by="anna")
    with pytest.raises(ApproverRequired) as refused:
        drafts.approve(engine, settings, created.draft_id, by="mo")  # a medewerker
    assert "mag geen brieven goedkeuren (rol medewerker)" in refused.value.staff_message
    with pytest.raises(FourEyesRule):
        drafts.approve(engine, settings, created.draft_id, by="anna")  # the author
    with pytest.raises(DraftChanged):
        drafts.approve(engine, settings, created.draft_id, by="bert", expected_version=7)
    result = drafts.approve(engine, settings, created.draft_id, by="bert", expected_version=1)
    assert result.state == "approved" and result.outbox_id is not None and result.message_id
    with pytest.raises(DraftNotFound):
        drafts.approve(engine, settings, 99999, by="bert")


def test_discard_revokes_an_unsent_approval_and_is_final(engine, make_settings) -> None:
    settings = make_settings()
    [ref] = _seed(engine, settings)
    created = drafts.create(engine, settings, ref, "acknowledgement", by="anna")
    drafts.approve(engine, settings, created.draft_id, by="bert")
    assert drafts.discard(engine, created.draft_id, by="anna").state == "discarded"
    with Session(engine) as s:
        assert s.exec(select(OutboxItem).where(OutboxItem.draft_id == created.draft_id)).first() is None
    with pytest.raises(DraftNotEditable):
        drafts.discard(engine, created.draft_id, by="anna")
    with pytest.raises(DraftNotEditable):
        drafts.edit(engine, settings, created.draft_id, by="anna", body_text="x")


def test_bulk_approval_audits_each_and_applies_the_single_approval_rules(engine, make_settings) -> None:
    settings = make_settings(four_eyes=True)
    refs = _seed(engine, settings, n=3)
    with Session(engine) as s:
        pending = drafts.pending_acknowledgements(s)
    assert [c.reference for _, c in pending] == refs
    ids = [d.id or 0 for d, _ in pending]
    # bert edited the second acknowledgement: four eyes keeps him from approving it.
    drafts.edit(engine, settings, ids[1], by="bert", body_text="Beste klant,\n\nOntvangen.\n")
    extension_like = drafts.create(engine, settings, refs[2], "access", by="anna", fields={})
    outcomes = drafts.approve_acknowledgements(
        engine, settings, [*ids, extension_like.draft_id, 424242], by="bert"
    )
    assert [(o.draft_id, o.approved) for o in outcomes] == [
        (ids[0], True),
        (ids[1], False),
        (ids[2], True),
        (extension_like.draft_id, False),
        (424242, False),
    ]
    assert "Vier ogen" in (outcomes[1].reason or "") and outcomes[1].reference == refs[1]
    assert "Alleen ontvangstbevestigingen" in (outcomes[3].reason or "")
    with Session(engine) as s:
        approved = list(s.exec(select(AuditEvent).where(AuditEvent.action == "draft.approved")))
        states = {d.id: d.state for d in s.exec(select(Draft))}
    assert sorted(e.detail["draft_id"] for e in approved) == sorted([ids[0], ids[2]])  # one event each
    assert all(e.actor == "bert" for e in approved)
    assert states[ids[1]] is DraftState.DRAFT
    # A medewerker approves nothing, each refusal reported.
    rest = drafts.approve_acknowledgements(engine, settings, [ids[1]], by="mo")
    assert not rest[0].approved and "mag geen brieven goedkeuren" in (rest[0].reason or "")


def test_german_is_refused_in_dutch_when_the_profile_has_no_german_texts(
    engine: Any, make_settings: Any, tmp_path: Any
) -> None:
    """Staff who choose Duits get a reason they can act on, not an English letter labelled German."""
    from avgdesk.replies.profile import default_profile_path

    profile = tmp_path / "controller.toml"
    text = default_profile_path().read_text(encoding="utf-8")
    profile.write_text(text.replace(', de = "Niederlande"', "", 1), encoding="utf-8")
    settings = make_settings(controller_profile=profile)
    [ref] = _seed(engine, settings)
    with pytest.raises(UnknownChoice) as refused:
        drafts.create(engine, settings, ref, "acknowledgement", by="anna", language="de")
    assert "organisatieprofiel" in refused.value.staff_message and "Duits" in refused.value.staff_message
    english = drafts.create(engine, settings, ref, "acknowledgement", by="anna", language="en")
    assert english.render_error is None
    with pytest.raises(UnknownChoice, match="unknown reply language"):
        drafts.create(engine, make_settings(), ref, "acknowledgement", by="anna", language="fr")


def test_an_approval_and_a_save_at_once_never_send_the_old_text(engine, make_settings, monkeypatch) -> None:
    """Attack review (PostgreSQL): both passed the version check on an unlocked read, so the
    mail went out as version 1 while the row said version 2 was approved. Now the draft row is
    locked for the write: one of the two waits and then sees the other's result."""
    import threading
    import time

    settings = make_settings()
    [ref] = _seed(engine, settings)
    created = drafts.create(engine, settings, ref, "acknowledgement", by="mo")
    check = drafts._check_version

    def slowed(draft: Draft, expected: int | None) -> None:
        check(draft, expected)
        time.sleep(0.3)  # both have read version 1 before either writes

    monkeypatch.setattr(drafts, "_check_version", slowed)
    errors: list[str] = []

    def run(step: Any) -> None:
        try:
            step()
        except DraftChanged:
            errors.append("changed")

    steps = [
        lambda: drafts.approve(engine, settings, created.draft_id, by="anna", expected_version=1),
        lambda: drafts.edit(
            engine, settings, created.draft_id, by="mo", body_text="Nieuw", expected_version=1
        ),
    ]
    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    final = _draft(engine, created.draft_id)
    with Session(engine) as s:
        queued = s.exec(select(OutboxItem).where(OutboxItem.draft_id == created.draft_id)).all()
    if final.state is DraftState.APPROVED:
        # The approval came last: what is queued is the text the row holds.
        assert final.approved_version == final.version and len(queued) == 1
        assert final.body_text.split()[0].encode() in queued[0].raw
    else:
        # The save came last (revoking the approval) or the approval saw the new version.
        assert final.state is DraftState.DRAFT and final.body_text == "Nieuw"
        assert not queued  # a revoked approval takes its queued mail with it


def test_a_refused_approver_is_named_by_the_dutch_role(engine, make_settings) -> None:
    """Staff read 'rol goedkeurder', not the internal 'approver' (attack review)."""
    settings = make_settings()
    [ref] = _seed(engine, settings)
    created = drafts.create(engine, settings, ref, "acknowledgement", by="anna")
    with Session(engine) as s:
        bert = s.exec(select(User).where(User.username == "bert")).one()
        bert.active = False
        s.commit()
    with pytest.raises(ApproverRequired) as refused:
        drafts.approve(engine, settings, created.draft_id, by="bert")
    assert "(rol goedkeurder)" in refused.value.staff_message
