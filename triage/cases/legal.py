"""Legal rules of the case lifecycle that the review of issue 13 asked for.

Kept apart from :mod:`avgdesk.triage.cases.lifecycle` so the services there (and in
``actions``) call one function per rule; each refusal is a ``RuleViolation`` with a Dutch
staff message.

Flags live in the audit trail (one event, content-free), not in new columns: a flag is a
fact about the case with who/when, exactly what the audit trail records.

* **Direct-marketing objection** (Art. 21(2)-(3) AVG): "hoe dan ook direct stoppen". An
  objection that mentions marketing is flagged at once; such a case gets an immediate
  confirmation, and neither an extension nor a pause is allowed.
* **Pause** (EDPB 01/2022 §159, Art. 12(6)): only with a written reason (the reasonable
  doubt), never for a direct-marketing objection, and only from the moment the request
  for information is *sent* (see ``lifecycle.start_requested_pauses``).
* **Possible breach** (Art. 33): a message with breach words is flagged at once; the
  72-hour clock runs from its arrival, and the privacy team is mailed through the outbox.
  An approver records the decision (reported to the AP on a day, or not notifiable with a
  reason; Art. 33(5)), which ends the warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from avgdesk.models.errors import RuleViolation
from avgdesk.models.tables import AuditEvent, Case, Draft, DraftState, InboundMessage, User
from avgdesk.models.vocabulary import Role
from avgdesk.replies.drafting import DraftingContext
from avgdesk.triage.cases import audit
from avgdesk.triage.settings import Settings

MARKETING_FLAG = "case.marketing_objection"
BREACH_FLAG = "case.possible_breach"
PAUSE_REQUESTED = "case.pause_requested"
BREACH_CASE_OPENED = "case.opened_for_breach"
BREACH_NOTIFY_WITHIN = timedelta(hours=72)
MIN_PAUSE_NOTE_CHARS = 15
REQUEST_KINDS = frozenset({"identity_request", "clarification_request"})

# Word endings are bounded ({0,30}): an unbounded \w* before more text backtracks over a
# stranger's endless word ("mailmailmail…" 80 kB took 5.5 s), in the worker's write phase.
_MARKETING = re.compile(
    r"\b(nieuwsbrie\w{0,30}|newsletter\w{0,30}|direct[ -]?marketing|marketing\w{0,30}|reclame\w{0,30}"
    r"|mailings?|aanbieding\w{0,30}|acties?mail\w{0,30}|afmelden|uitschrijven|unsubscribe"
    r"|promotion\w{0,30}|werbung"
    r"|stop\w{0,30} met (?:mailen|bellen|e-?mails))\b",
    re.IGNORECASE,
)
_BREACH = re.compile(
    r"(datalek\w{0,30}|\bgelekt\b|\buitgelekt\b|\blek(?:ken)?\b van (?:mijn|uw|jullie) gegevens"
    r"|\bhack\w{0,30}|\bgehackt\b|data ?breach\w{0,30}|\bbreach\b|\bleak(?:ed|s)?\b|datenpanne"
    r"|datenleck\w{0,30}"
    r"|datenschutzverletzung|\bgeleakt\b|\bransomware\b"
    r"|verkeerde (?:persoon|klant|adres) (?:ge)?(?:mail|stuur)\w{0,30}"
    r"|(?:factuur|facturen|gegevens|e-?mail|mail|brief|rekening)\w{0,30} van"
    r" (?:een )?(?:andere klant\w{0,30}|iemand anders)"
    r"|someone else'?s (?:invoice|data|details|e-?mail)|another customer'?s (?:invoice|data|details))",
    re.IGNORECASE,
)

# Issue 16: each pattern tries ~15 alternatives at every position of the text (0.45 ms for a
# 2 kB message, as much as the classifier). Every match contains one of these literals, so a
# text without any of them (lower-cased: the patterns ignore case) cannot match and skips the
# pattern; the pattern alone still decides when one is there ("hack" covers "gehackt", "leak"
# "geleakt"). Keep them in step: a literal missing here silently hides breaches
# (tests/triage/cases/test_legal.py compares each alternative with the pattern alone).
_BREACH_CUES = (
    "datalek", "gelekt", "lek van ", "lekken van ", "hack", "breach", "leak", "datenpanne",
    "datenleck", "datenschutzverletzung", "ransomware", "verkeerde ",
    "andere klant", "iemand anders", "someone else", "another customer",
)  # fmt: skip
_MARKETING_CUES = (
    "nieuwsbrie", "newsletter", "marketing", "reclame", "mailing", "aanbieding", "actiemail",
    "actiesmail", "afmelden", "uitschrijven", "unsubscribe", "promotion", "werbung",
    "met mailen", "met bellen", "met email", "met e-mail",
)  # fmt: skip
# re.IGNORECASE matches these to i, i, s (and the Kelvin sign to k, which str.lower() does
# too); str.lower() does not, so a text holding one goes straight to the pattern.
_ODD_CASE = ("\u0130", "\u0131", "\u017f")


def _may_match(text: str, cues: tuple[str, ...]) -> bool:
    """False only when ``text`` holds none of ``cues`` in any capitalisation: then the
    pattern they belong to cannot match. A few substring scans, linear in the text."""
    if not text.isascii() and any(odd in text for odd in _ODD_CASE):
        return True
    lowered = text.lower()
    return any(cue in lowered for cue in cues)


class PauseNoteRequired(RuleViolation):
    staff_message = (
        "Schrijf op waarom u twijfelt aan de identiteit of wat onduidelijk is (art. 12 lid 6 AVG);"
        " zonder die reden mag de klok niet stilstaan."
    )


class MarketingObjectionNoPause(RuleViolation):
    staff_message = (
        "Bij bezwaar tegen direct marketing moet NHMB direct stoppen (art. 21 lid 3 AVG): geen"
        " pauze en geen verlenging. Bevestig het bezwaar meteen."
    )


class MarketingObjectionNoExtension(MarketingObjectionNoPause):
    pass


# --- detection ---------------------------------------------------------------------------------
def suggests_marketing_objection(labels: Sequence[str], text: str) -> bool:
    """An objection that speaks of marketing, newsletters or unsubscribing (Art. 21(2))."""
    text = text or ""
    return "objection" in labels and _may_match(text, _MARKETING_CUES) and bool(_MARKETING.search(text))


def suggests_breach(labels: Sequence[str], text: str) -> bool:
    """Words that report or suggest a breach (nl/en/de); automatic mail never counts."""
    text = text or ""
    return "auto" not in labels and _may_match(text, _BREACH_CUES) and bool(_BREACH.search(text))


# --- flags in the audit trail ------------------------------------------------------------------
def has_flag(session: Session, case: Case, flag: str) -> bool:
    return (
        session.exec(
            select(AuditEvent.id).where(AuditEvent.case_id == case.id, AuditEvent.action == flag).limit(1)
        ).first()
        is not None
    )


def flagged_case_ids(session: Session, flag: str, case_ids: Sequence[int]) -> set[int]:
    """Which of ``case_ids`` carry ``flag`` (one query, for lists and the dashboard)."""
    if not case_ids:
        return set()
    rows = session.exec(
        select(AuditEvent.case_id).where(
            AuditEvent.action == flag, col(AuditEvent.case_id).in_(list(case_ids))
        )
    )
    return {cid for cid in rows if cid is not None}


def is_marketing_objection(session: Session, case: Case) -> bool:
    return has_flag(session, case, MARKETING_FLAG)


def flag_marketing_objection(session: Session, case: Case, *, by: str, fresh: bool = False) -> bool:
    """Mark the case as a direct-marketing objection (once); True when newly flagged.
    ``fresh``: the case was opened in this transaction, so it carries no flag yet (no query)."""
    if "objection" not in case.rights or (not fresh and is_marketing_objection(session, case)):
        return False
    audit.record(session, actor=by, action=MARKETING_FLAG, case_id=case.id)
    return True


class MarketingNeedsObjection(RuleViolation):
    staff_message = (
        "Alleen een bezwaar kan een bezwaar tegen direct marketing zijn: voeg eerst het recht"
        " 'bezwaar' toe aan het bericht (labels aanpassen)."
    )


def flag_marketing_by_staff(session: Session, case: Case, *, by: str) -> bool:
    """Staff mark the case as a direct-marketing objection (the words were not found, or the
    classifier missed the objection); True when newly flagged."""
    if "objection" not in case.rights:
        raise MarketingNeedsObjection(f"case {case.reference}: no objection right to flag")
    return flag_marketing_objection(session, case, by=by)


# --- per-case access facts (Art. 15(1); issue 13 point 8) ---------------------------------------
ACCESS_FACTS = "case.access_facts"


def access_facts(session: Session, case: Case) -> dict[str, list[str]] | None:
    """The facts staff last chose for this person's access answer, or None."""
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == ACCESS_FACTS)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if event is None:
        return None
    facts = event.detail.get("facts") or {}
    return {k: [str(v) for v in vs] for k, vs in facts.items() if isinstance(vs, list)}


