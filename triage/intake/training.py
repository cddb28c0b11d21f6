"""Training glue: the classifier's cache lives in the data folder; staff corrections join.

The latest correction of each message becomes a training example (subject and text as
the worker read them). The cache key covers the corrections, so a new correction makes
the cached model stale and the next start retrains.
"""

from __future__ import annotations

from collections.abc import Callable
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


def load_classifier(
    settings: Settings,
    engine: Engine,
    *,
    force: bool = False,
    progress: Callable[[str, float], None] | None = None,
) -> Classifier:
    from avgdesk.classifiers import load_or_train

    return load_or_train(
        settings.data_dir / "model", extra_examples=corrections(engine), progress=progress, force=force
    )
