"""Dutch names for what the UI shows (labels, states, draft kinds, dates)."""

from __future__ import annotations

from avgdesk.models.addresses import display_name_for_letter
from avgdesk.models.tables import CaseState
from avgdesk.models.vocabulary import CASE_STATE_NL, LETTER_KIND_NL, MONTHS_NL_SHORT
from avgdesk.models.vocabulary import LABEL_NL as _LABEL_NL
from avgdesk.models.vocabulary import LABELS as LABELS
from avgdesk.models.vocabulary import OPEN_STATES as _OPEN_STATES
from avgdesk.models.vocabulary import OUTCOME_NL as OUTCOME_NL
from avgdesk.models.vocabulary import REPLY_LANGUAGE_NL as _REPLY_LANGUAGE_NL
from avgdesk.models.vocabulary import RIGHTS as RIGHTS
from avgdesk.models.vocabulary import ROLE_NL as _ROLE_NL

LABEL_NL = _LABEL_NL
STATE_NL = {state.value: name for state, name in CASE_STATE_NL.items()}
OPEN_STATES = tuple(state.value for state in CaseState if state in _OPEN_STATES)

DRAFT_STATE_NL = {
    "draft": "concept (wacht op goedkeuring)",
    "approved": "goedgekeurd, in de verzendrij",
    "sent": "verzonden",
    "failed": "verzenden mislukt",
    "discarded": "verworpen",
}

KIND_NL = LETTER_KIND_NL


RIGHT_STATUS_NL = {
    "open": "open",
    "granted": "toegewezen",
    "partly_granted": "deels toegewezen",
    "refused": "geweigerd",
    "not_applicable": "niet van toepassing",
}

PAUSE_NL = {"identity": "wachten op identificatie", "clarification": "wachten op verduidelijking"}

OUTBOX_STATE_NL = {
    "pending": "wacht op verzending",
    "sending": "wordt verzonden",
    "retry": "wordt opnieuw geprobeerd",
    "sent": "verzonden",
    "failed": "mislukt",
    "ambiguous": "onzeker (mogelijk twee keer bezorgd)",
}

VERSION_HOW_NL = {
    "create": "opgesteld",
    "snapshot": "tekst vóór de wijziging",
    "text": "tekst aangepast",
    "fields": "opnieuw opgebouwd uit de gegevens",
}

ROLE_NL = {role.value: name for role, name in _ROLE_NL.items()}

REQUEST_TYPES = (
    ("", "Weet ik niet / anders"),
    ("inzage", "Inzage in mijn gegevens"),
    ("rectificatie", "Gegevens laten corrigeren"),
    ("wissen", "Gegevens laten verwijderen"),
    ("beperking", "Verwerking laten beperken"),
    ("overdraagbaarheid", "Gegevens laten overdragen"),
    ("bezwaar", "Bezwaar maken"),
    ("klacht", "Een klacht indienen"),
    ("vraag", "Een vraag stellen"),
)

ACTION_NL = {
    "case.opened": "zaak geopend",
    "message.attached": "bericht toegevoegd",
    "draft.created": "concept gemaakt",
    "draft.edited": "concept bewerkt",
    "draft.approved": "concept goedgekeurd",
    "draft.approval_revoked": "goedkeuring ingetrokken",
    "draft.discarded": "concept verworpen",
    "case.state": "status gewijzigd",
    "case.assigned": "toegewezen",
    "case.extended": "termijn verlengd",
    "case.extension_withdrawn": "verlenging ingetrokken",
    "case.paused": "klok gepauzeerd",
    "case.resumed": "klok hervat",
    "case.closed": "zaak gesloten",
    "case.started": "in behandeling genomen",
    "case.answers_sent": "alles beantwoord, nog sluiten",
    "case.answers_owed": "weer een antwoord verschuldigd",
    "right.status": "status van een recht gewijzigd",
    "case.identity_verified": "identiteit gecontroleerd",
    "message.relabelled": "labels gecorrigeerd",
    "outbox.sent": "verzonden",
    "outbox.failed": "verzenden mislukt",
    "draft.returned": "brief onbestelbaar",
}

WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
MONTHS = MONTHS_NL_SHORT


def right_nl(label: str) -> str:
    return LABEL_NL.get(label, label)


def state_nl(state: object) -> str:
    value = getattr(state, "value", state)
    return STATE_NL.get(str(value), str(value))


def draft_state_nl(state: object) -> str:
    value = getattr(state, "value", state)
    return DRAFT_STATE_NL.get(str(value), str(value))


def kind_nl(kind: str) -> str:
    return KIND_NL.get(kind, kind)


def language_nl(code: str | None) -> str:
    """The language's Dutch name ("Duits" for de): staff read names, not codes."""
    return _REPLY_LANGUAGE_NL.get(code or "", code or "–")


def person_name(name: str | None) -> str | None:
    """A requester's name as staff see it: only when it looks like a person's name (issue 11).

    A stranger chooses the display name: ``=?utf-8?q?anna=40example.nl?= <attacker@...>``
    must not show "anna@example.nl" where staff look for the requester, and a phishing
    sentence is no name either. The message itself still shows what its From said.
    """
    return display_name_for_letter(name)