@dataclass(frozen=True)
class BreachClock:
    """Art. 33: notify the AP within 72 hours of becoming aware; we count from arrival."""

    since: datetime
    notify_by: datetime
    alert_unsent: bool = False
    """The warning mail to the privacy team was not sent (no recipients, or it failed)."""

    def hours_left(self, now: datetime) -> float:
        return (self.notify_by - now).total_seconds() / 3600

    def overdue(self, now: datetime) -> bool:
        """The 72 hours have passed without a recorded decision."""
        return now >= self.notify_by


def breach_clock(session: Session, case: Case) -> BreachClock | None:
    """The 72-hour clock of a flagged breach still undecided (a recorded decision ends it)."""
    if has_flag(session, case, BREACH_DECIDED):
        return None
    return _flag_clock(session, case)


def _flag_clock(session: Session, case: Case) -> BreachClock | None:
    """The 72-hour window of a flagged breach, decided or not; None without a flag."""
    event = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.action == BREACH_FLAG).limit(1)
    ).first()
    if event is None or case.id is None:
        return None
    since = datetime.fromisoformat(str(event.detail.get("since")))
    return BreachClock(since, since + BREACH_NOTIFY_WITHIN, bool(_alert_unsent_ids(session, [case.id])))


def breach_decision(session: Session, case: Case) -> AuditEvent | None:
    """The decision that stands on a flagged breach: the latest recorded (a correction
    supersedes, the earlier one stays in the timeline)."""
    return session.exec(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action == BREACH_DECIDED)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()


