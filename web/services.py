"""The services the pages call, wired to settings in one place."""

from __future__ import annotations

import logging

from avgdesk.replies.drafting import DraftingContext
from avgdesk.triage.settings import Settings
from avgdesk.web.config import WebSettings

log = logging.getLogger(__name__)


def drafting_context(settings: Settings, web: WebSettings) -> DraftingContext:
    """Prefer triage's wiring (profile, outbox policy, four-eyes from Settings)."""
    try:
        from avgdesk.triage.drafting_config import drafting_context as from_settings

        return from_settings(settings)
    except (ImportError, AttributeError):
        # Settings does not carry the drafting fields yet: the defaults of replies/.
        domain = settings.own_domains[0] if settings.own_domains else "avgdesk.invalid"
        return DraftingContext(tz=settings.tz, message_id_domain=domain, four_eyes=web.four_eyes)
