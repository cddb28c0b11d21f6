"""avgdesk.replies: Dutch/English reply templates, the controller profile and rendering.

Pure layer: no database, no SMTP. See README.md in this folder and the module
docstring of :mod:`avgdesk.replies.rendering` for how the templates are organised.
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