def flag_breach(
    session: Session, case: Case, message: InboundMessage, *, by: str, fresh: bool = False
) -> bool:
    """Flag a possible breach from ``message`` (once per case); True when newly flagged.
    ``fresh``: the case was opened in this transaction, so it carries no flag yet (no query)."""
    if not fresh and has_flag(session, case, BREACH_FLAG):
        return False
    audit.record(
        session,
        actor=by,
        action=BREACH_FLAG,
        case_id=case.id,
        message_pk=message.id,
        since=message.received_at.isoformat(),
        notify_by=(message.received_at + BREACH_NOTIFY_WITHIN).isoformat(),
    )
    return True


def breach_alert(
    reference: str, since: datetime, *, sender: str, recipients: list[str], web_base_url: str, domain: str
) -> EmailMessage:
    """The internal alert: reference, arrival and the 72-hour mark; never the message text."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = f"[{reference}] Mogelijk datalek: binnen 72 uur beslissen (art. 33 AVG)"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Date"] = format_datetime(since)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Avgdesk-Loop"] = reference
    notify_by = since + BREACH_NOTIFY_WITHIN
    msg.set_content(
        f"Zaak {reference} bevat mogelijk een melding van een datalek.\n\n"
        f"Binnengekomen: {since.isoformat(timespec='minutes')}\n"
        f"Melden bij de Autoriteit Persoonsgegevens uiterlijk: {notify_by.isoformat(timespec='minutes')}"
        " (72 uur, art. 33 AVG), als het een datalek is dat gemeld moet worden.\n\n"
        "Beslis vandaag wie dit beoordeelt. Leg ook vast als het geen (meldplichtig) datalek is.\n\n"
        f"{web_base_url.rstrip('/')}/cases/{reference}\n"
    )
    return msg


# --- pauses and extensions ---------------------------------------------------------------------
def check_pause(session: Session, case: Case, note: str | None) -> str:
    """A pause needs a written reason and is never allowed for a marketing objection."""
    if is_marketing_objection(session, case):
        raise MarketingObjectionNoPause(f"case {case.reference}: no pause for a direct-marketing objection")
    text = " ".join((note or "").split())
    if len(text) < MIN_PAUSE_NOTE_CHARS:
        raise PauseNoteRequired(f"case {case.reference}: a pause needs a written reason")
    return text


def check_extension(session: Session, case: Case) -> None:
    if is_marketing_objection(session, case):
        raise MarketingObjectionNoExtension(
            f"case {case.reference}: no extension for a direct-marketing objection",
            "Een bezwaar tegen direct marketing kan niet worden verlengd: NHMB moet direct"
            " stoppen (art. 21 lid 3 AVG). Bevestig het bezwaar meteen.",
        )


def pending_pause_request(session: Session, case: Case) -> Draft | None:
    """The identity/clarification request that will start a pause once sent ("pauze
    aangevraagd"), or None."""
    drafts = session.exec(
        select(Draft).where(
            Draft.case_id == case.id,
            col(Draft.kind).in_(list(REQUEST_KINDS)),
            col(Draft.state).in_([DraftState.DRAFT, DraftState.APPROVED]),
        )
    )
    return next((d for d in drafts if d.fields.get("pause_reason")), None)


# --- intake hook ---------------------------------------------------------------------------------
def on_message(
    session: Session,
    case: Case,
    message: InboundMessage,
    text: str,
    *,
    settings: Settings,
    fresh: bool = False,
) -> bool:
    """Flag what a new message of ``case`` suggests, at once (called by processing).

    A direct-marketing objection is flagged; a possible breach is flagged and the privacy
    team is mailed through the outbox in the same transaction (so a crash either records
    both or neither). ``fresh``: the case was opened by this message in this transaction
    (it has no flags yet: no query, issue 16). True when the marketing flag was set now.
    """
    if message.is_automatic:
        return False
    labels = list(message.labels)
    full = _with_subject(message, text)
    marketing = suggests_marketing_objection(labels, full) and flag_marketing_objection(
        session, case, by="system:triage", fresh=fresh
    )
    if suggests_breach(labels, full) and flag_breach(session, case, message, by="system:triage", fresh=fresh):
        _queue_breach_alert(session, case, message, settings)
    return marketing


def on_caseless_message(session: Session, message: InboundMessage, text: str, *, settings: Settings) -> None:
    """A message that opens no case (question/other) but suggests a breach opens one.

    Without a case the flag, the dashboard's 72-hour clock and the alert would never reach
    a person (issue 13 point 11). The case carries no right and no complaint, so no letter
    is drafted: what the customer is told depends on the decision about the breach.
    """
    from avgdesk.triage.intake import linking

    if message.is_automatic or not suggests_breach(list(message.labels), _with_subject(message, text)):
        return
    case = linking.open_case(session, message, settings=settings)
    audit.record(session, actor="system:triage", action=BREACH_CASE_OPENED, case_id=case.id)
    if flag_breach(session, case, message, by="system:triage", fresh=True):
        _queue_breach_alert(session, case, message, settings)


def _with_subject(message: InboundMessage, text: str) -> str:
    """A breach or an unsubscription is often named only in the subject ("Datalek??",
    "Afmelden nieuwsbrief")."""
    return f"{message.subject or ''}\n{text}"


def _queue_breach_alert(session: Session, case: Case, message: InboundMessage, settings: Settings) -> None:
    from avgdesk.replies.outbox import enqueue_internal

    recipients = list(settings.breach_alert_recipients or settings.summary_recipients)
    if not recipients:
        audit.record(session, actor="system:triage", action=BREACH_ALERT_UNSENT, case_id=case.id)
        return
    domain = settings.internal_mail_from.rpartition("@")[2] or "avgdesk.invalid"
    alert = breach_alert(
        case.reference,
        message.received_at.astimezone(settings.tz),
        sender=settings.internal_mail_from,
        recipients=recipients,
        web_base_url=settings.web_base_url,
        domain=domain,
    )
    enqueue_internal(session, alert, kind="breach_alert", recipients=recipients, case_id=case.id)


# --- the decision about a possible breach (Art. 33(1) and 33(5)) -------------------------------
BREACH_DECIDED = "case.breach_decided"
BREACH_ALERT_UNSENT = "case.breach_alert_unsent"
BREACH_DECISIONS = ("reported", "not_notifiable")
BREACH_DECISION_ROLE = Role.APPROVER
"""Who records whether a possible breach was reported to the AP (as for Art. 12(5))."""


class BreachDecisionInvalid(RuleViolation):
    staff_message = (
        "Kies of het datalek is gemeld bij de AP (met de datum) of niet meldplichtig is (met reden)."
    )


def decide_breach(
    session: Session,
    case: Case,
    *,
    by: str,
    decision: str,
    reported_on: date | str | None = None,
    reason: str | None = None,
    today: date,
    correction: bool = False,
    corrects: int | None = None,
) -> None:
    """Record the decision on a flagged breach: reported to the AP on a day, or not notifiable
    with a reason (Art. 33(5): every breach is documented). It ends the 72-hour warning.
    ``correction``: replace the decision that stands (a breach judged not notifiable and
    reported after all, a wrong date), with a reason; both stay in the timeline. ``corrects``:
    the decision the approver saw (refused when another was recorded since)."""
    _check_decider(session, by)
    # The case row locked first: two approvers deciding at once on PostgreSQL both passed the
    # "already decided" check and recorded two decisions. SQLite serialises writers anyway.
    session.exec(select(Case.id).where(Case.id == case.id).with_for_update()).first()
    clock = _flag_clock(session, case)
    if clock is None:
        raise BreachDecisionInvalid(
            f"case {case.reference} carries no possible breach",
            f"Zaak {case.reference} heeft geen signaal van een mogelijk datalek.",
        )
    earlier = breach_decision(session, case)
    text = " ".join((reason or "").split())[:1000] or None
    _check_correction(case, earlier, correction, text)
    if correction and earlier is not None and corrects is not None and corrects != earlier.id:
        raise BreachDecisionInvalid(
            f"case {case.reference}: decision {corrects} is no longer the one that stands",
            "Intussen is een andere beslissing over dit datalek vastgelegd;"
            " lees de tijdlijn en corrigeer opnieuw.",
        )
    day = _reported_on(decision, reported_on, text, today, clock)
    audit.record(
        session,
        actor=by,
        action=BREACH_DECIDED,
        case_id=case.id,
        decision=decision,
        reported_on=day.isoformat() if day else None,
        reason=text,
        **({"corrects": earlier.id} if correction and earlier is not None else {}),
    )


def _check_decider(session: Session, by: str) -> None:
    """A staff member without the approvers' role may not decide (as for approving a letter);
    a name that is not a user (the command line's --by) is recorded as given."""
    user = session.exec(select(User).where(User.username == by)).first()
    if user is not None and (not user.active or Role(user.role).rank < BREACH_DECISION_ROLE.rank):
        raise BreachDecisionInvalid(
            f"{by} may not decide on a possible breach (role {user.role})",
            f"{by} mag geen beslissing over een mogelijk datalek vastleggen; dat doet een goedkeurder.",
        )


def _check_correction(case: Case, earlier: AuditEvent | None, correction: bool, reason: str | None) -> None:
    if earlier is not None and not correction:
        raise BreachDecisionInvalid(
            f"case {case.reference}: the breach decision is already recorded",
            "Over dit mogelijke datalek is al een beslissing vastgelegd (zie de tijdlijn);"
            " kies ‘beslissing corrigeren’ om haar te vervangen.",
        )
    if correction and earlier is None:
        raise BreachDecisionInvalid(
            f"case {case.reference}: no breach decision to correct",
            "Er is nog geen beslissing over dit mogelijke datalek om te corrigeren.",
        )
    if correction and reason is None:
        raise BreachDecisionInvalid(
            "a corrected breach decision needs a reason",
            "Een correctie van de beslissing vraagt een reden (wat was er onjuist?);"
            " die komt in de tijdlijn.",
        )


def _reported_on(
    decision: str, value: date | str | None, reason: str | None, today: date, clock: BreachClock
) -> date | None:
    if decision not in BREACH_DECISIONS:
        raise BreachDecisionInvalid(f"unknown breach decision {decision!r}")
    if decision == "not_notifiable":
        if reason is None:
            raise BreachDecisionInvalid(
                "'not notifiable' needs a reason",
                "Niet meldplichtig vraagt een reden (bijvoorbeeld: geen risico voor de betrokkenen);"
                " die wordt vastgelegd (art. 33 lid 5 AVG).",
            )
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value or "").strip())
    except ValueError:
        day = None
    # A report cannot predate the mail that raised the breach (a day's margin for time zones).
    if day is None or day > today or day < clock.since.date() - timedelta(days=1):
        raise BreachDecisionInvalid(
            f"reported_on {value!r} is not between the signal and today",
            "Vul de datum in waarop het datalek bij de Autoriteit Persoonsgegevens is gemeld"
            f" (tussen {clock.since.date():%d-%m-%Y} en vandaag).",
        )
    if day > clock.notify_by.date() and reason is None:
        raise BreachDecisionInvalid(
            "a report after the 72 hours needs the reason for the delay",
            "De melding kwam na de 72 uur: vul de reden van de vertraging in; die hoort bij de"
            " melding en wordt vastgelegd (art. 33 lid 1 AVG).",
        )
    return day


