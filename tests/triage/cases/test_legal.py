"""Issue 13 points 2, 9 and 11: pauses, direct-marketing objections, possible breaches.

Real SQLite and PostgreSQL; each test would have caught what the review found.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from helpers import FixedLabels, mail
from sqlmodel import Session, select

from avgdesk.models.tables import AuditEvent, Case, CasePause, CaseState, Draft, DraftState, OutboxItem
from avgdesk.triage.cases import actions, audit, legal, lifecycle
from avgdesk.triage.cases.queries import case_detail, case_json
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor

RECEIVED = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # legal deadline Tue 7 Apr 2026
NOTE = "het formulier kwam van een ander adres dan het klantaccount"


def _case(engine: Any, settings: Any, body: str = "#access") -> str:
    store_local_message(engine, mail(1, body=body), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        return s.exec(select(Case)).one().reference


def _send(engine: Any, draft_id: int, at: datetime) -> None:
    """What the outbox records when a reply went out (the SMTP part is tested elsewhere)."""
    with Session(engine) as s:
        draft = s.get(Draft, draft_id)
        assert draft is not None
        draft.state = DraftState.SENT
        draft.updated_at = at
        s.commit()


# --- point 2: the pause ------------------------------------------------------------------------
def test_pause_needs_a_written_reason(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _case(engine, settings)
    with pytest.raises(legal.PauseNoteRequired) as refused:
        actions.pause(engine, settings, ref, by="anna", reason="identity", note="twijfel")
    assert "art. 12 lid 6" in refused.value.staff_message


def test_the_clock_rests_only_once_the_request_is_sent(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _case(engine, settings)
    asked = RECEIVED + timedelta(days=1)
    result = actions.pause(engine, settings, ref, by="anna", reason="identity", note=NOTE, now=asked)
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        assert s.exec(select(CasePause)).all() == []  # not paused while the request is a draft
        assert case.state is not CaseState.AWAITING_IDENTITY
        detail = case_json(case_detail(s, case, settings), settings)
        assert detail["pause_requested"] is True and detail["due_date"] == "2026-04-07"
        request = s.get(Draft, result.draft_id)
        assert request is not None and request.kind == "identity_request"
        assert NOTE not in request.body_text  # the staff's doubt stays internal
    sent = RECEIVED + timedelta(days=4)
    _send(engine, result.draft_id or 0, sent)
    with Session(engine) as s:
        assert lifecycle.letters_sent(s, settings) == [ref]
        assert lifecycle.letters_sent(s, settings) == []  # idempotent
        s.commit()
        pause = s.exec(select(CasePause)).one()
        assert pause.requested_at == sent  # from the moment it was SENT, not clicked
        assert s.exec(select(Case)).one().state is CaseState.AWAITING_IDENTITY


# --- point 9: direct-marketing objections ---------------------------------------------------------
def test_marketing_objection_is_flagged_and_never_paused_or_extended(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _case(engine, settings, body="#objection Stuur mij nooit meer jullie nieuwsbrief.")
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        assert legal.is_marketing_objection(s, case)
    with pytest.raises(legal.MarketingObjectionNoPause) as refused:
        actions.pause(engine, settings, ref, by="anna", reason="identity", note=NOTE)
    assert "art. 21 lid 3" in refused.value.staff_message
    with pytest.raises(legal.MarketingObjectionNoExtension):
        actions.extend(
            engine,
            settings,
            ref,
            by="anna",
            ground="volume",
            reason="gegevens in vijf systemen die we doorzoeken",
        )


def test_a_general_objection_is_not_a_marketing_objection() -> None:
    assert not legal.suggests_marketing_objection(["objection"], "Ik maak bezwaar tegen profilering.")
    assert legal.suggests_marketing_objection(["objection"], "Meld mij af voor de mailing")
    assert not legal.suggests_marketing_objection(["access"], "nieuwsbrief")


# --- point 11: possible breaches ----------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Datalek?? Ik kreeg de factuur van een andere klant",
        "Mijn gegevens zijn gelekt",
        "I think you have had a data breach",
        "Gab es bei Ihnen eine Datenpanne?",
        "Is jullie systeem gehackt?",
        "Ik kreeg vandaag de factuur van een andere klant, met naam en adres.",
        "Ik ontving een e-mail van iemand anders met zijn klantnummer",
        "I received someone else's invoice",
    ],
)
def test_breach_words_in_three_languages(text: str) -> None:
    assert legal.suggests_breach(["complaint"], text)


def test_breach_and_marketing_rules_read_a_strangers_endless_word_at_once() -> None:
    """One 500 kB word of "mail…": the unbounded word endings backtracked over it (80 kB took
    5.5 s, quadratic), so this test timed out; bounded, it is one linear pass."""
    endless = "x" + "mail" * 125_000 + " " + "nieuwsbrie" * 50_000
    assert not legal.suggests_breach(["complaint"], endless)
    assert not legal.suggests_marketing_objection(["objection"], endless)
    assert legal.suggests_breach(["complaint"], endless + " Ik kreeg de mailtjes van iemand anders")


# Issue 16: a lower-cased literal test skips the patterns when none of their words is there.
# Each case is compared with the pattern alone (the old rule), with capitals, the characters
# that re.IGNORECASE reads as i/s/k, diacritics and line breaks (the patterns' spaces are
# literal, so a line break inside a phrase never matched).
BREACH_CASES = {
    "DATALEK gemeld": True, "Uitgelekt!": True, "Het LEK VAN MIJN GEGEVENS": True,
    "Lekken van jullie gegevens": True, "Gehackt?": True, "HACKERS": True, "DataBreach": True,
    "a data\nbreach": True, "LEAKED": True, "Datenpanne": True, "DATENLECKS": True,
    "Datenschutzverletzung": True, "geLEAKT": True, "RANSOMWARE": True,
    "Verkeerde Klant gemaild": True, "verkeerde adres gestuurd": True,
    "Brief van een Andere Klant": True, "MAIL VAN IEMAND ANDERS": True,
    "Someone Else's invoice": True, "ANOTHER CUSTOMER'S data": True,
    "factuur van \u0130emand anders": True, "mail van \u0131emand anders": True,
    "ran\u017fomware": True, "HAC\u212a": True,
    "datálek": False, "géhackt": False, "factuur van een\nandere klant": False,
    "lek van\nmijn gegevens": False, "verkeerde\npersoon gemaild": False, "someone\nelse's data": False,
    "lekker van mijn gegevens": False, "shackles": False, "verkeerde persoon": False, "": False,
}  # fmt: skip
MARKETING_CASES = {
    "NIEUWSBRIEF": True, "Newsletters": True, "Direct-Marketing": True, "RECLAME": True, "Mailings": True,
    "Aanbiedingen": True, "ACTIEMAIL": True, "actiesmails": True, "AFMELDEN": True, "Uitschrijven": True,
    "UNSUBSCRIBE": True, "Promotions": True, "WERBUNG": True, "Stop Met Bellen": True,
    "stoppen met e-mails": True, "Stop met MAILEN": True, "stopt met emails": True,
    "nieuw\u017fbrief": True, "stop met\nmailen": False,
    "stop met emailen": False, "mailbox": False, "Ik maak bezwaar tegen profilering.": False,
}  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), BREACH_CASES.items())
def test_breach_precheck_gives_the_patterns_answer(text: str, expected: bool) -> None:
    for variant in (text, f"Onderwerp\n{text} en verder niets", text.upper(), text.swapcase()):
        reference = bool(legal._BREACH.search(variant))
        assert legal.suggests_breach(["complaint"], variant) is reference
    assert legal.suggests_breach(["complaint"], text) is expected


@pytest.mark.parametrize(("text", "expected"), MARKETING_CASES.items())
def test_marketing_precheck_gives_the_patterns_answer(text: str, expected: bool) -> None:
    for variant in (text, f"Onderwerp\n{text} en verder niets", text.upper(), text.swapcase()):
        reference = bool(legal._MARKETING.search(variant))
        assert legal.suggests_marketing_objection(["objection"], variant) is reference
    assert legal.suggests_marketing_objection(["objection"], text) is expected


def test_every_character_the_patterns_read_as_a_letter_reaches_the_precheck() -> None:
    """The pre-check lower-cases; re.IGNORECASE also matches a few characters that
    str.lower() leaves alone (or turns into two). Those must send the text to the pattern."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    for code in range(0x110000):
        char = chr(code)
        if letter.fullmatch(char) and not (char.lower().isascii() and len(char.lower()) == 1):
            assert char in legal._ODD_CASE, f"U+{code:04X}"
        elif letter.fullmatch(char):
            assert re.fullmatch(char.lower(), char, re.IGNORECASE), f"U+{code:04X}"


