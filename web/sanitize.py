"""Kept for existing imports: the sanitiser lives in :mod:`avgdesk.mailbox.sanitize`, below
triage, because processing stores its result once (the case page never sanitises on view)."""

from avgdesk.mailbox.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LINK_REL,
    REMOVE_WITH_CONTENT,
    URL_SCHEMES,
    cap_structure,
    sanitize_html,
)

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "LINK_REL",
    "REMOVE_WITH_CONTENT",
    "URL_SCHEMES",
    "cap_structure",
    "sanitize_html",
]
