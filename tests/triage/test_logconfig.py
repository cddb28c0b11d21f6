"""Logs never carry message bodies or subjects, whatever happens to the message."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from avgdesk.triage.intake.local import store_local_message
from avgdesk.triage.intake.processing import Processor
from avgdesk.triage.worker.runner import Worker

SECRET = "GEHEIM-BSN-123456782"


async def test_no_body_or_subject_in_logs_through_intake_processing_and_failures(
    caplog: pytest.LogCaptureFixture, mailbox: Any, engine: Any, make_settings: Any, mail_factory: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    mailbox.append(mail_factory(1, subject=f"Inzage {SECRET}", body=f"Mijn BSN is {SECRET}."))
    store_local_message(engine, b"")  # quarantined: an error path that logs
    store_local_message(engine, f"Subject: {SECRET}\r\n\r\n{SECRET}".encode())
    worker = Worker(make_settings(**mailbox.settings_kwargs(), processing_max_attempts=1), engine)
    try:
        report = await worker.run_once()
    finally:
        worker.close()
    assert report.ingested == 1 and report.processing.quarantined == 1
    assert caplog.records, "the run should have logged something"
    for record in caplog.records:
        assert SECRET not in record.getMessage()


def test_classifier_failure_is_logged_without_content(
    caplog: pytest.LogCaptureFixture, engine: Any, make_settings: Any, mail_factory: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    store_local_message(engine, mail_factory(1, body=f"Verwijder {SECRET}"))

    class Failing:
        version = "x"

        def predict(self, docs: Any) -> Any:
            raise ValueError("bad input shape")

    Processor(engine, make_settings(), classifier=Failing()).drain()
    assert any("bad input shape" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
