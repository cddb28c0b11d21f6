from __future__ import annotations

import pytest

from avgdesk.classifiers import LABELS, RIGHTS
from avgdesk.classifiers.labels import is_request, validate_labels


def test_label_order_matches_design() -> None:
    assert LABELS == (
        "access",
        "rectification",
        "erasure",
        "restriction",
        "portability",
        "objection",
        "complaint",
        "question",
        "other",
        "auto",
    )
    assert LABELS[:6] == RIGHTS


def test_validate_orders_and_rejects_bad_combinations() -> None:
    assert validate_labels(["complaint", "access"]) == ("access", "complaint")
    for bad in (["question", "access"], ["auto", "other"], [], ["nonsense"]):
        with pytest.raises(ValueError):
            validate_labels(bad)


def test_is_request() -> None:
    assert is_request(["complaint"]) and is_request(["erasure"])
    assert not is_request(["question"]) and not is_request(["auto"])
