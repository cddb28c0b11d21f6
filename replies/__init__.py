"""avgdesk.replies: what avgdesk writes to customers, from template to sent mail.

* templates (nl/en), the controller profile and rendering: pure, no database, no SMTP
  (:mod:`~avgdesk.replies.rendering`, :mod:`~avgdesk.replies.profile`);
* drafting and approval, in the caller's database session (:mod:`~avgdesk.replies.drafting`);
* the outbox, which sends approved bytes through a :class:`~avgdesk.replies.transport.Mailer`
  (:mod:`~avgdesk.replies.outbox`); the SMTP and Graph transports live in ``mailbox/``.

See README.md in this folder and the docstring of :mod:`avgdesk.replies.rendering` for how
the templates are organised.
"""

from .errors import RenderError
from .profile import ControllerProfile, load_profile
from .rendering import (
    FIELD_SPECS,
    DraftKind,
    FieldSpec,
    RenderedReply,
    ReplyContext,
    optional_fields,
    render,
    required_fields,
    subject_for,
)

__all__ = [
    "FIELD_SPECS",
    "ControllerProfile",
    "DraftKind",
    "FieldSpec",
    "RenderError",
    "RenderedReply",
    "ReplyContext",
    "load_profile",
    "optional_fields",
    "render",
    "required_fields",
    "subject_for",
]