def _alert_unsent_ids(session: Session, case_ids: Sequence[int]) -> set[int]:
    """Cases whose warning to the privacy team was not sent (no recipients, or it failed)."""
    from avgdesk.models.tables import OutboxItem
    from avgdesk.models.vocabulary import OutboxState

    if not case_ids:
        return set()
    failed = session.exec(
        select(OutboxItem.case_id).where(
            OutboxItem.kind == "breach_alert",
            col(OutboxItem.case_id).in_(list(case_ids)),
            col(OutboxItem.state).in_([OutboxState.FAILED, OutboxState.AMBIGUOUS]),
        )
    )
    return flagged_case_ids(session, BREACH_ALERT_UNSENT, case_ids) | {c for c in failed if c is not None}


# --- closing -------------------------------------------------------------------------------------
class RefusalNotSent(RuleViolation):
    staff_message = (
        "Sluiten als kennelijk ongegrond of buitensporig kan pas als de weigering met de"
        " rechtsmiddelen (klacht bij de AP, verzoekschrift aan de rechtbank) is verstuurd"
        " (art. 12 lid 4 AVG). Stel eerst een weigering op en laat die goedkeuren en versturen."
    )


def check_unfounded_close(session: Session, case: Case) -> None:
    """Art. 12(4)-(5): a manifestly unfounded/excessive request is closed only after the
    refusal with reasons and remedies was sent (the letter carries both; see refusal.j2)."""
    sent = session.exec(
        select(Draft.id).where(
            Draft.case_id == case.id, Draft.kind == "refusal", Draft.state == DraftState.SENT
        )
    ).first()
    if sent is None:
        raise RefusalNotSent(f"case {case.reference}: no sent refusal before closing as unfounded")


