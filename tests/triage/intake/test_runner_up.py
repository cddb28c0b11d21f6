"""The classifier's runner-up (the best label not chosen, when close) is stored with the message."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from avgdesk.classifiers import Prediction
from avgdesk.models.tables import InboundMessage
from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor


class RunnerUp:
    """Labels every message access, with erasure close behind, or nothing close for 'clear'."""

    version = "runner-up"

    def predict(self, docs: Any) -> list[Prediction]:
        return [
            Prediction(
                ["access"],
                {"access": 0.9, "erasure": 0.3},
                True,
                "nl",
                {},
                self.version,
                runner_up=None if "clear" in d.text else ("erasure", 0.3),
            )
            for d in docs
        ]


def test_runner_up_is_stored_with_the_message(engine: Any, make_settings: Any, mail_factory: Any) -> None:
    close, _ = store_local_message(engine, mail_factory(1, body="Inzage graag, en misschien wissen"))
    clear, _ = store_local_message(engine, mail_factory(2, body="Inzage graag, clear"))
    Processor(engine, make_settings(), classifier=RunnerUp()).drain()
    with Session(engine) as s:
        a = s.get(InboundMessage, close)
        b = s.get(InboundMessage, clear)
    assert a is not None and a.labels == ["access"]
    assert a.runner_up == {"label": "erasure", "score": 0.3}
    assert b is not None and b.runner_up is None
