"""avgdesk.classifiers: recognise what a privacy-mailbox message asks for.

Multi-label text classification of AVG/GDPR rights requests, complaints, privacy
questions, unrelated mail and machine-generated mail, with calibrated scores,
a review flag, per-label explanations and an offline language guess. The model is
trained from the corpus shipped in classifiers/corpus/ plus staff corrections and
cached in the data folder. See the module docstrings for the reasons behind each part.
"""

from avgdesk.classifiers.cache import load_or_train
from avgdesk.classifiers.contracts import Classifier, Document, Example, Prediction
from avgdesk.classifiers.evaluation import EvalReport, LabelScore, evaluate, format_report
from avgdesk.classifiers.labels import LABELS, RIGHTS
from avgdesk.classifiers.language import detect_language

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
