"""avgdesk.replies: what avgdesk writes to customers, from template to sent mail.

* templates (nl/en), the controller profile and rendering: pure, no database, no SMTP
  (:mod:`~avgdesk.replies.rendering`, :mod:`~avgdesk.replies.profile`);
* drafting and approval, in the caller's database session (:mod:`~avgdesk.replies.drafting`);
* the outbox, which sends approved bytes through a :class:`~avgdesk.replies.transport.Mailer`
  (:mod:`~avgdesk.replies.outbox`); the SMTP and Graph transports live in ``mailbox/``.

See README.md in this folder and the docstring of :mod:`avgdesk.replies.rendering` for how
the templates are organised.

The names below are imported on first use (PEP 562): importing a submodule such as
``avgdesk.replies.outbox`` (``avgdesk status``, the worker) must not load Jinja2 and the
templates through this package's ``__init__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Exported name -> the submodule that defines it.
_EXPORTS = {
    "RenderError": "errors",
    "ControllerProfile": "profile",
    "load_profile": "profile",
    **{
        name: "rendering"
        for name in (
            "FIELD_SPECS",
            "DraftKind",
            "FieldSpec",
            "RenderedReply",
            "ReplyContext",
            "optional_fields",
            "render",
            "required_fields",
            "subject_for",
        )
    },
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once: later look-ups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
