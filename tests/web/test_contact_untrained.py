"""Issue 14 item 4: a contact-form submission never waits for the classifier to train.

The classifier factory blocks on an Event, standing in for a training that has not
finished: the submission must be stored and confirmed while it is still blocked, and the
case must be opened once the model is there."""

from __future__ import annotations

import threading
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from webseed import KeywordClassifier

from avgdesk.models.tables import InboundMessage
from avgdesk.web.app import create_app
from avgdesk.web.config import WebSettings

FORM = {
    "name": "Bram de Vries",
    "email": "bram.devries@example.nl",
    "subject": "Inzage in mijn gegevens",
    "message": "Graag wil ik inzage in welke gegevens u van mij verwerkt.\nGroet, Bram",
    "request_type": "inzage",
    "website": "",
}


def _newest(engine: Any) -> InboundMessage:
    with Session(engine) as s:
        return s.exec(select(InboundMessage).order_by(col(InboundMessage.id).desc())).first()  # type: ignore[return-value]


def test_submission_is_confirmed_while_training_is_blocked(web_settings: Any, web_engine: Any) -> None:
    training_may_finish = threading.Event()
    training_started = threading.Event()

    def blocked_training() -> Any:
        training_started.set()
        training_may_finish.wait(30)
        return KeywordClassifier()

    app = create_app(
        web_settings,
        web_engine,
        WebSettings.from_settings(web_settings),
        classifier_factory=blocked_training,
        warm_classifier=True,
    )
    with TestClient(app, follow_redirects=False) as c:
        assert training_started.wait(10)
        r = c.post("/contact", data=FORM)
        # Still training: the request came back anyway, with the submission stored.
        assert not training_may_finish.is_set()
        assert r.status_code == 303
        done = c.get(r.headers["location"])
        msg = _newest(web_engine)
        assert msg.state.value == "received" and msg.case_id is None
        assert f'id="volgnummer">{msg.id}<' in done.text and "per e-mail" in done.text

        training_may_finish.set()
        for _ in range(200):
            if _newest(web_engine).case_id is not None:
                break
            threading.Event().wait(0.05)
        assert _newest(web_engine).case_id is not None, "the case is opened once the model is loaded"
