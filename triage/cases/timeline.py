"""The case timeline in Dutch: one sentence per audit event, for staff.

"Status gewijzigd van nieuw naar in behandeling", letter names instead of kinds, no
hashes, ids or internal keys (the hashes stay in the audit record for audits). An event
this module does not know is shown by a neutral sentence, never by its raw detail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from avgdesk.models.tables import AuditEvent, CaseState
from avgdesk.models.vocabulary import CASE_STATE_NL, LABEL_NL, LETTER_KIND_NL, MONTHS_NL

PAUSE_NL = {"identity": "identificatie", "clarification": "verduidelijking"}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
"""Timeline times are Dutch office times (the deployment's time zone is the same)."""


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    text: str


def state_nl(value: object) -> str:
    try:
        return CASE_STATE_NL[CaseState(str(value))]
    except ValueError:
        return "onbekend"


def date_nl(value: object) -> str:
    if not value:
        return "–"
    try:
        d = date.fromisoformat(str(value)[:10])
    except ValueError:
        return "–"
    return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"


def _when(value: object) -> str:
    """An ISO timestamp as a Dutch date and time (UTC clock time is not shown to staff)."""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return "–"
    local = at.astimezone(AMSTERDAM) if at.tzinfo else at
    return f"{date_nl(local.date().isoformat())} {local:%H:%M}"


def actor_nl(actor: str) -> str:
    return {
        "system:triage": "avgdesk (verwerking)",
        "system:outbox": "avgdesk (verzending)",
        "system:retention": "avgdesk (bewaartermijn)",
    }.get(actor, "avgdesk" if actor.startswith("system:") else actor)


def _letter(detail: Mapping[str, Any], kinds: Mapping[int, str]) -> str:
    kind = detail.get("kind") or kinds.get(int(detail.get("draft_id") or 0), "")
    name = LETTER_KIND_NL.get(str(kind))
    return name[0].lower() + name[1:] if name else "brief"


def _labels(value: object) -> str:
    items = value if isinstance(value, list) else []
    return ", ".join(LABEL_NL.get(str(v), "onbekend") for v in items) or "geen"


def _opened(d: Mapping[str, Any], _k: Mapping[int, str]) -> str:
    raw = d.get("after")
    after: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    rights = [LABEL_NL.get(r, "onbekend") for r in after.get("rights", [])]
    if after.get("complaint"):
        rights.append("klacht")
    return "Zaak geopend" + (f" ({', '.join(rights)})" if rights else "")


def _state_change(prefix: str) -> Callable[[Mapping[str, Any], Mapping[int, str]], str]:
    def text(d: Mapping[str, Any], _k: Mapping[int, str]) -> str:
        return f"{prefix}: status gewijzigd van {state_nl(d.get('before'))} naar {state_nl(d.get('after'))}"

    return text


def _closed(d: Mapping[str, Any], _k: Mapping[int, str]) -> str:
    text = f"Zaak gesloten: status gewijzigd van {state_nl(d.get('before'))} naar {state_nl(d.get('after'))}"
    if d.get("override_reason"):
        text += f". Gesloten zonder verzonden antwoord, reden: {d['override_reason']}"
    elif d.get("justification") and d.get("after") == CaseState.CLOSED.value:
        text += f". Reden: {d['justification']}"
    elif d.get("justification"):
        text += f". Onderbouwing: {d['justification']}"
    return text


def _all_answered(items: object) -> str:
    """What ``case.answers_sent`` answered: the rights, the complaint, or both."""
    answered = list(items) if isinstance(items, list) else []
    complaint, rights = "complaint" in answered, [i for i in answered if i != "complaint"]
    if complaint and rights:
        return "Alles beantwoord (rechten en klacht)"
    return "Klacht beantwoord" if complaint else "Elk recht beantwoord"


def _breach_decided(d: Mapping[str, Any], _k: Mapping[int, str]) -> str:
    reason = f", toelichting: {d['reason']}" if d.get("reason") else ""
    fixed = "Beslissing gecorrigeerd: " if d.get("corrects") else ""
    if d.get("decision") == "reported":
        day = date_nl(d.get("reported_on"))
        return f"{fixed}Datalek gemeld bij de Autoriteit Persoonsgegevens op {day}{reason}"
    return f"{fixed}Mogelijk datalek beoordeeld: niet meldplichtig bij de AP, reden: {d.get('reason') or '–'}"


_OWED_REASON_NL = {"reopened": "zaak heropend", "reply_bounced": "onze brief kwam onbestelbaar terug"}

_TEXTS: dict[str, Callable[[Mapping[str, Any], Mapping[int, str]], str]] = {
    "case.opened": _opened,
    "message.attached": lambda d, k: (
        "Bericht door een medewerker aan de zaak gekoppeld"
        if d.get("how") == "staff"
        else "Bericht van de verzoeker aan de zaak toegevoegd"
    ),
    "message.link_suggested": lambda d, k: (
        "Mogelijk onbestelbaar-melding bij deze zaak (niet bewezen, niet gekoppeld; controleren)"
        if d.get("reason") == "unverified_bounce"
        else "Bericht mogelijk bij deze zaak (niet gekoppeld; controleren)"
    ),
    "message.id_copy_removed": lambda d, k: "Kopie identiteitsbewijs ook uit een later bericht verwijderd",
    "case.opened_for_breach": lambda d, k: "Zaak geopend voor een mogelijk datalek (geen verzoek herkend)",
    "case.access_facts": lambda d, k: (
        "Gegevens voor het inzageantwoord gekozen (doelen, ontvangers, bronnen…)"
    ),
    "message.relabelled": lambda d, k: (
        f"Labels gecorrigeerd van {_labels(d.get('before'))} naar {_labels(d.get('after'))}"
    ),
    "case.duplicate_flagged": lambda d, k: f"Mogelijk dubbel met {d.get('duplicate_of', 'een andere zaak')}",
    "case.link_suggested": lambda d, k: f"Mogelijk verwant aan {d.get('suggested', 'een andere zaak')}",
    "case.assigned": lambda d, k: (
        f"Toegewezen aan {d.get('after') or 'niemand'}" + (f" (was {d['before']})" if d.get("before") else "")
    ),
    "case.extended": lambda d, k: (
        f"Verlenging aangevraagd tot {date_nl(d.get('after'))} "
        f"({d.get('months', 2)} maand{'en' if d.get('months', 2) != 1 else ''}), "
        f"reden: {str(d.get('reason', '–')).rstrip('.')}; "
        f"het bericht moet uiterlijk {date_nl(d.get('notice_by'))} weg"
    ),
    "case.extension_notified": lambda d, k: (
        f"Verlengingsbericht verzonden: de termijn is nu {date_nl(d.get('after'))}"
    ),
    "case.paused": lambda d, k: (
        f"Klok gepauzeerd, wacht op {PAUSE_NL.get(str(d.get('reason')), 'de verzoeker')}: "
        f"status gewijzigd van {state_nl(d.get('before'))} naar {state_nl(d.get('after'))}"
    ),
    "case.resumed": _state_change("Klok hervat"),
    "case.closed": _closed,
    "case.reopened": lambda d, k: (
        f"Zaak heropend: status gewijzigd van {state_nl(d.get('before'))} naar "
        f"{state_nl(d.get('after'))}, reden: {d.get('reason', '–')}"
    ),
    "case.started": lambda d, k: (
        f"In behandeling genomen (eerste brief goedgekeurd of verzonden): status gewijzigd van "
        f"{state_nl(d.get('before'))} naar {state_nl(d.get('after'))}"
    ),
    "case.answers_sent": lambda d, k: (
        _all_answered(d.get("answered"))
        + ": "
        + (
            f"te laat beantwoord op {date_nl(d.get('answered_on'))} (termijn was {date_nl(d.get('due'))})"
            if d.get("late")
            else "de termijn is gehaald"
        )
        + "; de zaak kan worden gesloten"
    ),
    "case.answers_owed": lambda d, k: (
        "Er is weer een antwoord verschuldigd ("
        + _OWED_REASON_NL.get(str(d.get("reason")), "nieuw recht na correctie van de labels")
        + "): de termijn telt weer"
    ),
    "case.note_added": lambda d, k: "Interne notitie toegevoegd",
    "case.pause_requested": lambda d, k: (
        f"Pauze aangevraagd: verzoek om {PAUSE_NL.get(str(d.get('reason')), 'informatie')} "
        "opgesteld; de klok stopt zodra het verzoek is verstuurd"
    ),
    "case.marketing_objection": lambda d, k: (
        "Bezwaar tegen direct marketing: meteen stoppen en bevestigen (art. 21 lid 3 AVG)"
    ),
    "case.possible_breach": lambda d, k: (
        "Mogelijk datalek gesignaleerd (nog niet gemeld bij de AP); beslissen over melding vóór "
        f"{_when(d.get('notify_by'))}"
    ),
    "case.breach_decided": _breach_decided,
    "case.breach_alert_unsent": lambda d, k: (
        "Waarschuwing over een mogelijk datalek kon niet worden verstuurd"
    ),
    "case.id_copy_server_task": lambda d, k: (
        "Kopie identiteitsbewijs moet nog uit de mailbox worden verwijderd"
    ),
    "case.id_copy_server_removed": lambda d, k: "Kopie identiteitsbewijs uit de mailbox verwijderd",
    "case.identity_verified": lambda d, k: "Identiteit gecontroleerd",
    "draft.created": lambda d, k: (
        f"Brief opgesteld: {_letter(d, k)}" + (" (opmaakfout)" if d.get("render_error") else "")
    ),
    "draft.edited": lambda d, k: f"Brief bewerkt: {_letter(d, k)}",
    "draft.approved": lambda d, k: f"Brief goedgekeurd voor verzending: {_letter(d, k)}",
    "draft.approval_revoked": lambda d, k: f"Goedkeuring ingetrokken (brief gewijzigd): {_letter(d, k)}",
    "draft.discarded": lambda d, k: (
        f"Brief ingetrokken omdat de zaak is gesloten (wordt niet verzonden): {_letter(d, k)}"
        if d.get("reason") == "case_closed"
        else f"Brief ingetrokken omdat de zaak is heropend (wordt niet verzonden): {_letter(d, k)}"
        if d.get("reason") == "case_reopened"
        else f"Brief verworpen: {_letter(d, k)}"
    ),
    # Issue 17: tasks in the systems, collected data, attachments (never a hash).
    "task.assigned": lambda d, k: f"Taak ‘{d.get('title', '')}’ toegewezen aan {d.get('after') or 'niemand'}",
    "task.closed": lambda d, k: (
        f"Taak ‘{d.get('title', '')}’: "
        + ("niet van toepassing" if d.get("after") == "not_applicable" else "gedaan")
    ),
    "task.reopened": lambda d, k: f"Taak ‘{d.get('title', '')}’ heropend",
    "system.collected": lambda d, k: (
        f"Gegevens opgehaald uit {d.get('system', '')}: "
        + f"{sum(v for v in (d.get('rows') or {}).values() if isinstance(v, int))} rijen"
    ),
    "system.collect_failed": lambda d, k: f"Gegevens ophalen uit {d.get('system', '')} mislukt",
    "system.erase_started": lambda d, k: f"Wissen in {d.get('system', '')} gestart",
    "system.erased": lambda d, k: (
        f"Gewist in {d.get('system', '')}: "
        + f"{sum(v for v in (d.get('counts') or {}).values() if isinstance(v, int))} rijen"
    ),
    "system.erase_failed": lambda d, k: f"Wissen in {d.get('system', '')} mislukt; niets gewist",
    "tasks.overridden": lambda d, k: (
        f"Antwoord toegestaan ondanks {len(d.get('titles') or [])} open taken: {d.get('reason', '')}"
    ),
    "case.identity_keys": lambda d, k: "Klant- of contractnummer vastgelegd",
    "draft.attachment_added": lambda d, k: f"Bijlage toegevoegd aan {_letter(d, k)}: {d.get('name', '')}",
    "draft.attachment_removed": lambda d, k: f"Bijlage verwijderd uit {_letter(d, k)}: {d.get('name', '')}",
    "mail.sent": lambda d, k: f"Brief verzonden: {_letter(d, k)}",
    "mail.failed": lambda d, k: f"Verzenden mislukt: {_letter(d, k)}",
    "mail.retry": lambda d, k: f"Verzenden wordt opnieuw geprobeerd: {_letter(d, k)}",
    "mail.ambiguous": lambda d, k: f"Verzending onzeker (mogelijk twee keer bezorgd): {_letter(d, k)}",
    "reply.bounced": lambda d, k: "Onze brief kwam onbestelbaar terug",
    "case.extension_withdrawn": lambda d, k: (
        "Verlenging ingetrokken: het bericht erover is niet verstuurd, de oorspronkelijke termijn geldt"
    ),
    "draft.returned": lambda d, k: (
        "De brief is niet afgeleverd: hij telt niet als verzonden en staat bij 'verzenden mislukt'"
    ),
}


def describe(event: AuditEvent, draft_kinds: Mapping[int, str] | None = None) -> str:
    """One Dutch sentence for an audit event (never hashes or internal keys)."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    text = _TEXTS.get(event.action)
    if text is None:
        return "Gebeurtenis vastgelegd"
    return text(detail, draft_kinds or {})


def timeline(events: list[AuditEvent], draft_kinds: Mapping[int, str] | None = None) -> list[TimelineEntry]:
    return [TimelineEntry(e.at, actor_nl(e.actor), describe(e, draft_kinds)) for e in events]