class _Counting:
    """A compiled pattern that counts its searches."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.calls = pattern, 0

    def search(self, text: str) -> re.Match[str] | None:
        self.calls += 1
        return self.pattern.search(text)


def test_hostile_text_without_cue_words_never_reaches_the_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    """2 MB of repeated words cost the patterns ~0.5 s each (every alternative at every
    position); without one of their words the patterns are not run at all, and with one
    they run once over the text, not per line or per quoted part."""
    breach, marketing = _Counting(legal._BREACH), _Counting(legal._MARKETING)
    monkeypatch.setattr(legal, "_BREACH", breach)
    monkeypatch.setattr(legal, "_MARKETING", marketing)
    hostile = "Geachte heer, ik vraag inzage in mijn gegevens per mail.\n> " * 35_000
    assert not legal.suggests_breach(["complaint"], hostile)
    assert not legal.suggests_marketing_objection(["objection"], hostile)
    assert (breach.calls, marketing.calls) == (0, 0)
    assert legal.suggests_breach(["complaint"], hostile + "Ik kreeg de factuur van een andere klant")
    assert legal.suggests_marketing_objection(["objection"], hostile + "Geen nieuwsbrief meer")
    assert (breach.calls, marketing.calls) == (1, 1)


def test_breach_rule_ignores_ordinary_mail() -> None:
    assert not legal.suggests_breach(["access"], "Graag inzage in mijn gegevens.")
    assert not legal.suggests_breach(["auto"], "data breach report")


def test_breach_is_flagged_at_once_with_its_clock_and_an_alert(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(breach_alert_recipients=["privacy-team@nhmbsoftware.nl"])
    _case(engine, settings, body="#complaint Datalek?? Ik kreeg de factuur van een andere klant.")
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        clock = legal.breach_clock(s, case)
        assert clock is not None and clock.notify_by - clock.since == timedelta(hours=72)
        assert clock.since == RECEIVED
        alert = s.exec(select(OutboxItem).where(OutboxItem.kind == "breach_alert")).one()
        assert alert.recipients == ["privacy-team@nhmbsoftware.nl"]
        assert b"Datalek??" not in alert.raw  # the alert never carries the message text
        assert case.reference.encode() in alert.raw
        data = case_json(case_detail(s, case, settings), settings)
        assert data["possible_breach"]["notify_by"].startswith("2026-03-08T10:00")


# --- point 7: closing as manifestly unfounded needs the sent refusal ------------------------------
def test_unfounded_close_needs_the_sent_refusal(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _case(engine, settings)
    why = "tiende identieke verzoek in een maand, na een volledige kopie op 12 februari"
    with pytest.raises(legal.RefusalNotSent) as refused:
        actions.close(engine, ref, by="anna", outcome="unfounded", justification=why)
    assert "art. 12 lid 4" in refused.value.staff_message
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        draft = lifecycle.create_draft(
            s,
            case,
            "refusal",
            author="anna",
            ctx=lifecycle_drafting(settings),
            fields={"partial": False, "refusal_reasons": [why]},
        )
        assert "verzoekschrift aan de rechtbank" in draft.body_text  # the remedies travel with it
        draft_id = draft.id
        s.commit()
    _send(engine, draft_id or 0, RECEIVED + timedelta(days=2))
    actions.close(engine, ref, by="anna", outcome="unfounded", justification=why)
    with Session(engine) as s:
        assert s.exec(select(Case)).one().state is CaseState.UNFOUNDED


def lifecycle_drafting(settings: Any) -> Any:
    from avgdesk.triage.drafting_config import drafting_context

    return drafting_context(settings)


def test_marketing_objection_gets_the_immediate_confirmation_not_the_month(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    _case(engine, settings, body="#objection Haal mij van jullie mailing, ik wil geen reclame meer.")
    with Session(engine) as s:
        drafts = list(s.exec(select(Draft)))
    assert [d.kind for d in drafts] == ["objection"]  # no acknowledgement offering a month
    text = " ".join(drafts[0].body_text.split())
    assert "meteen uitgevoerd" in text and "lijst van mensen die geen marketing willen" in text
    assert "verlengen" not in text


def test_dashboard_lists_open_breaches_with_their_clock(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    ref = _case(engine, settings, body="#complaint Mijn gegevens zijn gelekt, is er een hack geweest?")
    with Session(engine) as s:
        found = legal.open_breaches(s)
    assert [b.reference for b in found] == [ref]
    assert found[0].clock.notify_by == RECEIVED + timedelta(hours=72)
    # No recipients configured: the alert is not silently dropped, it is recorded.
    with Session(engine) as s:
        events = [e.action for e in s.exec(select(AuditEvent))]
    assert "case.breach_alert_unsent" in events


def test_the_dashboard_reads_only_the_most_urgent_breaches_and_counts_the_rest(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    body = "#complaint Mijn gegevens zijn gelekt, is er een hack geweest?"
    for n, hours in ((1, 5), (2, 0), (3, 9)):  # three senders, arriving out of order
        raw = mail(n, sender=f"klant{n}@example.nl", body=body)
        store_local_message(engine, raw, received_at=RECEIVED + timedelta(hours=hours))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        every = legal.open_breaches(s)
        first_two = legal.open_breaches(s, limit=2)
        assert [b.clock.since for b in every] == [RECEIVED + timedelta(hours=h) for h in (0, 5, 9)]
        assert first_two == every[:2]  # the limit keeps the most urgent, chosen in SQL
        assert legal.count_open_breaches(s) == 3
        decided = s.exec(select(Case).where(Case.reference == every[0].reference)).one()
        audit.record(s, actor="anna", action=legal.BREACH_DECIDED, case_id=decided.id, reason="geen lek")
        s.commit()
        assert legal.count_open_breaches(s) == 2 and legal.open_breaches(s, limit=1) == every[1:2]


def test_a_case_extended_under_the_old_rule_gets_the_safe_date(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    store_local_message(engine, mail(1, body="#access"), received_at=datetime(2026, 1, 31, 10, tzinfo=UTC))
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()
        case.extended_at = datetime(2026, 2, 2, 10, tzinfo=UTC)
        case.extended_deadline = date(2026, 4, 30)  # receipt + 3 months: stored before issue 13
        case.extension_reason = "gegevens in vijf systemen"
        deadline = lifecycle.deadline_of(s, case, settings)
    assert deadline is not None and deadline.extended_deadline == date(2026, 4, 28)


def test_a_breach_report_labelled_question_opens_a_case_with_its_clock(engine, make_settings) -> None:  # type: ignore[no-untyped-def]
    """Issue 13 point 11: the classifier's 'question' must not hide a possible breach."""
    settings = make_settings(breach_alert_recipients=["privacy-team@nhmbsoftware.nl"])
    report = "Datalek?? Ik kreeg de factuur van een andere klant."
    store_local_message(engine, mail(1, body=report), received_at=RECEIVED)
    store_local_message(engine, mail(2, body="Hoe laat zijn jullie open?"), received_at=RECEIVED)
    Processor(engine, settings, classifier=FixedLabels()).drain()
    with Session(engine) as s:
        case = s.exec(select(Case)).one()  # the ordinary question still opens nothing
        assert case.rights == [] and not case.is_complaint
        clock = legal.breach_clock(s, case)
        assert clock is not None and clock.since == RECEIVED
        assert [b.reference for b in legal.open_breaches(s)] == [case.reference]
        assert s.exec(select(OutboxItem).where(OutboxItem.kind == "breach_alert")).one()
        assert list(s.exec(select(Draft))) == []  # what the customer is told waits for a person
