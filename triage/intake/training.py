"""Training glue: the classifier's cache lives in the data folder; staff corrections join.

The latest correction of each message becomes a training example (subject and text as
the worker read them). The cache key covers the corrections, so a new correction makes
the cached model stale and the next start retrains. A data folder without corrections
uses the model shared by all data folders of the user (``model_shared_dir``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from avgdesk.models.tables import InboundMessage, LabelCorrection
from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier, Example


def corrections(engine: Engine) -> list[Example]:
    from avgdesk.classifiers import Example

    latest: dict[int, LabelCorrection] = {}
    with Session(engine) as session:
        for corr in session.exec(select(LabelCorrection).order_by(col(LabelCorrection.id))):
            latest[corr.message_pk] = corr
        messages = {
            m.id: m
            for m in session.exec(select(InboundMessage).where(col(InboundMessage.id).in_(list(latest))))
        }
    examples = []
    for pk, corr in sorted(latest.items()):
        message = messages.get(pk)
        if message is None:  # deleted under retention: its correction goes with it
            continue
        examples.append(
            Example(
                subject=message.subject or "",
                body=message.text or "",
                labels=tuple(corr.labels),
                lang=message.language,
            )
        )
    return examples


def model_folder(settings: Settings, engine: Engine) -> Path:
    """Where this data folder's model is cached: its own ``model`` folder once it has staff
    corrections or a model there (tests and upgrades copy one in), else the shared folder,
    so a second data folder of the same user loads the model instead of training ~50 s."""
    local = settings.data_dir / "model"
    shared = settings.model_shared_dir
    if shared is None or any(local.glob("*.joblib")) or _has_corrections(engine):
        return local
    return shared


def _has_corrections(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.exec(select(LabelCorrection.id).limit(1)).first() is not None


def load_classifier(
    settings: Settings,
    engine: Engine,
    *,
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> Classifier:
    """The cached model (see :func:`model_folder`), trained when the corpus, the code or the
    corrections changed; ``progress(stage, fraction)`` is called only while training."""
    from avgdesk.classifiers import load_or_train

    folder = model_folder(settings, engine)
    extra = corrections(engine) if folder == settings.data_dir / "model" else []
    return load_or_train(folder, extra_examples=extra, progress=progress, force=force)
