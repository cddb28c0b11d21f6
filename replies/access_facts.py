"""Per-case facts of an access answer (Art. 15(1) AVG; issue 13 point 8).

An access answer must describe *this* person's data: the purposes, categories,
recipients (by name, CJEU C-154/21), retention and sources that apply to them, chosen
from the controller profile's lists by id. Staff choose; :func:`default_access_fields`
proposes a starting point from what the request says, so a draft is never generic:

* sources: "self" always; "reseller" when the request says the person came through a
  reseller (demo case 0007);
* everything else: every entry of the profile, for staff to narrow down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from avgdesk.replies.profile import ControllerProfile

ID_FIELDS = ("purpose_ids", "category_ids", "recipient_ids", "retention_ids", "source_ids")

_RESELLER = re.compile(
    r"\b(resellers?|wederverkopers?|doorverkopers?|dealers?|verkooppartners?"
    r"|via (?:een|uw|jullie) partner)\b",
    re.IGNORECASE,
)


def recipient_id(recipient: Any) -> str:
    return str(recipient.id or recipient.category.nl)


def choices(profile: ControllerProfile) -> dict[str, list[str]]:
    """The ids staff may choose from, per field."""
    return {
        "purpose_ids": [p.id for p in profile.purposes],
        "category_ids": [c.id for c in profile.data_categories],
        "recipient_ids": [recipient_id(r) for r in profile.recipients],
        "retention_ids": [r.id for r in profile.retention if r.id],
        "source_ids": [s.id for s in profile.source_options],
    }


def default_access_fields(profile: ControllerProfile, *, text: str) -> dict[str, list[str]]:
    """The rule's proposal for one request (staff adjust it in the draft)."""
    options = choices(profile)
    sources = ["self"] + (["reseller"] if _RESELLER.search(text or "") else [])
    return {
        "purpose_ids": options["purpose_ids"],
        "category_ids": options["category_ids"],
        "recipient_ids": options["recipient_ids"],
        "retention_ids": options["retention_ids"],
        "source_ids": [s for s in sources if s in options["source_ids"]],
    }


def selected(profile: ControllerProfile, fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The profile entries chosen in ``fields`` (all of a list when none is chosen).

    Raises ValueError naming an unknown id: a typo must never drop a recipient silently.
    """
    options = choices(profile)
    pools: dict[str, list[Any]] = {
        "purpose_ids": list(profile.purposes),
        "category_ids": list(profile.data_categories),
        "recipient_ids": list(profile.recipients),
        "retention_ids": [r for r in profile.retention if r.id],
        "source_ids": list(profile.source_options),
    }
    out: dict[str, list[Any]] = {}
    for name in ID_FIELDS:
        chosen = list(fields.get(name) or [])
        unknown = [c for c in chosen if c not in options[name]]
        if unknown:
            raise ValueError(
                f"{name}: unknown id(s) {', '.join(unknown)}; choose from {', '.join(options[name])}"
            )
        pool = pools[name]
        out[name] = (
            [item for item, key in zip(pool, options[name], strict=True) if key in chosen] if chosen else pool
        )
    return out


# --- staff's choice per case (the case page's checkboxes) ----------------------------------------
FIELD_NL = {
    "purpose_ids": "Doelen",
    "category_ids": "Soorten gegevens",
    "recipient_ids": "Ontvangers",
    "retention_ids": "Bewaartermijnen",
    "source_ids": "Bronnen",
}


def option_labels(profile: ControllerProfile) -> dict[str, list[tuple[str, str]]]:
    """(id, Dutch text) per field, in the profile's order, for staff to tick."""
    return {
        "purpose_ids": [(p.id, p.description.nl) for p in profile.purposes],
        "category_ids": [(c.id, c.description.nl) for c in profile.data_categories],
        "recipient_ids": [
            (recipient_id(r), f"{r.name} ({r.category.nl})" if r.name else r.category.nl)
            for r in profile.recipients
        ],
        "retention_ids": [(r.id, f"{r.data.nl}: {r.period.nl}") for r in profile.retention if r.id],
        "source_ids": [(s.id, s.text.nl) for s in profile.source_options],
    }


def clean_choice(profile: ControllerProfile, chosen: Mapping[str, Any]) -> dict[str, list[str]]:
    """Staff's ticks as the draft fields, in the profile's order.

    Raises ValueError for an unknown id or a field with nothing ticked: in a draft an empty
    list means "all of the profile", which is exactly the generic answer staff narrow down.
    """
    options = choices(profile)
    out: dict[str, list[str]] = {}
    for name in ID_FIELDS:
        picked = {str(v) for v in chosen.get(name) or []}
        unknown = sorted(picked - set(options[name]))
        if unknown:
            raise ValueError(f"{name}: unknown id(s) {', '.join(unknown)}")
        if options[name] and not picked:
            raise ValueError(f"{name}: nothing chosen")
        out[name] = [key for key in options[name] if key in picked]
    return out
