"""The one exception tree of avgdesk.

Every error avgdesk raises on purpose derives from :class:`AvgdeskError` and is
either *retryable* (the same action may succeed later: a server is down, a lock is
held, a timeout) or *permanent* (retrying changes nothing: bad input, bad
configuration, a 5xx answer). Callers decide by catching one of the two branches
and never catch a third-party exception directly: each boundary module translates
its library's errors with ``raise ... from exc``.

    AvgdeskError
    ├── RetryableError
    │   ├── MailboxUnavailable      IMAP connect/read failed, timed out, or BYE
    │   ├── DatabaseBusy            a lock or a serialisation failure
    │   └── SmtpTemporaryError      4xx, disconnect, timeout (SMTP)
    └── PermanentError
        ├── ConfigurationError      a setting is missing or invalid
        ├── MailboxAuthError        the IMAP login was refused
        ├── MailboxCapabilityError  the server lacks what a setting requires
        ├── MessageParseError       a message cannot be parsed (quarantine after N tries)
        ├── SmtpPermanentError      5xx (SMTP)
        ├── NotFoundError           an object named by the user does not exist
        │   ├── CaseNotFound, DraftNotFound
        └── InvalidOperation        a state change the rules do not allow
            └── RuleViolation       one subclass per rule of a use case, with a Dutch
                                    ``staff_message`` (what staff read) and an English
                                    ``str()`` (what the log says)
"""

from __future__ import annotations


class AvgdeskError(Exception):
    """Base of every error avgdesk raises on purpose."""


class RetryableError(AvgdeskError):
    """The same action may succeed later; retry with backoff."""


class PermanentError(AvgdeskError):
    """Retrying the same action will fail again; report it."""


class MailboxUnavailable(RetryableError):
    """The IMAP server could not be reached, timed out, or dropped the connection."""


class DatabaseBusy(RetryableError):
    """The database refused the transaction for now (a lock, a serialisation failure)."""


class SmtpTemporaryError(RetryableError):
    """The SMTP server answered 4xx, disconnected or timed out."""


class ConfigurationError(PermanentError):
    """A setting is missing or invalid."""


class MailboxAuthError(PermanentError):
    """The IMAP server refused the login; retried only after a long backoff."""


class MailboxCapabilityError(PermanentError):
    """The IMAP server lacks a capability a setting requires."""


class MessageParseError(PermanentError):
    """A stored message cannot be parsed; it is quarantined after a few attempts."""


class AmbiguousDelivery(SmtpTemporaryError):
    """The connection timed out or dropped after DATA was sent: delivery unknown."""


class SmtpPermanentError(PermanentError):
    """The SMTP server refused the message with a 5xx answer."""


class NotFoundError(PermanentError):
    """An object named by the user (a case reference, a draft id) does not exist."""


class InvalidOperation(PermanentError):
    """The requested state change is not allowed by the rules."""


# --- rules of the use cases (triage.cases.actions / triage.cases.drafts) --------------------
class RuleViolation(InvalidOperation):
    """A use case refused by one of its rules.

    ``str(exc)`` is English, for logs; :attr:`staff_message` is the Dutch sentence the web UI
    and the CLI show. Each rule has its own subclass, so callers and tests can tell them apart
    without reading texts. Subclasses set a default ``staff_message``; a raise site may pass a
    more specific one (with the case's dates).
    """

    staff_message = "Deze handeling is volgens de regels niet toegestaan."

    def __init__(self, log_message: str, staff_message: str | None = None) -> None:
        super().__init__(log_message)
        if staff_message is not None:
            self.staff_message = staff_message


class _StaffNotFound(NotFoundError):
    """A named object does not exist; with a Dutch ``staff_message`` like a rule's."""

    staff_message = "Niet gevonden."

    def __init__(self, log_message: str, staff_message: str | None = None) -> None:
        super().__init__(log_message)
        if staff_message is not None:
            self.staff_message = staff_message


class CaseNotFound(_StaffNotFound):
    staff_message = "Deze zaak bestaat niet."


class DraftNotFound(_StaffNotFound):
    staff_message = "Deze brief bestaat niet."


