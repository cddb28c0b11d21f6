"""Reading one raw message the way triage sees it: parsed fields, the contact form's
requester, the automatic-mail verdict and what the classifier should read.

Shared by the worker's processing and by ``avgdesk classify`` / ``avgdesk eval``, so the
commands measure exactly what the worker does.
"""

from __future__ import annotations

from dataclasses import dataclass

from avgdesk.mailbox.automatic import AutomaticVerdict, judge
from avgdesk.mailbox.contact_form import FormSubmission, is_form_sender, parse_form_body
from avgdesk.mailbox.parsing import ParsedMessage, ParseLimits, parse_message
from avgdesk.triage.settings import Settings


@dataclass(frozen=True)
class ReadMessage:
    parsed: ParsedMessage
    form: FormSubmission | None
    verdict: AutomaticVerdict
    subject_for_model: str
    text_for_model: str

    @property
    def requester_email(self) -> str | None:
        return self.form.email if self.form else self.parsed.from_addr

    @property
    def requester_name(self) -> str | None:
        return self.form.name if self.form else self.parsed.from_name


def parse_limits(settings: Settings) -> ParseLimits:
    return ParseLimits(
        max_parts=settings.parse_max_parts,
        max_depth=settings.parse_max_depth,
        max_text_chars=settings.parse_max_text_chars,
        max_html_bytes=settings.parse_max_html_bytes,
    )


def read_message(raw: bytes, settings: Settings, limits: ParseLimits | None = None) -> ReadMessage:
    """Raises :class:`MessageParseError` only for a message with nothing usable."""
    parsed = parse_message(raw, limits or parse_limits(settings))
    form = parse_form_body(parsed.text) if is_form_sender(parsed.from_addr, settings.form_senders) else None
    verdict = judge(
        parsed,
        own_domains=settings.own_domains,
        loop_value=settings.loop_header_value,
        from_form=form is not None,
    )
    return ReadMessage(
        parsed=parsed,
        form=form,
        verdict=verdict,
        subject_for_model=(form.subject if form and form.subject else parsed.subject),
        text_for_model=form.message if form else parsed.text,
    )
