"""The dashboard (web/dashboard.py): numbers from the backlog snapshot, lists capped with a
link to the whole list — on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_dashboard_caps_its_lists_and_links_to_the_whole_list(two_per_page: TestClient) -> None:
    page = two_per_page.get("/").text
    assert re.search(r"<strong>3</strong> open zaken", page)
    waiting = page.split('id="h-approve"', 1)[1]
    assert "(4)" in waiting.split("</h2>", 1)[0]
    assert waiting.count('<li><a href="/drafts/') == 1
    assert '<a href="/drafts?state=draft">Alle 4 wachtende brieven</a>' in waiting


def _late_list(page: str) -> str:
    return page.split('id="h-late"', 1)[1].split('id="h-approve"', 1)[0]


def test_an_answered_case_is_not_late_but_shown_as_to_close(two_per_page: TestClient) -> None:
    from sqlmodel import Session, select

    from avgdesk.models.tables import Case, Draft, DraftState
    from avgdesk.triage.cases import actions, drafts

    ctx = two_per_page.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as s:
        jan = s.exec(select(Case).where(Case.requester_email == "jan.devries@example.nl")).one()
    before = two_per_page.get("/").text
    assert jan.reference in _late_list(before)  # 40 days old: late
    answer = drafts.create(
        ctx.engine, ctx.settings, jan.reference, "access", by="mw", fields={"attachment_name": "x.zip"}
    )
    with Session(ctx.engine) as s:
        sent = s.get(Draft, answer.draft_id)
        assert sent is not None
        sent.state = DraftState.SENT
        s.add(sent)
        s.commit()
    actions.letters_sent(ctx.engine, ctx.settings)
    page = two_per_page.get("/").text
    assert jan.reference not in _late_list(page)
    assert '<span class="num">0</span> te laat' in page
    assert (
        '<a class="tile" href="/cases?answered=1"><span class="num">1</span> beantwoord, nog sluiten' in page
    )
    # 40 days old when answered: late, and it says so (Art. 12(3) was breached).
    assert '<span class="num">1</span> te laat beantwoord (termijn niet gehaald)' in page
    queue = two_per_page.get("/cases?answered=1").text
    assert "1 zaak." in queue and jan.reference in queue and "te laat beantwoord op " in queue
    assert "(termijn was " in queue and "in behandeling" in queue
    assert jan.reference not in two_per_page.get("/cases?due=overdue").text
    case_page = two_per_page.get(f"/cases/{jan.reference}").text
    assert "<strong>Beantwoord, nog sluiten</strong>" in case_page and "dagen te laat" not in case_page
    assert "<strong>te laat beantwoord op " in case_page and "termijn gehaald" not in case_page
    assert "inzage: antwoord verzonden" in case_page


def test_letters_of_closed_cases_do_not_wait_on_the_dashboard(two_per_page: TestClient) -> None:
    from sqlmodel import Session, select

    from avgdesk.models.tables import Case, CaseState

    ctx = two_per_page.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as s:  # closed before closing withdrew its letters (defect 1)
        for case in s.exec(select(Case)):
            case.state = CaseState.CLOSED
            s.add(case)
        s.commit()
    page = two_per_page.get("/").text
    waiting = page.split('id="h-approve"', 1)[1]
    assert "(0)" in waiting.split("</h2>", 1)[0] and "Geen concepten die wachten." in waiting


def test_the_dashboard_lists_the_most_urgent_breaches_and_counts_the_rest(two_per_page: TestClient) -> None:
    # dashboard_rows is 1 here: three undecided breaches show one, and say how many there are
    from sqlmodel import Session, col, select

    from avgdesk.models.tables import Case, InboundMessage
    from avgdesk.triage.cases import legal

    ctx = two_per_page.app.state.ctx  # type: ignore[attr-defined]
    with Session(ctx.engine) as s:
        cases = s.exec(select(Case)).all()
        for case in cases:
            first = s.exec(
                select(InboundMessage)
                .where(InboundMessage.case_id == case.id)
                .order_by(col(InboundMessage.id))
            ).first()
            assert first is not None and legal.flag_breach(s, case, first, by="test")
        s.commit()
    page = two_per_page.get("/").text
    section = page.split('id="h-breach"', 1)[1].split("</section>", 1)[0]
    assert section.count("<li>") == 1
    assert f"Hier staan de 1 dringendste van {len(cases)};" in section


def test_the_dashboard_says_who_is_never_mailed(two_per_page: TestClient) -> None:
    # no recipients configured: the worker skips summary, team reminders and breach warnings
    # quietly, so the dashboard says so; once an address is set, the notice goes
    ctx = two_per_page.app.state.ctx  # type: ignore[attr-defined]
    page = two_per_page.get("/").text
    notice = page.split('id="h-unmailed"', 1)[1].split("</section>", 1)[0]
    for setting in ("SUMMARY", "REMINDER", "BREACH_ALERT"):
        assert f"AVGDESK_{setting}_RECIPIENTS" in notice
    ctx.settings = ctx.settings.model_copy(update={"reminder_recipients": ["team@example.nl"]})
    notice = two_per_page.get("/").text.split('id="h-unmailed"', 1)[1].split("</section>", 1)[0]
    assert "AVGDESK_REMINDER_RECIPIENTS" not in notice and "AVGDESK_SUMMARY_RECIPIENTS" in notice
    ctx.settings = ctx.settings.model_copy(update={"summary_recipients": ["team@example.nl"]})
    assert 'id="h-unmailed"' not in two_per_page.get("/").text