# --- first drafts -------------------------------------------------------------------------------
def confirm_marketing_stop(
    session: Session,
    case: Case,
    drafting: DraftingContext,
    *,
    flagged: bool | None = None,
    inbound: InboundMessage | None = None,
) -> bool:
    """Art. 21(3): draft the confirmation that direct marketing has stopped, at once (it
    waits only for a person's approval). Returns True when that letter is the whole answer
    (an objection to marketing alone), so no acknowledgement with its month is drafted.
    ``flagged``: whether the case carries the marketing flag, when the caller knows it (a
    case opened in this transaction: no query); ``inbound``: the message being answered."""
    from avgdesk.models.vocabulary import DraftKind
    from avgdesk.replies.drafting import add_draft

    if not (is_marketing_objection(session, case) if flagged is None else flagged):
        return False
    add_draft(
        session,
        case,
        DraftKind.OBJECTION,
        author="system:triage",
        ctx=drafting,
        fields={"suppression_list": True},
        automatic=True,
        inbound=inbound,
    )
    return set(case.rights) == {"objection"} and not case.is_complaint


@dataclass(frozen=True)
class OpenBreach:
    reference: str
    clock: BreachClock


def open_breaches(session: Session, limit: int | None = None) -> list[OpenBreach]:
    """Cases flagged as a possible breach and not yet decided, most urgent first (for the
    dashboard), at most ``limit`` of them. Closed cases too: the duty of Art. 33 does not end
    with the request."""
    # Order and limit in SQL: a stranger can raise one flag per mail, and the dashboard must not
    # read them all to show the first few (count_open_breaches says how many there are). The
    # clock starts when the flagged message arrived, so its arrival orders them.
    query = (
        select(Case, AuditEvent)
        .join(AuditEvent, col(AuditEvent.case_id) == col(Case.id))
        .outerjoin(InboundMessage, col(InboundMessage.id) == col(AuditEvent.message_pk))
        .where(AuditEvent.action == BREACH_FLAG, col(Case.id).not_in(_decided_case_ids()))
        .order_by(col(InboundMessage.received_at), col(AuditEvent.id))
    )
    rows = session.exec(query if limit is None else query.limit(limit))
    flagged = [(case, event) for case, event in rows if case.id is not None]
    ids = [case.id for case, _ in flagged if case.id is not None]
    unsent = _alert_unsent_ids(session, ids)
    found = []
    for case, event in flagged:
        since = datetime.fromisoformat(str(event.detail.get("since")))
        clock = BreachClock(since, since + BREACH_NOTIFY_WITHIN, case.id in unsent)
        found.append(OpenBreach(case.reference, clock))
    return sorted(found, key=lambda b: b.clock.notify_by)


def count_open_breaches(session: Session) -> int:
    """How many flagged breaches are undecided (one COUNT, whatever the history)."""
    return int(session.exec(select(func.count()).select_from(undecided_breach_case_ids().subquery())).one())


def undecided_breach_case_ids() -> Any:
    """A subquery: the cases with a flagged breach and no decision (retention keeps them)."""
    return select(AuditEvent.case_id).where(
        AuditEvent.action == BREACH_FLAG,
        col(AuditEvent.case_id).is_not(None),
        col(AuditEvent.case_id).not_in(_decided_case_ids()),
    )


def _decided_case_ids() -> Any:
    decision = aliased(AuditEvent)  # its own name: the subquery must not correlate to the outer events
    return select(decision.case_id).where(
        decision.action == BREACH_DECIDED, col(decision.case_id).is_not(None)
    )
