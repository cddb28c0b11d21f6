"""Reading cases (triage.cases.queries): search, sort, the backlog snapshot shared by the
dashboard and the weekly summary, and the Dutch timeline — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from helpers import FixedLabels, mail
from sqlmodel import Session, col, select

from avgdesk.models.tables import AuditEvent, Case, CaseState, Draft, DraftState
from avgdesk.triage.cases import actions, drafts, queries, timeline
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)

PEOPLE = [
    ("Marieke Jansen", "m.jansen@example.nl", "Inzage graag", "#access", 0),
    ("Zoë Çelik", "zoe@voorbeeld.nl", "Gegevens wissen aub", "#erasure", 2),
    ("Piet Bakker", "piet@example.nl", "Nieuwsbrief", "#objection #complaint", 4),
    ("Anna de Wit", "anna@example.com", "Klacht 100% onterecht_x", "#complaint", 6),
]


def _seed(engine: Any, settings: Any) -> list[str]:
    for i, (name, addr, subject, body, days) in enumerate(PEOPLE, start=1):
        raw = mail(i, sender=addr, subject=subject, body=body).replace(
            b"From: Klant", f"From: {name}".encode()
        )
        store_local_message(engine, raw, received_at=RECEIVED + timedelta(days=days))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        return [c.reference for c in s.exec(select(Case).order_by(col(Case.reference)))]


def _find(engine: Any, **kw: Any) -> list[str]:
    with Session(engine) as s:
        return [c.reference for c in queries.find_cases(s, queries.QueueFilter(**kw))]


def test_search_by_name_address_reference_fragment_and_subject(engine, make_settings) -> None:
    refs = _seed(engine, make_settings())
    assert _find(engine, query="marieke") == [refs[0]]
    assert _find(engine, query="Zoë") == [refs[1]]
    assert _find(engine, query="voorbeeld.nl") == [refs[1]]
    assert _find(engine, query="0003") == [refs[2]]
    assert _find(engine, query=refs[3].lower()) == [refs[3]]
    assert _find(engine, query="nieuwsbrief") == [refs[2]]  # a word of the subject
    # LIKE wildcards in a search term are literal characters.
    assert _find(engine, query="100%") == [refs[3]]
    assert _find(engine, query="_x") == [refs[3]]
    assert _find(engine, query="%") == [refs[3]]
    assert _find(engine, query="niemand") == []


def test_sort_by_each_column_both_ways(engine, make_settings) -> None:
    refs = _seed(engine, make_settings())
    by_due = _find(engine, sort="due")
    with Session(engine) as s:
        dues = [s.exec(select(Case).where(Case.reference == r)).one().due_date for r in by_due]
    assert dues == sorted(dues)
    assert _find(engine, sort="reference", descending=True) == list(reversed(refs))
    assert _find(engine, sort="requester") == [refs[3], refs[0], refs[2], refs[1]]  # Anna, Marieke, Piet, Zoë
    assert _find(engine, sort="received") == refs
    assert _find(engine, sort="received", descending=True) == list(reversed(refs))


def test_saved_filters_mine_and_awaiting_approval(engine, make_settings) -> None:
    settings = make_settings()
    refs = _seed(engine, settings)
    from avgdesk.models.tables import User
    from avgdesk.models.vocabulary import Role

    with Session(engine) as s:
        s.add(User(username="anna", password_hash="x", role=Role.MEDEWERKER))
        s.commit()
    actions.assign(engine, refs[1], "anna", by="anna")
    assert _find(engine, assignee="anna") == [refs[1]]
    # Every case has its acknowledgement draft: all four wait for approval until it is approved.
    assert sorted(_find(engine, awaiting_approval=True)) == refs
    with Session(engine) as s:
        for d in s.exec(select(Draft).where(Draft.case_id == _id(s, refs[0]))):
            d.state = DraftState.SENT
            s.add(d)
        s.commit()
    assert sorted(_find(engine, awaiting_approval=True)) == refs[1:]


def _id(s: Session, ref: str) -> int:
    return s.exec(select(Case).where(Case.reference == ref)).one().id or 0


def test_backlog_snapshot_counts_in_sql_by_the_shared_definitions(engine, make_settings) -> None:
    settings = make_settings()
    refs = _seed(engine, settings)
    actions.close(engine, refs[3], by="anna", outcome="withdrawn")
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == refs[1])).one()
        case.state = CaseState.AWAITING_APPROVAL
        s.add(case)
        for d in s.exec(select(Draft).where(Draft.case_id == case.id)):
            d.state = DraftState.APPROVED  # no draft waits, but the state says so
            s.add(d)
        s.commit()
    today = date(2026, 4, 7)  # refs[0] and refs[1] (received 5 and 7 March) are due today
    with Session(engine) as s:
        snap = queries.backlog_snapshot(s, today=today)
        dues = {c.reference: c.due_date for c in s.exec(select(Case))}
        expected_by_state = {CaseState.NEW: 2, CaseState.AWAITING_APPROVAL: 1}
        assert snap.open_total == 3 and snap.by_state == expected_by_state
        assert snap.by_right == {"access": 1, "erasure": 1, "objection": 1, "complaint": 1}
        open_dues = [dues[r] for r in refs[:3]]
        assert snap.due_today == open_dues.count(today) == 2 and snap.overdue == 0
        assert snap.due_soon == sum(1 for r in refs[:3] if today <= dues[r] <= today + timedelta(days=7))
        assert snap.awaiting_approval == 3  # two with a draft, one by its state
        # refs[0]; refs[2] twice (its subject "Nieuwsbrief" makes the objection one to direct
        # marketing: the immediate confirmation, and the acknowledgement for its complaint);
        # the withdrawn case's draft was withdrawn with its case (defect 1 of the browser walk).
        assert snap.drafts_awaiting == 1 + 2
        listed = queries.awaiting_approval_cases(s)
    assert [(c.reference, n) for c, n in listed] == [(refs[0], 1), (refs[1], 0), (refs[2], 2)]
    later = date(2026, 6, 1)
    with Session(engine) as s:
        late = queries.backlog_snapshot(s, today=later)
    assert late.overdue == 3 and late.due_soon == 0


def test_timeline_is_dutch_without_keys_or_hashes(engine, make_settings) -> None:
    settings = make_settings()
    refs = _seed(engine, settings)
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == refs[0])).one()
        ack = s.exec(select(Draft).where(Draft.case_id == case.id)).one()
    drafts.edit(engine, settings, ack.id or 0, by="anna", body_text="Beste klant,\n\nOntvangen.\n")
    actions.close(engine, refs[0], by="anna", outcome="withdrawn")
    actions.reopen(engine, settings, refs[0], by="anna", reason="Klant reageerde")
    with Session(engine) as s:
        events = list(
            s.exec(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(col(AuditEvent.id)))
        )
        entries = timeline.timeline(events, {ack.id or 0: ack.kind})
    texts = [e.text for e in entries]
    assert texts[0] == "Zaak geopend (inzage)"
    assert "Brief opgesteld: ontvangstbevestiging" in texts
    assert "Zaak gesloten: status gewijzigd van nieuw naar ingetrokken" in texts
    assert "Brief ingetrokken omdat de zaak is gesloten (wordt niet verzonden): ontvangstbevestiging" in texts
    assert (
        "Zaak heropend: status gewijzigd van ingetrokken naar in behandeling, reden: Klant reageerde" in texts
    )
    assert "Brief bewerkt: ontvangstbevestiging" in texts
    assert entries[0].actor == "avgdesk (verwerking)"
    joined = " ".join(texts)
    edited = next(e for e in events if e.action == "draft.edited")
    assert (
        edited.detail["before"] not in joined and edited.detail["after"] not in joined
    )  # hashes stay in the record
    for raw in ("state:", "kind:", "draft.", "case.", "mail.sent", "acknowledgement", "True", "None"):
        assert raw not in joined


def _page(engine: Any, number: int, size: int, **kw: Any) -> tuple[list[str], int, int, int]:
    with Session(engine) as s:
        p = queries.queue_page(s, queries.QueueFilter(**kw), number=number, size=size)
        return [c.reference for c in p.items], p.total, p.number, p.pages


def test_queue_pages_are_cut_in_sql_with_their_total(engine, make_settings) -> None:
    refs = _seed(engine, make_settings())
    assert _page(engine, 1, 3, sort="reference") == (refs[:3], 4, 1, 2)
    assert _page(engine, 2, 3, sort="reference") == (refs[3:], 4, 2, 2)
    # A page past the end shows the last one; page 0 the first.
    assert _page(engine, 9, 3, sort="reference") == (refs[3:], 4, 2, 2)
    assert _page(engine, 0, 3, sort="reference", descending=True) == (list(reversed(refs))[:3], 4, 1, 2)
    # Filters count in SQL too, the right (a JSON list) included, also with a search.
    assert _page(engine, 1, 1, right="complaint", sort="reference") == ([refs[2]], 2, 1, 2)
    assert _page(engine, 2, 1, right="complaint", sort="reference") == ([refs[3]], 2, 2, 2)
    assert _page(engine, 1, 10, right="objection") == ([refs[2]], 1, 1, 1)
    assert _page(engine, 1, 10, right="erasure", query="zoë") == ([refs[1]], 1, 1, 1)
    assert _page(engine, 1, 10, right="erasure", query="piet") == ([], 0, 1, 1)
    # The CLI's whole list and the page agree.
    assert _find(engine, right="complaint", sort="reference") == [refs[2], refs[3]]


def test_a_right_filter_matches_whole_labels_only(engine, make_settings) -> None:
    refs = _seed(engine, make_settings())
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == refs[0])).one()
        case.rights = ["access", "data_portability"]
        s.add(case)
        s.commit()
    assert _find(engine, right="access") == [refs[0]]
    assert _find(engine, right="acces") == []
    assert _find(engine, right='access", "') == []  # quotes in the value are not syntax


def test_draft_pages_newest_first_and_the_oldest_acknowledgements(engine, make_settings) -> None:
    _seed(engine, make_settings())
    with Session(engine) as s:
        waiting = list(
            s.exec(
                select(Draft)
                .where(Draft.state == DraftState.DRAFT)
                .order_by(col(Draft.created_at).desc(), col(Draft.id).desc())
            )
        )
        assert len(waiting) >= 3
        first = queries.draft_page(s, DraftState.DRAFT, number=1, size=2)
        last = queries.draft_page(s, DraftState.DRAFT, number=99, size=2)
        everything = queries.draft_page(s, None, number=1, size=100)
        acks = queries.pending_acknowledgements(s, limit=2)
        none_sent = queries.draft_page(s, DraftState.SENT, number=1, size=2)
    assert first.total == len(waiting) and [d.id for d, _ in first.items] == [d.id for d in waiting[:2]]
    assert all(c.id == d.case_id for d, c in first.items)
    assert last.number == first.pages and last.items and last.last_row == len(waiting)
    assert everything.total >= len(waiting)
    expected_acks = [d.id for d in reversed(waiting) if d.kind == "acknowledgement"]
    assert acks.total == len(expected_acks) and [d.id for d, _ in acks.items] == expected_acks[:2]
    assert (none_sent.items, none_sent.total, none_sent.pages) == ([], 0, 1)


def test_snapshot_by_right_and_the_dashboard_list_agree_with_the_queue(engine, make_settings) -> None:
    """Issue 16: the snapshot counts rights per group in one pass and the dashboard's list
    walks the due index per state; both must say what the queue's own filters say."""
    refs = _seed(engine, make_settings())
    with Session(engine) as s:
        case = s.exec(select(Case).where(Case.reference == refs[0])).one()
        case.rights = ["access", "portability"]
        other = s.exec(select(Case).where(Case.reference == refs[1])).one()
        other.rights = []  # neither a right nor a complaint: "other"
        s.add_all([case, other])
        s.commit()
    with Session(engine) as s:
        snap = queries.backlog_snapshot(s, today=date(2026, 4, 7))
        by_queue = {
            right: queries.queue_page(
                s, queries.QueueFilter(open_only=True, right=right), number=1, size=50
            ).total
            for right in ("access", "portability", "erasure", "objection", "complaint")
        }
        assert snap.by_right == {**{r: n for r, n in by_queue.items() if n}, "other": 1}
        for due_by in (date(2026, 4, 4), date(2026, 4, 7), date(2026, 5, 1)):
            for limit in (1, 2, 10):
                listed = [c.reference for c in queries.due_cases(s, due_by=due_by, limit=limit)]
                f = queries.QueueFilter(open_only=True, due_before=due_by)
                assert listed == [c.reference for c in queries.queue_page(s, f, number=1, size=limit).items]


def test_the_snapshot_reads_a_covering_index_on_sqlite(engine) -> None:
    """Migration 0012: the snapshot's one pass walks ix_case_open_snapshot, not the rows."""
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL has no such index (a json column cannot be a btree key)
    from sqlalchemy import text

    sql = str(queries._open_groups(date(2026, 4, 7)).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(str(r) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "COVERING INDEX ix_case_open_snapshot" in plan
