"""Errors of avgdesk.replies."""

from __future__ import annotations

from avgdesk.models.errors import PermanentError


class RenderError(PermanentError):
    """A reply could not be rendered: a missing or invalid field, a template error.

    Rendering the same draft again fails again, so this is permanent: the draft is
    shown to staff as an error and never sent.
    """
