"""English golden files: every letter kind (and each variant the Dutch goldens have) as the
customer who wrote in English reads it (issue 13: the Dutch goldens existed, the English
letters had none). Staff write free text in the customer's language, so the samples' Dutch
free-text fields are given in English here; everything else is the shared sample.

Rewrite after a reviewed change with AVGDESK_UPDATE_EXPECTED=1 and read the diff.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from replies_samples import check_golden, translated_cases

from avgdesk.replies import DraftKind, ReplyContext
from avgdesk.replies.profile import load_profile
from avgdesk.replies.rendering import render

EXPECTED = Path(__file__).parent / "expected" / "en"
PROFILE = load_profile()

EN_TEXT: dict[DraftKind, dict[str, Any]] = {
    DraftKind.IDENTITY_REQUEST: {"verification_detail": "the postcode of your billing address"},
    DraftKind.ACCESS: {"attachment_name": "access-AVG-2026-0001.pdf"},
    DraftKind.RECTIFICATION: {
        "corrections": [
            "your address has been changed to Dorpsstraat 12, 6901 AB Zevenaar",
            "your phone number has been added",
        ]
    },
    DraftKind.ERASURE: {
        "erased_items": ["your customer portal account", "your newsletter details", "your support requests"],
        "retained": [
            {
                "item": "your invoices from 2025",
                "ground": "legal_obligation",
                "period": "until 31 December 2032",
            }
        ],
    },
    DraftKind.RESTRICTION: {"restricted_data": "your address details"},
    DraftKind.PORTABILITY: {"attachment_name": "data-AVG-2026-0001.json"},
    DraftKind.OBJECTION: {"marketing_channels": ["the e-mail newsletter", "telephone campaigns"]},
    DraftKind.EXTENSION: {
        "extension_reason": "Your request covers ten years of tickets, invoices and licence records, which we"
        " must collect and check carefully.",
        "new_deadline": date(2026, 6, 5),
    },
    DraftKind.REFUSAL: {
        "refusal_reasons": [
            "you have made the same request five times in the past three weeks, and we sent you a complete"
            " copy on 12 February 2026 (Article 12(5) GDPR)"
        ]
    },
    DraftKind.COMPLAINT: {
        "complaint_summary": "you still received our newsletter after you had unsubscribed.",
        "findings": [
            "your unsubscription of 2 February 2026 was not processed because of a fault in our"
            " mailing software",
            "you then received two more newsletters",
        ],
        "measures": [
            "we have removed your e-mail address from the mailing list",
            "we have fixed the fault in the unsubscribe function and checked whether other"
            " unsubscriptions were missed",
        ],
    },
    DraftKind.OBJECTION_ANSWER: {
        "processing": "keeping the history of your calls with our helpdesk",
        "compelling_grounds": ["we need the calls to settle an ongoing dispute about your licence"],
    },
    DraftKind.NO_DATA: {"searched": ["our customer records", "our ticket system", "our mailing lists"]},
    DraftKind.WITHHELD: {"withheld": ["the names and phone numbers of your employer's staff in two e-mails"]},
}
EN_VARIANTS: dict[str, dict[str, Any]] = {
    "identity_request_id_copy": {
        "id_copy_reason": "your request comes from an e-mail address we do not know and you have"
        " no customer number"
    },
    "refusal_partial": {
        "granted": "we have erased your account and your newsletter details.",
        "refusal_reasons": [
            "we must keep your invoices for another 7 years under the tax retention obligation"
            " (Article 17(3)(b) GDPR)"
        ],
    },
}


def english_cases() -> dict[str, tuple[DraftKind, ReplyContext]]:
    return translated_cases("en", EN_TEXT, EN_VARIANTS, "Ms De Vries")


@pytest.mark.parametrize("name", sorted(english_cases()))
@pytest.mark.parametrize("part", ["txt", "html"])
def test_english_rendering_matches_reviewed_expected_file(name: str, part: str) -> None:
    kind, ctx = english_cases()[name]
    check_golden(EXPECTED / f"{name}.{part}", render(kind, ctx, PROFILE), part)


def test_every_kind_and_variant_has_an_english_golden_file() -> None:
    names = {p.stem for p in EXPECTED.glob("*.txt")}
    assert set(english_cases()) == names == {p.stem for p in (EXPECTED.parent / "nl").glob("*.txt")}


def test_english_letters_carry_no_dutch_from_the_frame() -> None:
    """The frame, headings and legal texts are English; only names and addresses are Dutch."""
    for name, (kind, ctx) in english_cases().items():
        text = render(kind, ctx, PROFILE).text
        for dutch in ("Geachte", "Met vriendelijke groet", "Ons kenmerk", " uw ", " wij ", "privacyteam"):
            assert dutch not in text, f"{name}: {dutch!r}"