def action_nl(action: str) -> str:
    return ACTION_NL.get(action, action)


def outbox_state_nl(state: object) -> str:
    value = getattr(state, "value", state)
    return OUTBOX_STATE_NL.get(str(value), "onbekend")


FIELD_NL = {
    "customer_number": ("Klant- of contractnummer", "Wordt onder het kenmerk getoond."),
    "identity_check_to_follow": (
        "Identiteitscontrole volgt",
        "Meld dat een apart bericht vraagt de identiteit te bevestigen.",
    ),
    "verification_detail": (
        "Controlegegeven",
        "Een gegeven dat wij al hebben, bijv. 'de postcode van uw factuuradres'.",
    ),
    "id_copy_requested": (
        "Kopie identiteitsbewijs vragen",
        "Alleen bij uitzondering: lichtere controles volstaan niet.",
    ),
    "id_copy_reason": ("Reden voor kopie ID", "Verplicht als om een kopie wordt gevraagd."),
    "questions": (
        "Vragen",
        "Eén vraag per regel; leeg = standaardvragen (welke verwerking, gegevens, periode).",
    ),
    "attachment_name": ("Naam van de bijlage", "Bestandsnaam van de bijgevoegde kopie of export."),
    "categories": ("Categorieën gegevens", "Eén per regel; leeg = alle categorieën uit het profiel."),
    "sources": ("Herkomst van de gegevens", "Eén per regel; leeg = de bronnen uit het profiel."),
    "corrections": ("Correcties", "Wat is gecorrigeerd of aangevuld; één per regel."),
    "erased_items": ("Gewiste gegevens", "Wat is gewist; één per regel."),
    "retained": (
        "Bewaarde gegevens",
        "Per regel: gegeven | grond | termijn. Grond: freedom_of_expression, legal_obligation, "
        "public_health, archiving of legal_claims.",
    ),
    "backup_note": ("Opmerking over back-ups", "Een zin over back-ups, indien van toepassing."),
    "restricted_data": ("Beperkte gegevens of verwerking", "Welke gegevens of verwerking zijn beperkt."),
    "restriction_ground": ("Grond (art. 18 lid 1)", ""),
    "restriction_until": (
        "Tot wanneer",
        "Bijv. 'totdat wij de juistheid van uw adres hebben gecontroleerd'.",
    ),
    "export_format": ("Formaat van de export", ""),
    "transmitted_to": (
        "Rechtstreeks verstuurd aan",
        "De organisatie die de gegevens rechtstreeks kreeg (art. 20 lid 2).",
    ),
    "out_of_scope": (
        "Niet meegenomen",
        "Gegevens die niet zijn meegenomen, elk met de reden; één per regel.",
    ),
    "marketing_channels": ("Gestopte kanalen", "Bijv. 'de e-mailnieuwsbrief'; één per regel."),
    "suppression_list": (
        "Op niet-benaderen-lijst",
        "Het e-mailadres blijft op een lijst om niet meer te benaderen.",
    ),
    "extension_reason": ("Reden van verlenging", "Waarom meer tijd nodig is (art. 12 lid 3)."),
    "new_deadline": ("Nieuwe termijn", "Na de huidige termijn."),
    "partial": ("Gedeeltelijk toegewezen", "Aan: een deel van het verzoek wordt wel uitgevoerd."),
    "refusal_reasons": ("Redenen van weigering", "Eén per regel (art. 12 lid 4)."),
    "granted": ("Wat wel is gedaan", "Verplicht bij een gedeeltelijke weigering."),
    "complaint_summary": ("De klacht", "De klacht zoals wij die begrepen."),
    "findings": ("Bevindingen", "Wat het onderzoek opleverde; één per regel."),
    "measures": ("Maatregelen", "Genomen maatregelen; één per regel."),
    "linked_request_note": (
        "Gekoppeld verzoek",
        "Een zin over een verzoek dat samen met de klacht is behandeld.",
    ),
}


def right_status_nl(status: object) -> str:
    value = getattr(status, "value", status)
    return RIGHT_STATUS_NL.get(str(value), str(value))


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(right_nl(str(v)) if str(v) in LABEL_NL else str(v) for v in value) or "–"
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return STATE_NL.get(str(value), str(value))


def audit_detail(detail: dict[str, object]) -> str:
    """One readable line for an audit event (never message bodies: there are none)."""
    parts = []
    if "before" in detail or "after" in detail:
        before, after = detail.get("before"), detail.get("after")
        if isinstance(after, dict) and before is None:
            parts.append(_plain(after))
        else:
            parts.append(f"{_plain(before)} → {_plain(after)}")
    for key in ("reason", "how", "kind", "version", "months", "justification", "render_error"):
        if detail.get(key) not in (None, ""):
            parts.append(f"{key}: {_plain(detail[key])}")
    return "; ".join(parts)[:300]


def size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} kB"
    return f"{n / 1024 / 1024:.1f} MB"
