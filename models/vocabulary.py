"""The shared vocabulary: every enum and name more than one package uses (DESIGN.md).

Labels and their grouping rules, staff roles, case, right, draft, message and outbox states,
pause reasons, which case states count as open, the reply languages, and the names people
read (labels, states, roles; months in Dutch, English and German). One place, so classifier,
cases, letters, summary and web cannot drift. No SQLAlchemy here: the command line and the
classifier import it cheaply; the tables in ``models/tables.py`` use these enums for their
columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

# --- labels ----------------------------------------------------------------------------------
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


class LabelError(ValueError):
    """Labels that break the rules: ``str(exc)`` is English (logs), ``staff_message`` Dutch."""

    def __init__(self, message: str, staff_message: str) -> None:
        super().__init__(message)
        self.staff_message = staff_message


def validate_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """The labels normalised (trimmed, lower case) in canonical order, or LabelError.

    Rights and complaint combine; question, other and auto stand alone.
    """
    clean = [label.strip().lower() for label in labels if label.strip()]
    unknown = [label for label in clean if label not in LABELS]
    if unknown:
        raise LabelError(
            f"unknown label(s): {', '.join(unknown)}; known: {', '.join(LABELS)}",
            f"Onbekend label: {', '.join(unknown)}.",
        )
    if not clean:
        raise LabelError("give at least one label", "Kies ten minste één label.")
    standalone = [label for label in clean if label in STANDALONE]
    if standalone and len(set(clean)) > 1:
        raise LabelError(
            f"{standalone[0]} stands alone; it cannot be combined with other labels",
            f"‘{LABEL_NL[standalone[0]]}’ staat op zichzelf en gaat niet samen met andere labels.",
        )
    return tuple(label for label in LABELS if label in set(clean))


def is_request(labels: Iterable[str]) -> bool:
    """True when the labels contain a right or a complaint: the things with a clock."""
    return any(label in COMBINING for label in labels)


# --- staff roles -----------------------------------------------------------------------------
class Role(StrEnum):
    """Web roles, each including the one before: medewerker < approver < admin."""

    MEDEWERKER = "medewerker"
    """Reads, drafts, case actions."""
    APPROVER = "approver"
    """Also approves and sends."""
    ADMIN = "admin"
    """Also manages users."""

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]


_ROLE_RANK = {Role.MEDEWERKER: 1, Role.APPROVER: 2, Role.ADMIN: 3}
APPROVER_ROLES: frozenset[Role] = frozenset({Role.APPROVER, Role.ADMIN})
ROLE_NL: dict[Role, str] = {
    Role.MEDEWERKER: "medewerker",
    Role.APPROVER: "goedkeurder",
    Role.ADMIN: "beheerder",
}


# --- states ----------------------------------------------------------------------------------
class MessageState(StrEnum):
    RECEIVED = "received"
    """Committed locally (raw bytes kept); not yet parsed, classified or threaded."""
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    """Processing failed ``processing_max_attempts`` times; raw bytes kept for staff."""


class MessageSource(StrEnum):
    IMAP = "imap"
    FORM = "form"


class CaseState(StrEnum):
    NEW = "new"
    AWAITING_IDENTITY = "awaiting_identity"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    IN_PROGRESS = "in_progress"
    AWAITING_APPROVAL = "awaiting_approval"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    UNFOUNDED = "unfounded"
    """Manifestly unfounded or excessive (Art. 12(5)): only by staff, with a justification."""


class RightStatus(StrEnum):
    OPEN = "open"
    GRANTED = "granted"
    PARTLY_GRANTED = "partly_granted"
    REFUSED = "refused"
    NOT_APPLICABLE = "not_applicable"


class PauseReason(StrEnum):
    IDENTITY = "identity"
    CLARIFICATION = "clarification"


class DraftState(StrEnum):
    DRAFT = "draft"
    """Editable; not sendable."""
    APPROVED = "approved"
    """A named approver approved exactly this text; the outbox owns it now."""
    SENT = "sent"
    FAILED = "failed"
    DISCARDED = "discarded"


class DraftKind(StrEnum):
    """The letters avgdesk drafts; ``replies/rendering.py`` has one template per kind and language."""

    ACKNOWLEDGEMENT = "acknowledgement"
    IDENTITY_REQUEST = "identity_request"
    CLARIFICATION_REQUEST = "clarification_request"
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    PORTABILITY = "portability"
    OBJECTION = "objection"
    EXTENSION = "extension"
    REFUSAL = "refusal"
    COMPLAINT = "complaint"
    OBJECTION_ANSWER = "objection_answer"
    """Art. 21(1): the objection granted, or refused after balancing (with remedies)."""
    NO_DATA = "no_data"
    """Art. 15(1): we process no personal data about the requester."""
    WITHHELD = "withheld"
    """Art. 15(4): what was withheld or redacted to protect others (a partial refusal)."""
    ABANDONED = "abandoned"
    """The requester did not answer our question: the case is closed (issue 13)."""


class TaskStatus(StrEnum):
    """A per-case task in one of the controller's systems (issue 17)."""

    OPEN = "open"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