class CaseNotOpen(RuleViolation):
    staff_message = "Deze zaak is gesloten; heropen haar eerst."


class CaseNotClosed(RuleViolation):
    staff_message = "Deze zaak is nog open; alleen een gesloten zaak kan worden heropend."


class ReasonRequired(RuleViolation):
    staff_message = "Geef een reden op."


class ExtensionNotAllowed(RuleViolation):
    staff_message = "Deze zaak kan niet (meer) worden verlengd."


class AlreadyExtended(ExtensionNotAllowed):
    staff_message = "Deze zaak is al verlengd; een termijn kan maar één keer worden verlengd."


class NoStatutoryDeadline(ExtensionNotAllowed):
    staff_message = "Deze zaak heeft geen wettelijke termijn om te verlengen (alleen een klacht)."


class AlreadyPaused(RuleViolation):
    staff_message = "De zaak wacht al op de verzoeker."


class NotPaused(RuleViolation):
    staff_message = "De zaak wacht niet op de verzoeker; er is niets te hervatten."


class UnknownChoice(RuleViolation):
    staff_message = "Kies een van de aangeboden mogelijkheden."


class UnfoundedNeedsStaff(RuleViolation):
    staff_message = (
        "Alleen een medewerker kan een verzoek kennelijk ongegrond of buitensporig noemen "
        "(art. 12 lid 5 AVG), met een schriftelijke onderbouwing."
    )


class AnswerNotSent(RuleViolation):
    staff_message = (
        "Sluiten als beantwoord kan pas als voor elk recht een inhoudelijk antwoord is verzonden. "
        "Sluit anders met een andere uitkomst, of geef een reden om toch te sluiten."
    )


class InvalidLabels(RuleViolation):
    staff_message = "Deze combinatie van labels kan niet."


class UnknownUser(RuleViolation):
    staff_message = "Deze gebruiker bestaat niet of is niet actief."


class EmptyNote(RuleViolation):
    staff_message = "Een notitie mag niet leeg zijn."


class NoteTooLong(RuleViolation):
    staff_message = "Deze notitie is te lang."


class DraftNotEditable(RuleViolation):
    staff_message = "Deze brief kan niet meer worden gewijzigd (verzonden, in verzending of verworpen)."


class DraftChanged(RuleViolation):
    staff_message = "De brief is intussen gewijzigd. Lees de nieuwe versie en keur die zo nodig opnieuw goed."


class ApprovalRefused(RuleViolation):
    staff_message = "Deze brief kan niet worden goedgekeurd."


class ApproverRequired(ApprovalRefused):
    staff_message = "Goedkeuren kan alleen een actieve goedkeurder of beheerder, met naam."


class FourEyesRule(ApprovalRefused):
    staff_message = "Vier-ogenprincipe: u hebt deze brief zelf geschreven; een collega moet hem goedkeuren."


class DraftNotAwaitingApproval(ApprovalRefused):
    staff_message = "Deze brief wacht niet (meer) op goedkeuring."


class DraftNotSendable(ApprovalRefused):
    staff_message = "Deze brief kan zo niet worden verzonden (opmaakfout, lege tekst of geen geldig adres)."


class TasksOpen(ApprovalRefused):
    staff_message = (
        "Deze brief kan nog niet worden goedgekeurd: er staan nog taken open in de systemen. "
        "Rond ze af of markeer ze als niet van toepassing."
    )


class TaskNotFound(NotFoundError):
    staff_message = "Deze taak bestaat niet."


class TaskRefused(RuleViolation):
    staff_message = "Deze taak kan zo niet worden afgesloten."


class AttachmentRefused(RuleViolation):
    staff_message = "Deze bijlage kan niet worden toegevoegd."


class ConnectorFailed(RetryableError):
    """A system's database could not be read (unreachable, timeout, refused query); the task
    stays open with the reason and nothing was collected."""


def staff_text(exc: BaseException) -> str:
    """What staff read for an error: the Dutch message of a rule, else the error's text."""
    message = getattr(exc, "staff_message", None)
    return message if isinstance(message, str) and message else str(exc)
