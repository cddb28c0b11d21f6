"""Where a data folder's model is cached: shared by the user's data folders until it has its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from avgdesk.models.engine import make_engine
from avgdesk.models.migrate import upgrade
from avgdesk.triage.intake.training import model_folder
from avgdesk.triage.settings import load_settings


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_fresh_data_folder_uses_the_shared_model(tmp_path: Path, sqlite_engine: Engine) -> None:
    settings = load_settings(None, data_dir=tmp_path / "data", model_shared_dir=tmp_path / "shared")
    assert model_folder(settings, sqlite_engine) == tmp_path / "shared"


def test_a_model_in_the_data_folder_wins(tmp_path: Path, sqlite_engine: Engine) -> None:
    settings = load_settings(None, data_dir=tmp_path / "data", model_shared_dir=tmp_path / "shared")
    (tmp_path / "data" / "model").mkdir(parents=True)
    (tmp_path / "data" / "model" / "classifier-abc.joblib").write_bytes(b"")
    assert model_folder(settings, sqlite_engine) == tmp_path / "data" / "model"


def test_an_empty_shared_setting_keeps_the_model_per_data_folder(
    tmp_path: Path, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVGDESK_MODEL_SHARED_DIR", "")
    settings = load_settings(None, data_dir=tmp_path / "data")
    assert settings.model_shared_dir is None
    assert model_folder(settings, sqlite_engine) == tmp_path / "data" / "model"
