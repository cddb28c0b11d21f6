"""avgdesk.classifiers: recognise what a privacy-mailbox message asks for.

Multi-label text classification of AVG/GDPR rights requests, complaints, privacy
questions, unrelated mail and machine-generated mail, with calibrated scores,
a review flag, per-label explanations and an offline language guess (nl/en/de). The
model is trained from the corpus shipped in classifiers/corpus/ plus staff corrections
and cached in the data folder. See the module docstrings for the reasons behind each part.

Importing this package is cheap: the names below are resolved on first use, so
scikit-learn, scipy and joblib load only when a model is trained, loaded or evaluated
(`avgdesk --help` and the web UI's start must not pay for them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from avgdesk.classifiers.cache import load_or_train
    from avgdesk.classifiers.contracts import Classifier, Document, Example, Prediction
    from avgdesk.classifiers.evaluation import EvalReport, LabelScore, evaluate, format_report
    from avgdesk.classifiers.labels import LABELS, RIGHTS
    from avgdesk.classifiers.language import detect_language

_WHERE = {
    "load_or_train": "cache",
    "Classifier": "contracts",
    "Document": "contracts",
    "Example": "contracts",
    "Prediction": "contracts",
    "EvalReport": "evaluation",
    "LabelScore": "evaluation",
    "evaluate": "evaluation",
    "format_report": "evaluation",
    "LABELS": "labels",
    "RIGHTS": "labels",
    "detect_language": "language",
}

__all__ = [
    "LABELS",
    "RIGHTS",
    "Classifier",
    "Document",
    "EvalReport",
    "Example",
    "LabelScore",
    "Prediction",
    "detect_language",
    "evaluate",
    "format_report",
    "load_or_train",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
