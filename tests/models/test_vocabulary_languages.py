"""Reply languages (issue 15): Dutch, English and German writers get their own language;
unknown stays Dutch."""

from __future__ import annotations

import pytest

from avgdesk.models.vocabulary import REPLY_LANGUAGES, reply_language


@pytest.mark.parametrize(
    ("detected", "expected"),
    [("nl", "nl"), ("en", "en"), ("de", "de"), (None, "nl"), ("", "nl"), ("fr", "nl")],
)
def test_reply_language(detected: str | None, expected: str) -> None:
    assert reply_language(detected) == expected
    assert reply_language(detected) in REPLY_LANGUAGES


def test_every_reply_language_has_a_dutch_name_for_staff() -> None:
    from avgdesk.models.vocabulary import REPLY_LANGUAGE_NL

    assert set(REPLY_LANGUAGE_NL) == set(REPLY_LANGUAGES) == {"nl", "en", "de"}
