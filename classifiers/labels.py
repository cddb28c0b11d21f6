"""The label vocabulary shared by the classifier, the cases and the evaluation.

Kept in one place so that the order (the one in DESIGN.md) and the grouping rules
(rights and complaint combine; question, other and auto stand alone) cannot drift
between training, prediction and evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable

from avgdesk.models.labels import COMBINING, LABELS, RIGHTS, STANDALONE

__all__ = ["COMBINING", "LABELS", "RIGHTS", "STANDALONE", "is_request", "validate_labels"]


def is_request(labels: Iterable[str]) -> bool:
    """True when the labels contain a right or a complaint: the things with a clock."""
    return any(label in COMBINING for label in labels)


def validate_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Return the labels in canonical order, or raise ValueError if they break the rules."""
    given = set(labels)
    unknown = given - set(LABELS)
    if unknown:
        raise ValueError(f"unknown labels: {sorted(unknown)}")
    if not given:
        raise ValueError("an example needs at least one label")
    standalone = given & set(STANDALONE)
    if standalone and len(given) > 1:
        raise ValueError(f"{sorted(standalone)} must stand alone, got {sorted(given)}")
    return tuple(label for label in LABELS if label in given)
