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
        └── InvalidOperation        a state change the rules do not allow
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


class SmtpPermanentError(PermanentError):
    """The SMTP server refused the message with a 5xx answer."""


class NotFoundError(PermanentError):
    """An object named by the user (a case reference, a draft id) does not exist."""


class InvalidOperation(PermanentError):
    """The requested state change is not allowed by the rules."""
