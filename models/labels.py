"""Moved to :mod:`avgdesk.models.vocabulary`; this name stays for code not yet rewritten."""

from avgdesk.models.vocabulary import (
    CASE_STATE_NL,
    COMBINING,
    LABEL_NL,
    LABELS,
    OPEN_STATES,
    RIGHTS,
    STANDALONE,
)

__all__ = ["CASE_STATE_NL", "COMBINING", "LABELS", "LABEL_NL", "OPEN_STATES", "RIGHTS", "STANDALONE"]