IDENTITY_KEY_NL: dict[str, str] = {
    "email": "e-mailadres",
    "customer_number": "klantnummer",
    "contract_number": "contractnummer",
}
"""Identity keys an sql system's queries and erasure statements may bind (``:email``,
``:customer_number``, ``:contract_number``; issue 17), with the Dutch name staff read."""


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    """Leased by a worker until ``lease_until``; an expired lease is taken over."""
    RETRY = "retry"
    SENT = "sent"
    FAILED = "failed"
    """5xx or retries exhausted: shown to staff."""
    AMBIGUOUS = "ambiguous"
    """Given up after attempts whose outcome is unknown: the mail may have been delivered
    (possibly twice); staff check with the recipient before sending anything again."""


OPEN_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.NEW,
        CaseState.AWAITING_IDENTITY,
        CaseState.AWAITING_CLARIFICATION,
        CaseState.IN_PROGRESS,
        CaseState.AWAITING_APPROVAL,
    }
)
"""Case states with a running (or paused) clock: the backlog."""

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

PAUSE_REASON_NL: dict[PauseReason, str] = {
    PauseReason.IDENTITY: "wachten op identificatie",
    PauseReason.CLARIFICATION: "wachten op verduidelijking",
}
PAUSE_REASON_EN: dict[PauseReason, str] = {
    PauseReason.IDENTITY: "waiting for identification",
    PauseReason.CLARIFICATION: "waiting for clarification",
}

# --- calendar names --------------------------------------------------------------------------
# fmt: off
MONTHS_NL: tuple[str, ...] = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)
MONTHS_EN: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
MONTHS_DE: tuple[str, ...] = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)
MONTHS_NL_SHORT: tuple[str, ...] = (
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
)
# fmt: on

# --- reply languages ---------------------------------------------------------------------------
# Letters exist in Dutch, English and German (issue 15); each writer gets their own language.
# The language detector knows only these three; anything else (or nothing) stays Dutch, the
# house language. A case keeps the language stored when it was opened: German cases opened
# before German letters existed stay English.
REPLY_LANGUAGES: tuple[str, ...] = ("nl", "en", "de")
_REPLY_LANGUAGE_FOR: dict[str, str] = {"nl": "nl", "en": "en", "de": "de"}
REPLY_LANGUAGE_NL: dict[str, str] = {"nl": "Nederlands", "en": "Engels", "de": "Duits"}
"""The reply languages as staff read them (the draft form's language choice)."""


def reply_language(detected: str | None) -> str:
    """The language of the letters for a detected message language (unknown → "nl")."""
    return _REPLY_LANGUAGE_FOR.get(detected or "", "nl")


# --- letter kinds and closing outcomes (names staff read) -----------------------------------
LETTER_KIND_NL: dict[str, str] = {
    "acknowledgement": "Ontvangstbevestiging",
    "identity_request": "Verzoek om identificatie",
    "clarification_request": "Verzoek om verduidelijking",
    "access": "Antwoord op inzageverzoek",
    "rectification": "Antwoord op rectificatieverzoek",
    "erasure": "Antwoord op verzoek om wissen",
    "restriction": "Antwoord op verzoek om beperking",
    "portability": "Antwoord op verzoek om overdraagbaarheid",
    "objection": "Antwoord op bezwaar",
    "extension": "Verlengingsbericht",
    "refusal": "(Gedeeltelijke) weigering",
    "complaint": "Antwoord op klacht",
    "objection_answer": "Beslissing op bezwaar (art. 21 lid 1 AVG)",
    "no_data": "Bericht: geen gegevens over u",
    "withheld": "Bericht: gegevens van anderen afgeschermd (art. 15 lid 4 AVG)",
    "abandoned": "Afsluitbericht (geen reactie ontvangen)",
}
"""Letter kinds (:class:`DraftKind` values) as staff see them, capitalised."""

OUTCOME_NL: dict[str, str] = {
    "answered": "beantwoord",
    "closed": "gesloten",
    "withdrawn": "ingetrokken door de verzoeker",
    "unfounded": "kennelijk ongegrond of buitensporig (art. 12 lid 5 AVG)",
}
