"""Reply languages: German writers get English letters, unknown stays Dutch."""

from __future__ import annotations

import pytest

from avgdesk.models.vocabulary import REPLY_LANGUAGES, reply_language


@pytest.mark.parametrize(
    ("detected", "expected"),
    [("nl", "nl"), ("en", "en"), ("de", "en"), (None, "nl"), ("", "nl"), ("fr", "nl")],
)
def test_reply_language(detected: str | None, expected: str) -> None:
    assert reply_language(detected) == expected
    assert reply_language(detected) in REPLY_LANGUAGES
