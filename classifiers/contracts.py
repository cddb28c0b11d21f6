"""The data types other packages rely on: what the classifier reads and what it returns.

They are plain frozen dataclasses so that triage, the CLI and the web UI can pass
them around without importing scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Document:
    """What the classifier reads: a subject and a plain-text body (HTML converted by intake)."""

    subject: str
    text: str


@dataclass(frozen=True)
class Prediction:
    """The classifier's answer for one document."""

    labels: list[str]
    scores: dict[str, float]
    needs_review: bool
    language: str
    explanations: dict[str, list[str]]
    model_version: str
    # The best label that was not chosen, with its probability, when it came close to its
    # threshold (staff see it next to the labels); None when no other label was near.
    runner_up: tuple[str, float] | None = None


@dataclass(frozen=True)
class Example:
    """A labelled training example: a corpus line or a staff correction."""

    subject: str
    body: str
    labels: tuple[str, ...]
    lang: str | None = None


class Classifier(Protocol):
    """Anything that turns documents into predictions (the fitted model, or a test fake)."""

    version: str

    def predict(self, docs: Sequence[Document]) -> list[Prediction]: ...
