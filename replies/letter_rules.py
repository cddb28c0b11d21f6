"""Legal rules on letters that drafting, approval and the outbox all apply (issue 13).

* An extension notice exists only for a case that was extended through the extend
  service; its dates come from the case (computed by the deadline engine), never from
  free input.
* An extension notice must reach the requester "within one month of receipt"
  (Art. 12(3) AVG): approving or sending it after that last day is refused, because a
  late notice extends nothing and would tell the customer something untrue.
* The reason for an extension is one of the grounds the EDPB accepts (Guidelines
  01/2022 §162-164: volume, data spread over systems, redaction, making data
  intelligible, several requests of this person) plus a free explanation; workload alone
  is never a reason, so it is not on the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from avgdesk.models.errors import ApprovalRefused, ExtensionNotAllowed
from avgdesk.models.tables import Case, Draft
from avgdesk.replies.i18n import EXTENSION_GROUNDS

__all__ = [
    "EXTENSION_GROUNDS",
    "ExtensionGroundRequired",
    "ExtensionNoticeLate",
    "ExtensionNoticeWithoutExtension",
    "check_extension_notice_in_time",
    "extension_fields",
    "extension_reason",
    "send_refusal",
]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EXTENSION_KIND = "extension"
MIN_EXPLANATION_CHARS = 20


class ExtensionGroundRequired(ExtensionNotAllowed):
    staff_message = (
        "Kies een reden voor de verlenging uit de lijst en licht die toe. Drukte alleen is geen"
        " reden (EDPB-richtsnoeren 01/2022, punt 162-164)."
    )


class ExtensionNoticeWithoutExtension(ExtensionNotAllowed):
    staff_message = (
        "Een verlengingsbericht kan alleen via 'Verlengen' worden gemaakt; de data in het"
        " bericht komen uit de berekende termijn."
    )


class ExtensionNoticeLate(ApprovalRefused):
    staff_message = "Het verlengingsbericht is te laat: de termijn om te verlengen is verstreken."


def extension_reason(ground: str | None, explanation: str | None) -> str:
    """Validate a ground from the fixed list plus a free explanation; return the text
    stored on the case and told to the requester ("<ground>; <explanation>")."""
    key = (ground or "").strip()
    text = " ".join((explanation or "").split())
    if key not in EXTENSION_GROUNDS:
        raise ExtensionGroundRequired(
            f"extension ground {key!r} is not one of {', '.join(EXTENSION_GROUNDS)}"
        )
    if len(text) < MIN_EXPLANATION_CHARS:
        raise ExtensionGroundRequired(
            "an extension needs an explanation of what makes this request complex",
            f"Licht de reden toe (minstens {MIN_EXPLANATION_CHARS} tekens): wat maakt dit"
            " verzoek ingewikkeld? Die uitleg komt in het bericht aan de verzoeker.",
        )
    return text


def extension_fields(case: Case, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of an extension notice, with the dates taken from the case.

    Refused for a case that was not extended (the notice would announce an extension
    that does not exist) and for a ``new_deadline`` other than the computed one.
    """
    if case.extended_at is None or case.extended_deadline is None:
        raise ExtensionNoticeWithoutExtension(f"case {case.reference} was not extended")
    given = fields.get("new_deadline")
    computed = case.extended_deadline
    if given is not None and str(given)[:10] != computed.isoformat():
        raise ExtensionNoticeWithoutExtension(
            f"new_deadline {given} differs from the computed extended deadline {computed}",
            f"De nieuwe datum komt uit de berekende termijn ({computed:%d-%m-%Y}) en kan niet"
            " met de hand worden gekozen.",
        )
    return {**fields, "new_deadline": computed}


def _last_day(case: Case) -> date | None:
    # Art. 12(3): the notice is due "within one month of receipt" = the original deadline;
    # pauses do not move it (the earlier date is safe).
    return case.legal_deadline


def check_extension_notice_in_time(draft: Draft, case: Case, now: datetime, tz: ZoneInfo = AMSTERDAM) -> None:
    """Refuse an extension notice after its last day (approval and sending)."""
    if draft.kind != EXTENSION_KIND:
        return
    last = _last_day(case)
    today = now.astimezone(tz).date()
    if last is not None and today > last:
        raise ExtensionNoticeLate(
            f"extension notice for {case.reference} after its last day {last.isoformat()}",
            f"Dit verlengingsbericht mag niet meer worden verstuurd: de verzoeker had het uiterlijk"
            f" {last:%d-%m-%Y} moeten ontvangen (artikel 12 lid 3 AVG, binnen een maand na"
            " ontvangst). Een te late verlenging geldt niet. Beantwoord het verzoek zo snel"
            " mogelijk inhoudelijk en leg vast waarom het te laat is.",
        )


def send_refusal(
    draft: Draft | None, case: Case | None, now: datetime, tz: ZoneInfo = AMSTERDAM
) -> str | None:
    """For the outbox: why this approved mail must not go out now (None: send it)."""
    if draft is None or case is None:
        return None
    try:
        check_extension_notice_in_time(draft, case, now, tz)
    except ExtensionNoticeLate as exc:
        return f"{exc} (refused at sending)"
    return None
