"""Wiring shared by the commands: settings → engine (migrated) → services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.triage.settings import Settings

if TYPE_CHECKING:
    from avgdesk.classifiers import Classifier

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine

    def classifier(self, progress: Callable[[str, float], None] | None = None) -> Classifier:
        """The cached model, trained on first use and whenever the corpus or the staff
        corrections changed (a failure propagates: mail waits unprocessed, never unlabelled).
        Never called when no message waits, so a fresh ``run --once`` does not train."""
        from avgdesk.triage.intake.training import load_classifier

        return load_classifier(self.settings, self.engine, progress=progress)


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(
        settings.effective_database_url, sqlite_busy_timeout_s=settings.sqlite_busy_timeout_s
    )
    if migrate:
        upgrade(engine)
    return Runtime(settings=settings, engine=engine)
