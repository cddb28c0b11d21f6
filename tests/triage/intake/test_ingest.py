"""Intake without a server: configuration checks (the IMAP tests are in tests/integration/)."""

from __future__ import annotations

import pytest

from avgdesk.triage.intake.ingest import Intake


def test_same_processed_folder_is_a_configuration_error(engine, make_settings) -> None:
    from avgdesk.models.errors import ConfigurationError

    settings = make_settings(imap_host="x", imap_username="u", imap_processed_folder="INBOX")
    with pytest.raises(ConfigurationError):
        Intake(engine, settings)
