"""Settings → the drafting and outbox parameters that replies/ takes as arguments."""

from __future__ import annotations

from avgdesk.replies.drafting import DraftingContext
from avgdesk.replies.outbox import OutboxPolicy
from avgdesk.replies.profile import load_profile
from avgdesk.triage.settings import Settings


def outbox_policy(settings: Settings) -> OutboxPolicy:
    return OutboxPolicy(
        lease_s=settings.outbox_lease_s,
        retry_initial_s=settings.outbox_retry_initial_s,
        retry_max_s=settings.outbox_retry_max_s,
        deliver_for_s=settings.outbox_deliver_for_s,
        ambiguous_retries=settings.outbox_ambiguous_retries,
    )


def drafting_context(settings: Settings) -> DraftingContext:
    return DraftingContext(
        tz=settings.tz,
        message_id_domain=settings.message_id_domain,
        four_eyes=settings.four_eyes,
        profile=load_profile(settings.controller_profile),
        outbox=outbox_policy(settings),
    )
