"""The label vocabulary shared by the classifier, the cases and the evaluation.

The labels, their order (the one in DESIGN.md) and the grouping rules (rights and complaint
combine; question, other and auto stand alone) live in :mod:`avgdesk.models.vocabulary`;
this module names what the classifier uses, so training, prediction and evaluation cannot
drift from the cases.
"""

from __future__ import annotations

from avgdesk.models.vocabulary import COMBINING, LABELS, RIGHTS, STANDALONE, is_request, validate_labels

__all__ = ["COMBINING", "LABELS", "RIGHTS", "STANDALONE", "is_request", "validate_labels"]
