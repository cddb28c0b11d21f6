"""Training glue: the classifier's cache lives in the data folder; staff corrections join."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier


def load_classifier(
    settings: Settings,
    engine: Engine,
    *,
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> Classifier:
    from avgdesk.classifiers import load_or_train

    return load_or_train(settings.data_dir / "model", extra_examples=(), progress=progress, force=force)
