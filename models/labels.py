"""The shared vocabulary: label identifiers, their grouping rules, and the Dutch names
people read (DESIGN.md). One place, so classifier, cases, summary and web cannot drift."""

from __future__ import annotations

from avgdesk.models.tables import CaseState

RIGHTS: tuple[str, ...] = ("access", "rectification", "erasure", "restriction", "portability", "objection")
"""The six rights, in the order of the GDPR articles (15, 16, 17, 18, 20, 21)."""
COMBINING: tuple[str, ...] = (*RIGHTS, "complaint")
"""Labels that may combine; each of them makes a message a case."""
STANDALONE: tuple[str, ...] = ("question", "other", "auto")
LABELS: tuple[str, ...] = (*COMBINING, *STANDALONE)

LABEL_NL: dict[str, str] = {
    "access": "inzage",
    "rectification": "rectificatie",
    "erasure": "wissen",
    "restriction": "beperking",
    "portability": "overdraagbaarheid",
    "objection": "bezwaar",
    "complaint": "klacht",
    "question": "vraag",
    "other": "overig",
    "auto": "automatisch",
}

CASE_STATE_NL: dict[CaseState, str] = {
    CaseState.NEW: "nieuw",
    CaseState.AWAITING_IDENTITY: "wacht op identificatie",
    CaseState.AWAITING_CLARIFICATION: "wacht op verduidelijking",
    CaseState.IN_PROGRESS: "in behandeling",
    CaseState.AWAITING_APPROVAL: "wacht op goedkeuring",
    CaseState.ANSWERED: "beantwoord",
    CaseState.CLOSED: "gesloten",
    CaseState.WITHDRAWN: "ingetrokken",
    CaseState.UNFOUNDED: "kennelijk ongegrond of buitensporig",
}

OPEN_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.NEW,
        CaseState.AWAITING_IDENTITY,
        CaseState.AWAITING_CLARIFICATION,
        CaseState.IN_PROGRESS,
        CaseState.AWAITING_APPROVAL,
    }
)
