"""Sample reply contexts shared by the reply tests and the golden-file generator.

Not a test module (no ``test_`` prefix). The golden files in ``expected/`` are the
renderings of exactly these samples.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from avgdesk.replies import DraftKind, RenderedReply, ReplyContext

RECEIVED = date(2026, 3, 5)
RESPOND_BY = date(2026, 4, 7)

FIELDS: dict[DraftKind, dict[str, Any]] = {
    DraftKind.ACKNOWLEDGEMENT: {},
    DraftKind.IDENTITY_REQUEST: {"verification_detail": "de postcode van uw factuuradres"},
    DraftKind.CLARIFICATION_REQUEST: {},
    DraftKind.ACCESS: {
        "attachment_name": "inzage-AVG-2026-0001.pdf",
        # Issue 13 point 8: this person's facts, chosen from the profile's lists.
        "purpose_ids": ["contract"],
        "category_ids": ["contact", "customer", "correspondence"],
        "recipient_ids": ["hosting", "email"],
        "retention_ids": ["customer", "correspondence"],
        "source_ids": ["reseller"],
    },
    DraftKind.RECTIFICATION: {
        "corrections": [
            "uw adres is gewijzigd in Dorpsstraat 12, 6901 AB Zevenaar",
            "uw telefoonnummer is aangevuld",
        ]
    },
    DraftKind.ERASURE: {
        "erased_items": [
            "uw account voor het klantenportaal",
            "uw gegevens voor de nieuwsbrief",
            "uw supportvragen",
        ],
        "retained": [
            {
                "item": "uw facturen uit 2025",
                "ground": "legal_obligation",
                "period": "tot en met 31 december 2032",
            }
        ],
    },
    DraftKind.RESTRICTION: {
        "restricted_data": "uw adresgegevens",
        "restriction_ground": "accuracy_contested",
    },
    DraftKind.PORTABILITY: {
        "export_format": "json",
        "attachment_name": "gegevens-AVG-2026-0001.json",
    },
    DraftKind.OBJECTION: {"marketing_channels": ["de e-mailnieuwsbrief", "telefonische acties"]},
    DraftKind.EXTENSION: {
        "extension_ground": "spread",
        "extension_reason": "Het gaat om tien jaar aan tickets, facturen en licentiegegevens, die"
        " wij zorgvuldig moeten verzamelen en controleren.",
        "new_deadline": date(2026, 6, 5),
    },
    DraftKind.REFUSAL: {
        "partial": False,
        "refusal_reasons": [
            "u hebt in de afgelopen drie weken vijf keer hetzelfde verzoek gedaan, en wij "
            "hebben u op 12 februari 2026 al een volledige kopie gestuurd (artikel 12 lid 5 "
            "AVG)"
        ],
    },
    DraftKind.COMPLAINT: {
        "complaint_summary": "u ontving onze nieuwsbrief nog, nadat u zich daarvoor had afgemeld.",
        "findings": [
            "uw afmelding van 2 februari 2026 is door een fout in onze mailingsoftware niet verwerkt",
            "u hebt daarna nog twee nieuwsbrieven ontvangen",
        ],
        "measures": [
            "wij hebben uw e-mailadres uit de verzendlijst verwijderd",
            "wij hebben de fout in de afmeldfunctie hersteld en gecontroleerd of andere "
            "afmeldingen ook zijn gemist",
        ],
    },
    DraftKind.OBJECTION_ANSWER: {
        "decision": "refused",
        "processing": "het bewaren van uw belgeschiedenis met onze helpdesk",
        "compelling_grounds": [
            "wij hebben de gesprekken nodig om een lopend geschil over uw licentie af te handelen",
        ],
    },
    DraftKind.NO_DATA: {"searched": ["onze klantadministratie", "ons ticketsysteem", "onze mailinglijsten"]},
    DraftKind.WITHHELD: {
        "withheld": ["de namen en telefoonnummers van medewerkers van uw werkgever in twee e-mails"],
    },
    DraftKind.ABANDONED: {"asked_on": date(2026, 3, 6), "asked_for": "identity"},
}

# Variants that get their own golden file: name -> (kind, extra fields)
VARIANTS: dict[str, tuple[DraftKind, dict[str, Any]]] = {
    "identity_request_id_copy": (
        DraftKind.IDENTITY_REQUEST,
        {
            "id_copy_requested": True,
            "id_copy_reason": "uw verzoek komt van een e-mailadres dat niet bij ons bekend is "
            "en u geen klantnummer hebt",
        },
    ),
    "refusal_partial": (
        DraftKind.REFUSAL,
        {
            "partial": True,
            "granted": "wij hebben uw account en uw gegevens voor de nieuwsbrief gewist.",
            "refusal_reasons": [
                "uw facturen moeten wij op grond van de fiscale bewaarplicht nog 7 jaar "
                "bewaren (artikel 17 lid 3, onder b, AVG)"
            ],
        },
    ),
    "acknowledgement_complaint": (DraftKind.ACKNOWLEDGEMENT, {}),
    "objection_answer_granted": (
        DraftKind.OBJECTION_ANSWER,
        {"decision": "granted", "compelling_grounds": []},
    ),
}

RIGHTS_FOR: dict[DraftKind, tuple[str, ...]] = {
    DraftKind.ACKNOWLEDGEMENT: ("access", "erasure"),
    DraftKind.IDENTITY_REQUEST: ("access",),
    DraftKind.CLARIFICATION_REQUEST: ("access",),
    DraftKind.ACCESS: ("access",),
    DraftKind.RECTIFICATION: ("rectification",),
    DraftKind.ERASURE: ("erasure",),
    DraftKind.RESTRICTION: ("restriction",),
    DraftKind.PORTABILITY: ("portability",),
    DraftKind.OBJECTION: ("objection",),
    DraftKind.EXTENSION: ("access", "portability"),
    DraftKind.REFUSAL: ("access",),
    DraftKind.COMPLAINT: (),
    DraftKind.OBJECTION_ANSWER: ("objection",),
    DraftKind.NO_DATA: ("access",),
    DraftKind.WITHHELD: ("access",),
    DraftKind.ABANDONED: ("access",),
}


def sample_context(
    kind: DraftKind,
    language: str = "nl",
    *,
    rights: tuple[str, ...] | None = None,
    is_complaint: bool | None = None,
    extra: dict[str, Any] | None = None,
    requester_name: str | None = "mevrouw De Vries",
) -> ReplyContext:
    fields = dict(FIELDS[kind])
    fields.update(extra or {})
    return ReplyContext(
        reference="AVG-2026-0001",
        language=language,
        requester_name=requester_name,
        rights=RIGHTS_FOR[kind] if rights is None else rights,
        is_complaint=(kind is DraftKind.COMPLAINT) if is_complaint is None else is_complaint,
        received_on=RECEIVED,
        respond_by=RESPOND_BY,
        staff_name="Petra Jansen",
        fields=fields,
    )


def golden_cases() -> dict[str, tuple[DraftKind, ReplyContext]]:
    """Every Dutch golden file name -> (kind, context)."""
    cases = {kind.value: (kind, sample_context(kind)) for kind in DraftKind}
    for name, (kind, extra) in VARIANTS.items():
        if name == "acknowledgement_complaint":
            cases[name] = (kind, sample_context(kind, rights=(), is_complaint=True))
        elif name == "refusal_partial":
            cases[name] = (kind, sample_context(kind, rights=("erasure",), extra=extra))
        else:
            cases[name] = (kind, sample_context(kind, extra=extra))
    return cases


def translated_cases(
    language: str,
    texts: dict[DraftKind, dict[str, Any]],
    variants: dict[str, dict[str, Any]],
    requester_name: str,
) -> dict[str, tuple[DraftKind, ReplyContext]]:
    """Every golden file name -> (kind, context) in ``language``: the Dutch samples, with the
    free-text fields staff would write in that language (``texts`` per kind, ``variants`` per
    variant name) over the Dutch ones."""
    cases = {
        k.value: (k, sample_context(k, language, extra=texts.get(k), requester_name=requester_name))
        for k in DraftKind
    }
    for name, (kind, extra) in VARIANTS.items():
        fields = {**extra, **texts.get(kind, {}), **variants.get(name, {})}
        if name == "objection_answer_granted":
            fields["compelling_grounds"] = []
        if name == "acknowledgement_complaint":
            ctx = sample_context(kind, language, rights=(), is_complaint=True, requester_name=requester_name)
        elif name == "refusal_partial":
            ctx = sample_context(
                kind, language, rights=("erasure",), extra=fields, requester_name=requester_name
            )
        else:
            ctx = sample_context(kind, language, extra=fields, requester_name=requester_name)
        cases[name] = (kind, ctx)
    return cases


UPDATE = os.environ.get("AVGDESK_UPDATE_EXPECTED") == "1"


def check_golden(path: Path, reply: RenderedReply, part: str) -> None:
    """Compare one rendering (``part`` "txt": subject and text, "html") with its reviewed file;
    with AVGDESK_UPDATE_EXPECTED=1 rewrite the file instead (then read the diff)."""
    actual = f"Subject: {reply.subject}\n\n{reply.text}" if part == "txt" else reply.html
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        pytest.skip("expected file rewritten; review it before committing")
    assert path.exists(), f"missing expected file {path}; run with AVGDESK_UPDATE_EXPECTED=1"
    assert actual == path.read_text(encoding="utf-8")
